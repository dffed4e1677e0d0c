package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"hoso/pipeline"
)

// RuleSetCreate stores a rule file as the next version.
func (s *Store) RuleSetCreate(ctx context.Context, p pipeline.RuleSetCreateParams) (*pipeline.RuleSetVersion, error) {
	sum := sha256.Sum256([]byte(p.Source))
	v := &pipeline.RuleSetVersion{Name: p.Name, Source: p.Source, SHA256: hex.EncodeToString(sum[:]), CreatedAt: s.now()}
	err := s.inTx(ctx, func(tx Tx) error {
		var latest string
		err := tx.QueryRow(ctx, `SELECT sha256 FROM rule_set ORDER BY version DESC LIMIT 1`).Scan(&latest)
		if err != nil && !errors.Is(err, ErrNoRows) {
			return err
		}
		if latest == v.SHA256 {
			return errSameRuleSet
		}
		return tx.QueryRow(ctx, `INSERT INTO rule_set (name, sha256, source, created_at) VALUES ($1, $2, $3, $4) RETURNING version`,
			v.Name, v.SHA256, v.Source, v.CreatedAt).Scan(&v.Version)
	})
	if errors.Is(err, errSameRuleSet) {
		return s.RuleSetLatest(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("store rule set: %w", err)
	}
	return v, nil
}

var errSameRuleSet = errors.New("same rule set")

const ruleSetColumns = `version, name, sha256, source, created_at`

func scanRuleSet(row Row) (*pipeline.RuleSetVersion, error) {
	v := &pipeline.RuleSetVersion{}
	if err := row.Scan(&v.Version, &v.Name, &v.SHA256, &v.Source, &v.CreatedAt); err != nil {
		return nil, err
	}
	v.CreatedAt = v.CreatedAt.UTC()
	return v, nil
}

// RuleSetLatest returns the newest rule set.
func (s *Store) RuleSetLatest(ctx context.Context) (*pipeline.RuleSetVersion, error) {
	v, err := scanRuleSet(s.db.QueryRow(ctx, `SELECT `+ruleSetColumns+` FROM rule_set ORDER BY version DESC LIMIT 1`))
	if errors.Is(err, ErrNoRows) {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "No rule set was loaded; the built-in rules apply.")
	} else if err != nil {
		return nil, fmt.Errorf("get latest rule set: %w", err)
	}
	return v, nil
}

// RuleSetGet returns one version.
func (s *Store) RuleSetGet(ctx context.Context, version int) (*pipeline.RuleSetVersion, error) {
	v, err := scanRuleSet(s.db.QueryRow(ctx, `SELECT `+ruleSetColumns+` FROM rule_set WHERE version = $1`, version))
	if errors.Is(err, ErrNoRows) {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "Rule set version %d does not exist.", version)
	} else if err != nil {
		return nil, fmt.Errorf("get rule set %d: %w", version, err)
	}
	return v, nil
}

// RuleSetList returns every version, newest first.
func (s *Store) RuleSetList(ctx context.Context) ([]*pipeline.RuleSetVersion, error) {
	out, err := collect(scanRuleSet)(s.db.Query(ctx, `SELECT `+ruleSetColumns+` FROM rule_set ORDER BY version DESC`))
	if err != nil {
		return nil, fmt.Errorf("list rule sets: %w", err)
	}
	return out, nil
}
