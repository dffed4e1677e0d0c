package sqlstore

import (
	"context"
	"fmt"

	"hoso/pipeline"
)

// RejectionCreate records a refused file.
func (s *Store) RejectionCreate(ctx context.Context, r pipeline.Rejection) error {
	if err := s.insertRejections(ctx, s.db, []pipeline.Rejection{r}); err != nil {
		return fmt.Errorf("record rejection: %w", err)
	}
	return nil
}

// insertRejections records refused files.
func (s *Store) insertRejections(ctx context.Context, q Querier, rs []pipeline.Rejection) error {
	now := s.now()
	return insertRows(ctx, q, `INSERT INTO rejection (batch_id, path, code, reason, created_at) VALUES `, len(rs), func(i int) []any {
		return []any{rs[i].BatchID, rs[i].Path, rs[i].Code, rs[i].Reason, now}
	})
}

// RejectionListByBatch returns the refused files of a batch.
func (s *Store) RejectionListByBatch(ctx context.Context, batchID int64) ([]pipeline.Rejection, error) {
	out, err := collect(func(row Row) (pipeline.Rejection, error) {
		var r pipeline.Rejection
		err := row.Scan(&r.BatchID, &r.Path, &r.Code, &r.Reason)
		return r, err
	})(s.db.Query(ctx, `SELECT batch_id, path, code, reason FROM rejection WHERE batch_id = $1 ORDER BY id`, batchID))
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", err)
	}
	return out, nil
}
