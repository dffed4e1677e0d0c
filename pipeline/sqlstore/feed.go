package sqlstore

import (
	"context"
	"fmt"

	"hoso/pipeline"
)

func (s *Store) feed(ctx context.Context, tx Tx, documentID int64, op string) error {
	_, err := tx.Exec(ctx, `INSERT INTO change_feed (document_id, op, created_at) VALUES ($1, $2, $3)`, documentID, op, s.now())
	return err
}

// ChangeFeedAfter returns change-feed entries after seq.
func (s *Store) ChangeFeedAfter(ctx context.Context, seq int64, limit int) ([]pipeline.Change, error) {
	out, err := collect(func(row Row) (pipeline.Change, error) {
		var c pipeline.Change
		err := row.Scan(&c.Seq, &c.DocumentID, &c.Op)
		return c, err
	})(s.db.Query(ctx, `SELECT seq, document_id, op FROM change_feed WHERE seq > $1 ORDER BY seq LIMIT $2`, seq, limit))
	if err != nil {
		return nil, fmt.Errorf("read change feed: %w", err)
	}
	return out, nil
}

// DocumentMarkIndexed moves checked documents to indexed.
func (s *Store) DocumentMarkIndexed(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{string(pipeline.StateIndexed), s.now(), string(pipeline.StateChecked)}
	_, err := s.db.Exec(ctx, `UPDATE document SET state = $1, updated_at = $2 WHERE state = $3 AND id IN `+in(&args, ids), args...)
	if err != nil {
		return fmt.Errorf("mark documents indexed: %w", err)
	}
	return nil
}

// DocumentMarkIndexedThrough moves to indexed the checked documents the
// index already holds in their last version.
func (s *Store) DocumentMarkIndexedThrough(ctx context.Context, seq int64) (int64, error) {
	n, err := s.db.Exec(ctx, `UPDATE document SET state = $1, updated_at = $2 WHERE state = $3
		AND EXISTS (SELECT 1 FROM change_feed c WHERE c.document_id = document.id)
		AND NOT EXISTS (SELECT 1 FROM change_feed c WHERE c.document_id = document.id AND c.seq > $4)`,
		string(pipeline.StateIndexed), s.now(), string(pipeline.StateChecked), seq)
	if err != nil {
		return 0, fmt.Errorf("mark documents indexed through %d: %w", seq, err)
	}
	return n, nil
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
