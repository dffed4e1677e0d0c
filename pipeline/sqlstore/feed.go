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
