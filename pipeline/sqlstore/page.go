package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"hoso/pipeline"
)

// PageListByDocument returns a document's pages in order.
func (s *Store) PageListByDocument(ctx context.Context, documentID int64) ([]pipeline.Page, error) {
	out, err := collect(func(row Row) (pipeline.Page, error) {
		var p pipeline.Page
		err := row.Scan(&p.Number, &p.Text, &p.Quality, &p.Extractor, &p.Confidence, &p.Language, &p.NeedsReview)
		return p, err
	})(s.db.Query(ctx, `SELECT number, text, quality, extractor, confidence, language, needs_review FROM page WHERE document_id = $1 ORDER BY number`, documentID))
	if err != nil {
		return nil, fmt.Errorf("list pages of document %d: %w", documentID, err)
	}
	return out, nil
}

// PageCorrect stores a person's correction of a page.
func (s *Store) PageCorrect(ctx context.Context, p pipeline.PageCorrectParams) (string, error) {
	if _, err := s.DocumentGet(ctx, p.Scope, p.DocumentID); err != nil {
		return "", err
	}
	var old string
	err := s.inTx(ctx, func(tx Tx) error {
		err := tx.QueryRow(ctx, `SELECT text FROM page WHERE document_id = $1 AND number = $2`, p.DocumentID, p.Number).Scan(&old)
		if errors.Is(err, ErrNoRows) {
			return pipeline.Errorf(pipeline.ENOTFOUND, "Document %d has no page %d.", p.DocumentID, p.Number)
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE page SET text = $3, quality = $4, extractor = $5, confidence = 100, language = $6, needs_review = FALSE
			WHERE document_id = $1 AND number = $2`, p.DocumentID, p.Number, p.Text, p.Quality, "manual", p.Language); err != nil {
			return err
		}
		ok, err := s.advance(ctx, tx, p.DocumentID, pipeline.StateExtracted, pipeline.StageClassify, classifiedStates...)
		if err != nil {
			return err
		}
		if !ok {
			return pipeline.Errorf(pipeline.ECONFLICT, "Document %d is still being processed; correct it once it is searchable.", p.DocumentID)
		}
		if p.KeepDepartment {
			if _, err := tx.Exec(ctx, `UPDATE document SET department_source = $2 WHERE id = $1`, p.DocumentID, pipeline.SourceManual); err != nil {
				return err
			}
		}
		return tx.InsertJobs(ctx, []pipeline.JobArgs{pipeline.ClassifyArgs{DocumentID: p.DocumentID}})
	})
	if err != nil {
		return "", err
	}
	return old, nil
}
