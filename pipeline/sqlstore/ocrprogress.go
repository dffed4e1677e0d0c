package sqlstore

import (
	"context"
	"fmt"

	"hoso/pipeline"
)

// OCRProgressSet records how many of a document's pages OCR has read.
func (s *Store) OCRProgressSet(ctx context.Context, documentID int64, done, total int) error {
	_, err := s.db.Exec(ctx, `INSERT INTO ocr_progress (document_id, pages_done, pages_total, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (document_id) DO UPDATE SET pages_done = EXCLUDED.pages_done, pages_total = EXCLUDED.pages_total, updated_at = EXCLUDED.updated_at`,
		documentID, done, total, s.now())
	if err != nil {
		return fmt.Errorf("record OCR progress: %w", err)
	}
	return nil
}

// OCRProgressByBatch returns how far OCR has read the batch's documents.
func (s *Store) OCRProgressByBatch(ctx context.Context, batchID int64) (map[int64]pipeline.OCRProgress, error) {
	rows, err := s.db.Query(ctx, `SELECT p.document_id, p.pages_done, p.pages_total FROM ocr_progress p
		JOIN document d ON d.id = p.document_id WHERE d.batch_id = $1`, batchID)
	if err != nil {
		return nil, fmt.Errorf("read OCR progress: %w", err)
	}
	defer rows.Close()
	out := map[int64]pipeline.OCRProgress{}
	for rows.Next() {
		var id int64
		var p pipeline.OCRProgress
		if err := rows.Scan(&id, &p.Done, &p.Total); err != nil {
			return nil, fmt.Errorf("read OCR progress: %w", err)
		}
		out[id] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read OCR progress: %w", err)
	}
	return out, nil
}
