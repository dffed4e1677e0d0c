package sqlstore

import (
	"context"
	"fmt"

	"hoso/pipeline"
)

// The change feed on PostgreSQL is ordered by (tx_id, seq), where tx_id is
// the writing transaction's xid8, and read only below the horizon
// pg_snapshot_xmin(pg_current_snapshot()): every transaction with a lower
// ID has ended, so no entry can appear behind a reader that stays below
// it. On SQLite one writer commits at a time and takes numbers in commit
// order: seq alone is the order, and an entry's transaction is its seq.

// feedAfter is the condition "entry c is after pos" and its arguments,
// numbered from n.
func (s *Store) feedAfter(pos pipeline.FeedPosition, n int) (string, []any) {
	if s.db.Dialect() == "postgres" {
		return fmt.Sprintf("(c.tx_id, c.seq) > ($%d, $%d)", n, n+1), []any{pos.TxID, pos.Seq}
	}
	return fmt.Sprintf("c.seq > $%d", n), []any{pos.Seq}
}

// feedTxID is the column that holds an entry's transaction.
func (s *Store) feedTxID() string {
	if s.db.Dialect() == "postgres" {
		return "c.tx_id"
	}
	return "c.seq"
}

// ChangeFeedHorizon returns the feed's horizon: every entry whose
// transaction is below it is committed and visible to any later read.
func (s *Store) ChangeFeedHorizon(ctx context.Context) (int64, error) {
	q := `SELECT COALESCE(max(seq), 0) + 1 FROM change_feed`
	if s.db.Dialect() == "postgres" {
		q = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`
	}
	var h int64
	if err := s.db.QueryRow(ctx, q).Scan(&h); err != nil {
		return 0, fmt.Errorf("read change-feed horizon: %w", err)
	}
	return h, nil
}

// ChangeFeedAfter returns committed change-feed entries after pos, below
// the horizon, in feed order.
func (s *Store) ChangeFeedAfter(ctx context.Context, pos pipeline.FeedPosition, limit int) (pipeline.ChangeFeedPage, error) {
	// The horizon first: the read that follows sees every transaction
	// below it, committed.
	h, err := s.ChangeFeedHorizon(ctx)
	if err != nil {
		return pipeline.ChangeFeedPage{}, err
	}
	tx := s.feedTxID()
	cond, args := s.feedAfter(pos, 1)
	args = append(args, h, limit)
	n := len(args)
	rows, err := s.db.Query(ctx, `SELECT c.seq, `+tx+`, c.document_id, c.op FROM change_feed c
		WHERE `+cond+` AND `+tx+fmt.Sprintf(` < $%d ORDER BY %s, c.seq LIMIT $%d`, n-1, tx, n), args...)
	if err != nil {
		return pipeline.ChangeFeedPage{}, fmt.Errorf("read change feed: %w", err)
	}
	defer rows.Close()
	page := pipeline.ChangeFeedPage{Horizon: h}
	for rows.Next() {
		var c pipeline.Change
		if err := rows.Scan(&c.Seq, &c.TxID, &c.DocumentID, &c.Op); err != nil {
			return pipeline.ChangeFeedPage{}, fmt.Errorf("read change feed: %w", err)
		}
		page.Changes = append(page.Changes, c)
	}
	if err := rows.Err(); err != nil {
		return pipeline.ChangeFeedPage{}, fmt.Errorf("read change feed: %w", err)
	}
	if len(page.Changes) == limit {
		// Entries of the last transaction may follow in the next read.
		page.Horizon = page.Changes[len(page.Changes)-1].TxID
	}
	return page, nil
}

// ChangeFeedStart returns a position before every entry not committed yet.
func (s *Store) ChangeFeedStart(ctx context.Context) (pipeline.FeedPosition, error) {
	h, err := s.ChangeFeedHorizon(ctx)
	if err != nil {
		return pipeline.FeedPosition{}, err
	}
	if s.db.Dialect() == "postgres" {
		return pipeline.FeedPosition{TxID: h, Seq: 0}, nil
	}
	return pipeline.FeedPosition{TxID: h - 1, Seq: h - 1}, nil
}

// ChangeFeedLatest returns the newest change-feed entry's number, 0 when
// the feed is empty.
func (s *Store) ChangeFeedLatest(ctx context.Context) (int64, error) {
	var n *int64
	if err := s.db.QueryRow(ctx, `SELECT max(seq) FROM change_feed`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read change feed: %w", err)
	}
	if n == nil {
		return 0, nil
	}
	return *n, nil
}

// DocumentMarkIndexedThrough moves to indexed the checked documents the
// index already holds in their last version.
func (s *Store) DocumentMarkIndexedThrough(ctx context.Context, pos pipeline.FeedPosition) (int64, error) {
	cond, args := s.feedAfter(pos, 4)
	args = append([]any{string(pipeline.StateIndexed), s.now(), string(pipeline.StateChecked)}, args...)
	n, err := s.db.Exec(ctx, `UPDATE document SET state = $1, updated_at = $2 WHERE state = $3
		AND EXISTS (SELECT 1 FROM change_feed c WHERE c.document_id = document.id)
		AND NOT EXISTS (SELECT 1 FROM change_feed c WHERE c.document_id = document.id AND `+cond+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("mark documents indexed through %v: %w", pos, err)
	}
	return n, nil
}
