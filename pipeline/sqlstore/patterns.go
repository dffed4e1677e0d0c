package sqlstore

import (
	"context"
	"fmt"

	"hoso/pipeline"
)

// PatternsPending lists documents to check.
func (s *Store) PatternsPending(ctx context.Context, limit int) ([]int64, error) {
	return s.ids(ctx, `SELECT id FROM document WHERE patterns_pending ORDER BY id LIMIT $1`, limit)
}

// PatternsRecheck marks documents for another check.
func (s *Store) PatternsRecheck(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		if _, err := s.db.Exec(ctx, `UPDATE document SET patterns_pending = TRUE WHERE id = $1`, id); err != nil {
			return err
		}
	}
	return nil
}

// PatternsComplete stores a document's patterns and clears its mark.
func (s *Store) PatternsComplete(ctx context.Context, p pipeline.PatternsCompleteParams) (bool, error) {
	done := false
	err := s.inTx(ctx, func(tx Tx) error {
		n, err := tx.Exec(ctx, `UPDATE document SET patterns_pending = FALSE WHERE id = $1 AND patterns_pending`, p.DocumentID)
		if err != nil || n == 0 {
			return err
		}
		done = true
		if p.ClusterID != 0 {
			if err := s.clusterJoin(ctx, tx, p.DocumentID, p.ClusterID, p.Merge); err != nil {
				return err
			}
		}
		for _, f := range p.Flags {
			if err := s.flagUpsert(ctx, tx, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store patterns of document %d: %w", p.DocumentID, err)
	}
	return done, nil
}
