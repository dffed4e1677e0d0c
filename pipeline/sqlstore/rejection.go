package sqlstore

import (
	"context"
	"fmt"

	"hoso/pipeline"
)

// RejectionCreate records a refused file.
func (s *Store) RejectionCreate(ctx context.Context, r pipeline.Rejection) error {
	_, err := s.db.Exec(ctx, `INSERT INTO rejection (batch_id, path, code, reason, created_at) VALUES ($1, $2, $3, $4, $5)`,
		r.BatchID, r.Path, r.Code, r.Reason, s.now())
	if err != nil {
		return fmt.Errorf("record rejection: %w", err)
	}
	return nil
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
