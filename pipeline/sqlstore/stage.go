package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"hoso/pipeline"
)

// advance moves a document to state to and stage next inside tx. It
// reports false when the document was in none of the states from: the
// stage ran already (or the document failed meanwhile), and nothing must
// follow. This guard is what makes a stage that runs twice (its job
// retried after a crash between the commit and River's completion) take
// effect once; every change of state that a job follows goes through it.
func (s *Store) advance(ctx context.Context, tx Tx, id int64, to pipeline.State, next pipeline.Stage, from ...pipeline.State) (bool, error) {
	args := []any{id, string(to), string(next), s.now()}
	n, err := tx.Exec(ctx, `UPDATE document SET state = $2, stage = $3, updated_at = $4 WHERE id = $1 AND state IN `+in(&args, from), args...)
	return n == 1, err
}

// classifiedStates are the states of a document whose classification is
// done: the ones a reclassification or a corrected page sends back.
var classifiedStates = []pipeline.State{pipeline.StateClassified, pipeline.StateChecked, pipeline.StateIndexed}

// ExtractComplete stores pages and queues classification.
func (s *Store) ExtractComplete(ctx context.Context, p pipeline.ExtractCompleteParams) error {
	err := s.inTx(ctx, func(tx Tx) error {
		message := ""
		if p.Message != nil {
			b, err := json.Marshal(p.Message)
			if err != nil {
				return err
			}
			message = string(b)
		}
		ok, err := s.advance(ctx, tx, p.DocumentID, pipeline.StateExtracted, pipeline.StageClassify, pipeline.StateReceived)
		if err != nil || !ok {
			return err
		}
		// What an e-mail carries is recorded with its first reading only: a
		// document retried after a later stage failed is read again and
		// finds its attachments and refusals already there.
		var extractor string
		if err := tx.QueryRow(ctx, `SELECT extractor FROM document WHERE id = $1`, p.DocumentID).Scan(&extractor); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE document SET mime = $2, pages = $3, quality = $4,
			extractor = $5, language = $6, error_code = '', error = '', message = $7 WHERE id = $1`,
			p.DocumentID, p.MIME, len(p.Pages), p.Quality, p.Extractor, p.Language, message); err != nil {
			return err
		}
		if extractor == "" {
			for _, a := range p.Attachments {
				if _, err := s.documentInsert(ctx, tx, a, &p.DocumentID); err != nil {
					return err
				}
			}
			if err := s.insertRejections(ctx, tx, p.Rejections); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM page WHERE document_id = $1`, p.DocumentID); err != nil {
			return err
		}
		err = insertRows(ctx, tx, `INSERT INTO page (document_id, number, text, quality, extractor, confidence, language, needs_review) VALUES `,
			len(p.Pages), func(i int) []any {
				pg := p.Pages[i]
				return []any{p.DocumentID, pg.Number, pg.Text, pg.Quality, pg.Extractor, pg.Confidence, pg.Language, pg.NeedsReview}
			})
		if err != nil {
			return err
		}
		return tx.InsertJobs(ctx, []pipeline.JobArgs{pipeline.ClassifyArgs{DocumentID: p.DocumentID}})
	})
	if err != nil {
		return fmt.Errorf("complete extraction of document %d: %w", p.DocumentID, err)
	}
	return nil
}

// DocumentNeedsOCR moves a received document to the OCR stage and queues
// its job.
func (s *Store) DocumentNeedsOCR(ctx context.Context, id int64) (bool, error) {
	moved := false
	err := s.inTx(ctx, func(tx Tx) error {
		n, err := tx.Exec(ctx, `UPDATE document SET stage = $2, updated_at = $3 WHERE id = $1 AND state = $4 AND stage = $5`,
			id, string(pipeline.StageOCR), s.now(), string(pipeline.StateReceived), string(pipeline.StageExtract))
		if err != nil || n != 1 {
			return err
		}
		moved = true
		return tx.InsertJobs(ctx, []pipeline.JobArgs{pipeline.OCRArgs{DocumentID: id}})
	})
	if err != nil {
		return false, fmt.Errorf("send document %d to OCR: %w", id, err)
	}
	return moved, nil
}

// OCRResume queues OCR again for the documents waiting for it.
func (s *Store) OCRResume(ctx context.Context) (int, error) {
	ids, err := s.ids(ctx, `SELECT id FROM document WHERE state = $1 AND error_code = $2 ORDER BY id`, string(pipeline.StateReceived), pipeline.EOCRMISSING)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	err = s.inTx(ctx, func(tx Tx) error {
		jobs := make([]pipeline.JobArgs, 0, len(ids))
		for _, id := range ids {
			if _, err := tx.Exec(ctx, `UPDATE document SET error_code = '', error = '', stage = $2 WHERE id = $1`, id, string(pipeline.StageOCR)); err != nil {
				return err
			}
			jobs = append(jobs, pipeline.OCRArgs{DocumentID: id})
		}
		return tx.InsertJobs(ctx, jobs)
	})
	if err != nil {
		return 0, fmt.Errorf("resume OCR: %w", err)
	}
	return len(ids), nil
}

// DocumentWaiting notes why a document waits.
func (s *Store) DocumentWaiting(ctx context.Context, id int64, code, reason string) error {
	_, err := s.db.Exec(ctx, `UPDATE document SET error_code = $2, error = $3, updated_at = $4 WHERE id = $1 AND state = $5`,
		id, code, reason, s.now(), string(pipeline.StateReceived))
	return err
}

// ClassifyComplete stores the classification and queues detection.
func (s *Store) ClassifyComplete(ctx context.Context, p pipeline.ClassifyCompleteParams) error {
	c := p.Classification
	dep := c.Department
	if dep == "" {
		dep = pipeline.DepartmentIntake
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	if c.Fields == nil {
		c.Fields = []pipeline.Field{}
	}
	tags, err := json.Marshal(c.Tags)
	if err != nil {
		return err
	}
	class, err := json.Marshal(c)
	if err != nil {
		return err
	}
	source := pipeline.SourceRule
	if c.Type == pipeline.TypeUnclassified {
		source = ""
	} else if c.TypeSource != "" {
		source = c.TypeSource
	}
	// A person's correction of the type or the department stands.
	err = s.inTx(ctx, func(tx Tx) error {
		ok, err := s.advance(ctx, tx, p.DocumentID, pipeline.StateClassified, pipeline.StageDetect, pipeline.StateExtracted)
		if err != nil || !ok {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE document SET
			doc_type = CASE WHEN type_source = $6 THEN doc_type ELSE $2 END,
			type_source = CASE WHEN type_source = $6 THEN type_source ELSE $7 END,
			department = CASE WHEN department_source = $6 THEN department ELSE $3 END,
			department_source = CASE WHEN department_source = $6 THEN department_source ELSE $8 END,
			tags = $4, classification = $5, rule_set_version = $9 WHERE id = $1`,
			p.DocumentID, c.Type, dep, string(tags), string(class), pipeline.SourceManual, source, pipeline.SourceRule, c.RuleSetVersion); err != nil {
			return err
		}
		for _, f := range p.Flags {
			if err := s.flagUpsert(ctx, tx, f); err != nil {
				return err
			}
		}
		return tx.InsertJobs(ctx, []pipeline.JobArgs{pipeline.DetectArgs{DocumentID: p.DocumentID}})
	})
	if err != nil {
		return fmt.Errorf("complete classification of document %d: %w", p.DocumentID, err)
	}
	return nil
}

// DetectComplete marks the document checked and tells the indexer.
func (s *Store) DetectComplete(ctx context.Context, p pipeline.DetectCompleteParams) error {
	err := s.inTx(ctx, func(tx Tx) error {
		ok, err := s.advance(ctx, tx, p.DocumentID, pipeline.StateChecked, pipeline.StageIndex, pipeline.StateClassified)
		if err != nil || !ok {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE document SET patterns_pending = TRUE WHERE id = $1`, p.DocumentID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM identifier WHERE document_id = $1`, p.DocumentID); err != nil {
			return err
		}
		err = insertRows(ctx, tx, `INSERT INTO identifier (document_id, kind, value, raw, page, char_offset) VALUES `,
			len(p.Identifiers), func(i int) []any {
				id := p.Identifiers[i]
				return []any{p.DocumentID, id.Kind, id.Value, id.Raw, id.Page, id.Offset}
			})
		if err != nil {
			return err
		}
		if p.NearDup != nil {
			if err := s.nearDupWrite(ctx, tx, p.DocumentID, p.NearDup); err != nil {
				return err
			}
		}
		for _, f := range p.Flags {
			if err := s.flagUpsert(ctx, tx, f); err != nil {
				return err
			}
		}
		return s.feed(ctx, tx, p.DocumentID, "checked")
	})
	if err != nil {
		return fmt.Errorf("complete detection of document %d: %w", p.DocumentID, err)
	}
	return nil
}
