package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"hoso/pipeline"
)

// DocumentIDsBySHA256 lists the documents with the same original.
func (s *Store) DocumentIDsBySHA256(ctx context.Context, sum string) ([]int64, error) {
	out, err := collect(func(row Row) (int64, error) {
		var id int64
		err := row.Scan(&id)
		return id, err
	})(s.db.Query(ctx, `SELECT id FROM document WHERE sha256 = $1 ORDER BY id`, sum))
	if err != nil {
		return nil, err
	}
	return out, nil
}

const documentColumns = `d.id, d.batch_id, b.name, d.filename, d.path, d.sha256, d.size, d.mime,
	d.state, d.stage, d.error_code, d.error, d.pages, d.quality, d.extractor, d.duplicate_of,
	d.crashes, d.created_at, d.updated_at, d.doc_type, d.department, d.tags, d.classification, d.language,
	b.department, d.type_source, d.department_source, d.parent_id, d.message`

const documentFrom = ` FROM document d JOIN batch b ON b.id = d.batch_id `

func scanDocument(row Row) (*pipeline.Document, error) {
	d := &pipeline.Document{}
	var state, stage, tags, class, message string
	err := row.Scan(&d.ID, &d.BatchID, &d.BatchName, &d.Filename, &d.Path, &d.SHA256, &d.Size, &d.MIME,
		&state, &stage, &d.ErrorCode, &d.Error, &d.Pages, &d.Quality, &d.Extractor, &d.DuplicateOf,
		&d.Crashes, &d.CreatedAt, &d.UpdatedAt, &d.Type, &d.Department, &tags, &class, &d.Language,
		&d.UploadDepartment, &d.TypeSource, &d.DepartmentSource, &d.ParentID, &message)
	if err != nil {
		return nil, err
	}
	if message != "" {
		d.Message = &pipeline.Message{}
		if err := json.Unmarshal([]byte(message), d.Message); err != nil {
			return nil, fmt.Errorf("document %d: message: %w", d.ID, err)
		}
	}
	d.Tags = []string{}
	if err := json.Unmarshal([]byte(tags), &d.Tags); err != nil {
		return nil, fmt.Errorf("document %d: tags: %w", d.ID, err)
	}
	if class != "" {
		d.Classification = &pipeline.Classification{}
		if err := json.Unmarshal([]byte(class), d.Classification); err != nil {
			return nil, fmt.Errorf("document %d: classification: %w", d.ID, err)
		}
	}
	d.State, d.Stage = pipeline.State(state), pipeline.Stage(stage)
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return d, nil
}

var collectDocuments = collect(scanDocument)

// DocumentCreate records a document and queues its extraction in one
// transaction.
func (s *Store) DocumentCreate(ctx context.Context, p pipeline.DocumentCreateParams) (*pipeline.Document, error) {
	if len(p.SHA256) != 64 {
		return nil, pipeline.Errorf(pipeline.EINVALID, "A document needs the SHA-256 of its original.")
	}
	var id int64
	err := s.inTx(ctx, func(tx Tx) (err error) {
		id, err = s.documentInsert(ctx, tx, p, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create document: %w", err)
	}
	return s.DocumentGetByID(ctx, id)
}

// documentInsert adds a document (linked to its first copy when its
// bytes are known, and to the e-mail it came in when parent is set) and
// queues its extraction.
func (s *Store) documentInsert(ctx context.Context, tx Tx, p pipeline.DocumentCreateParams, parent *int64) (int64, error) {
	var id int64
	var dup *int64
	var first int64
	err := tx.QueryRow(ctx, `SELECT id FROM document WHERE sha256 = $1 ORDER BY id LIMIT 1`, p.SHA256).Scan(&first)
	if err == nil {
		dup = &first
	} else if !errors.Is(err, ErrNoRows) {
		return 0, err
	}
	now := s.now()
	err = tx.QueryRow(ctx, `INSERT INTO document
		(batch_id, filename, path, sha256, size, mime, state, stage, duplicate_of, created_at, updated_at, department, parent_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12) RETURNING id`,
		p.BatchID, p.Filename, p.Path, p.SHA256, p.Size, p.MIME,
		string(pipeline.StateReceived), string(pipeline.StageExtract), dup, now, pipeline.DepartmentIntake, parent).Scan(&id)
	if err != nil {
		return 0, err
	}
	return id, tx.InsertJobs(ctx, []pipeline.JobArgs{pipeline.ExtractArgs{DocumentID: id}})
}

// DocumentGetByID returns a document.
func (s *Store) DocumentGetByID(ctx context.Context, id int64) (*pipeline.Document, error) {
	return s.DocumentGet(ctx, pipeline.ScopeAll, id)
}

// DocumentGet returns a document in scope.
func (s *Store) DocumentGet(ctx context.Context, scope pipeline.Scope, id int64) (*pipeline.Document, error) {
	args := []any{id}
	cond := scopeCond(scope, "d.department", &args)
	d, err := scanDocument(s.db.QueryRow(ctx, `SELECT `+documentColumns+documentFrom+`WHERE d.id = $1 AND `+cond, args...))
	if errors.Is(err, ErrNoRows) {
		if scope.All {
			return nil, pipeline.Errorf(pipeline.ENOTFOUND, "Document %d does not exist.", id)
		}
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "Document %d does not exist or belongs to a department you do not work in.", id)
	} else if err != nil {
		return nil, fmt.Errorf("get document %d: %w", id, err)
	}
	return d, nil
}

// DocumentRetry sends failed documents back to extraction.
func (s *Store) DocumentRetry(ctx context.Context, p pipeline.DocumentRetryParams) ([]int64, error) {
	if _, err := s.BatchGet(ctx, p.Scope, p.BatchID); err != nil {
		return nil, err
	}
	docs, err := s.DocumentListByBatch(ctx, p.BatchID)
	if err != nil {
		return nil, err
	}
	want := map[int64]bool{}
	for _, id := range p.DocumentIDs {
		want[id] = true
	}
	var ids []int64
	for _, d := range docs {
		if d.State == pipeline.StateFailed && (len(want) == 0 || want[d.ID]) {
			ids = append(ids, d.ID)
		}
	}
	var done []int64
	for _, id := range ids {
		err := s.inTx(ctx, func(tx Tx) error {
			ok, err := s.advance(ctx, tx, id, pipeline.StateReceived, pipeline.StageExtract, pipeline.StateFailed)
			if err != nil || !ok {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE document SET error_code = '', error = '', crashes = 0 WHERE id = $1`, id); err != nil {
				return err
			}
			done = append(done, id)
			return tx.InsertJobs(ctx, []pipeline.JobArgs{pipeline.ExtractArgs{DocumentID: id}})
		})
		if err != nil {
			return done, fmt.Errorf("retry document %d: %w", id, err)
		}
	}
	return done, nil
}

// DocumentListByBatch returns the documents of a batch in upload order.
func (s *Store) DocumentListByBatch(ctx context.Context, batchID int64) ([]*pipeline.Document, error) {
	docs, err := collectDocuments(s.db.Query(ctx, `SELECT `+documentColumns+documentFrom+`WHERE d.batch_id = $1 ORDER BY d.id`, batchID))
	if err != nil {
		return nil, fmt.Errorf("list documents of batch %d: %w", batchID, err)
	}
	return docs, nil
}

// DocumentList pages through all documents.
func (s *Store) DocumentList(ctx context.Context, p pipeline.DocumentListParams) ([]*pipeline.Document, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 1000
	}
	docs, err := collectDocuments(s.db.Query(ctx, `SELECT `+documentColumns+documentFrom+`WHERE d.id > $1 ORDER BY d.id LIMIT $2`, p.AfterID, limit))
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	return docs, nil
}

// DocumentCountByState counts documents per state.
func (s *Store) DocumentCountByState(ctx context.Context, p pipeline.DocumentCountByStateParams) (map[pipeline.State]int, error) {
	// Documents waiting for OCR to be installed count apart: they are
	// settled until it is.
	q := `SELECT CASE WHEN state = $1 AND error_code = $2 THEN $3 ELSE state END AS st, count(*) FROM document`
	args := []any{string(pipeline.StateReceived), pipeline.EOCRMISSING, string(pipeline.StateWaiting)}
	if len(p.BatchIDs) > 0 {
		q += ` WHERE batch_id IN ` + in(&args, p.BatchIDs)
	}
	out := map[pipeline.State]int{}
	err := each(func(row Row) error {
		var state string
		var n int
		err := row.Scan(&state, &n)
		out[pipeline.State(state)] = n
		return err
	})(s.db.Query(ctx, q+` GROUP BY st`, args...))
	if err != nil {
		return nil, fmt.Errorf("count documents: %w", err)
	}
	return out, nil
}

// DocumentCrashRecord counts one more crash of the extraction sandbox on a
// document.
func (s *Store) DocumentCrashRecord(ctx context.Context, id int64) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `UPDATE document SET crashes = crashes + 1, updated_at = $2 WHERE id = $1 RETURNING crashes`, id, s.now()).Scan(&n)
	if errors.Is(err, ErrNoRows) {
		return 0, pipeline.Errorf(pipeline.ENOTFOUND, "Document %d does not exist.", id)
	} else if err != nil {
		return 0, fmt.Errorf("record crash of document %d: %w", id, err)
	}
	return n, nil
}

// DocumentFail ends a document as failed. A document that is already
// terminal keeps its state.
func (s *Store) DocumentFail(ctx context.Context, p pipeline.DocumentFailParams) error {
	err := s.inTx(ctx, func(tx Tx) error {
		_, err := tx.Exec(ctx, `UPDATE document SET state = $2, stage = $3, error_code = $4, error = $5, updated_at = $6
			WHERE id = $1 AND state NOT IN ($7, $8, $9)`,
			p.DocumentID, string(pipeline.StateFailed), string(p.Stage), p.Code, p.Reason, s.now(),
			string(pipeline.StateFailed), string(pipeline.StateChecked), string(pipeline.StateIndexed))
		if err != nil {
			return err
		}
		return s.feed(ctx, tx, p.DocumentID, "failed")
	})
	if err != nil {
		return fmt.Errorf("fail document %d: %w", p.DocumentID, err)
	}
	return nil
}

// DocumentCorrect sets a document's type or department as a person
// decided; reclassification keeps them. The index is told.
func (s *Store) DocumentCorrect(ctx context.Context, p pipeline.DocumentCorrectParams) (*pipeline.Document, error) {
	if p.Type == "" && p.Department == "" {
		return nil, pipeline.Errorf(pipeline.EINVALID, "Give a type or a department.")
	}
	err := s.inTx(ctx, func(tx Tx) error {
		var n int64
		var err error
		if p.Type != "" {
			if n, err = tx.Exec(ctx, `UPDATE document SET doc_type = $2, type_source = $3, updated_at = $4 WHERE id = $1`,
				p.DocumentID, p.Type, pipeline.SourceManual, s.now()); err != nil {
				return err
			}
		}
		if p.Department != "" {
			if n, err = tx.Exec(ctx, `UPDATE document SET department = $2, department_source = $3, updated_at = $4 WHERE id = $1`,
				p.DocumentID, p.Department, pipeline.SourceManual, s.now()); err != nil {
				return err
			}
		}
		if n != 1 {
			return pipeline.Errorf(pipeline.ENOTFOUND, "Document %d does not exist.", p.DocumentID)
		}
		return s.feed(ctx, tx, p.DocumentID, "corrected")
	})
	if err != nil {
		return nil, err
	}
	return s.DocumentGetByID(ctx, p.DocumentID)
}

// DocumentReclassify sends documents back to classification in chunks,
// each chunk's state change and jobs in one transaction.
func (s *Store) DocumentReclassify(ctx context.Context, p pipeline.DocumentReclassifyParams) ([]int64, error) {
	if p.Type == "" && !p.All {
		return nil, pipeline.Errorf(pipeline.EINVALID, "Name a type to reclassify, or all.")
	}
	var args []any
	q := `SELECT id FROM document WHERE state IN ` + in(&args, classifiedStates)
	if p.Type != "" {
		args = append(args, p.Type)
		q += fmt.Sprintf(` AND doc_type = $%d`, len(args))
	}
	ids, err := s.ids(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find documents to reclassify: %w", err)
	}
	var out []int64
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		err := s.inTx(ctx, func(tx Tx) error {
			var jobs []pipeline.JobArgs
			for _, id := range chunk {
				ok, err := s.advance(ctx, tx, id, pipeline.StateExtracted, pipeline.StageClassify, classifiedStates...)
				if err != nil {
					return err
				}
				if ok {
					jobs = append(jobs, pipeline.ClassifyArgs{DocumentID: id})
					out = append(out, id)
				}
			}
			if len(jobs) == 0 {
				return nil
			}
			return tx.InsertJobs(ctx, jobs)
		})
		if err != nil {
			return out, fmt.Errorf("reclassify: %w", err)
		}
	}
	return out, nil
}
