package classify

import (
	"context"
	"fmt"
	"sync"
	"time"

	"hoso/pipeline"
)

// RuleSetSource gives the newest rule set loaded (ENOTFOUND when none
// was); pipeline.Store is one.
type RuleSetSource interface {
	RuleSetLatest(ctx context.Context) (*pipeline.RuleSetVersion, error)
}

// Current keeps the rule set in force: the newest version loaded into the
// store, or the built-in rules when none was. It looks again at most every
// TTL, so a rule change reaches the workers within seconds. Its one read
// goes through Store, which the caller gives: the workers and the web
// pages share the cache, and classify itself holds no SQL.
type Current struct {
	Store RuleSetSource
	TTL   time.Duration // default 2s

	mu      sync.Mutex
	rules   *RuleSet
	checked time.Time
}

// Get returns the rule set in force.
func (c *Current) Get(ctx context.Context) (*RuleSet, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ttl := c.TTL
	if ttl <= 0 {
		ttl = 2 * time.Second
	}
	if c.rules != nil && time.Since(c.checked) < ttl {
		return c.rules, nil
	}
	v, err := c.Store.RuleSetLatest(ctx)
	switch {
	case pipeline.ErrorCode(err) == pipeline.ENOTFOUND:
		if c.rules == nil || c.rules.Version != 0 {
			c.rules = DefaultRules()
		}
	case err != nil:
		return nil, err
	case c.rules == nil || c.rules.Version != v.Version:
		rs, err := Parse([]byte(v.Source))
		if err != nil {
			return nil, fmt.Errorf("rule set version %d does not parse: %w", v.Version, err)
		}
		rs.Version = v.Version
		c.rules = rs
	}
	c.checked = time.Now()
	return c.rules, nil
}
