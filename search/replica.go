package search

import (
	"context"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"

	"hoso/pipeline"
)

// Every serve node keeps a whole index of its own, fed from the change
// feed. A write's token (the feed entry's transaction) is searchable on a
// node once the node's horizon is above it; a search that carries the
// token of a write waits, a little, for the node to get there
// (read-your-writes through any node behind a load balancer).

// replica is a node's horizon, and a way to wait for it to move.
type replica struct {
	mu      sync.Mutex
	horizon int64
	moved   chan struct{} // closed and replaced when the horizon moves
}

// Horizon returns the node's horizon: the index holds every change-feed
// entry whose token is below it.
func (ix *Index) Horizon() int64 {
	ix.replica.mu.Lock()
	defer ix.replica.mu.Unlock()
	return ix.replica.horizon
}

func (ix *Index) setHorizon(h int64) {
	r := &ix.replica
	r.mu.Lock()
	defer r.mu.Unlock()
	if h <= r.horizon {
		return
	}
	r.horizon = h
	if r.moved != nil {
		close(r.moved)
		r.moved = nil
	}
}

// DefaultCatchUpWait is how long a search that carries a write's token
// waits for the node to index it before it answers stale.
const DefaultCatchUpWait = 2 * time.Second

// WaitFor waits until the index holds the change-feed entries up to token
// (a write's position), at most wait; false means it does not yet, and an
// answer now is stale.
func (ix *Index) WaitFor(ctx context.Context, token int64, wait time.Duration) bool {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		r := &ix.replica
		r.mu.Lock()
		if r.horizon > token {
			r.mu.Unlock()
			return true
		}
		if r.moved == nil {
			r.moved = make(chan struct{})
		}
		moved := r.moved
		r.mu.Unlock()
		select {
		case <-moved:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// DrainCommitted indexes until the index holds every change-feed entry
// committed before it returns: Drain stops at the feed's horizon, which a
// write transaction still in flight anywhere on the database holds back,
// so it drains again, briefly apart, until none is left after the mark.
func (in *Indexer) DrainCommitted(ctx context.Context) error {
	for {
		if err := in.Drain(ctx); err != nil {
			return err
		}
		mark, err := in.Index.HighWaterMark()
		if err != nil {
			return err
		}
		n, err := in.Store.ChangeFeedCountAfter(ctx, mark)
		if err != nil || n == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// advance records that the index holds the feed up to mark, and every
// entry below horizon: in memory for searches that wait, and in the
// store's table of nodes when the indexer has a node name.
func (in *Indexer) advance(ctx context.Context, idx bleve.Index, mark pipeline.FeedPosition, horizon int64) error {
	in.Index.setHorizon(horizon)
	if in.Node == "" {
		return nil
	}
	docs, err := idx.DocCount()
	if err != nil {
		return err
	}
	if in.published.mark == mark && in.published.docs == docs && time.Since(in.publishedAt) < 5*time.Second {
		// The horizon moves with every transaction of the database, even
		// with nothing new in the feed: an idle node writes every 5 s.
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = in.Store.FeedNodeSet(ctx, pipeline.FeedNode{Node: in.Node, Position: mark, Horizon: horizon, Documents: int64(docs)})
	if err == nil {
		in.published, in.publishedAt = published{mark: mark, horizon: horizon, docs: docs}, time.Now()
	}
	return err
}

// published is what a node last wrote to the table of nodes.
type published struct {
	mark    pipeline.FeedPosition
	horizon int64
	docs    uint64
}
