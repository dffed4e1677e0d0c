// Package sqlstore implements pipeline.Store once, in SQL that SQLite and
// PostgreSQL both accept ($1 placeholders, RETURNING, ON CONFLICT). The
// backends (pipeline/sqlite, pipeline/postgres) supply a DB: connections,
// transactions that can also insert and complete River jobs, and the
// translation of their driver's errors.
package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"hoso/migrations"
	"hoso/pipeline"
)

// ErrNoRows is what a DB returns when a query that must return a row
// returned none.
var ErrNoRows = errors.New("no rows in result set")

// Row is one result row.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result set.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Querier runs SQL.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	QueryRow(ctx context.Context, sql string, args ...any) Row
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
}

// Job is a job to insert with a transaction.
type Job struct {
	Args        JobArgs
	Queue       string
	MaxAttempts int
}

// JobArgs is what River asks of job arguments.
type JobArgs interface {
	Kind() string
}

// Tx is a database transaction that can also enqueue jobs, atomically with
// the writes.
type Tx interface {
	Querier
	InsertJobs(ctx context.Context, jobs []Job) error
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// DB is a backend's connection.
type DB interface {
	Querier
	Begin(ctx context.Context) (Tx, error)
	// Dialect is "sqlite" or "postgres": the folder of its migrations.
	Dialect() string
	Close() error
}

// Store is the pipeline.Store over a DB.
type Store struct {
	db  DB
	now func() time.Time
	// auditKey keys the audit chain (SetAuditKey); auditPlain is how many
	// plain records preceded the key, -1 when unknown.
	auditKey   []byte
	auditPlain int64
}

var _ pipeline.Store = (*Store)(nil)

// New returns a Store over db.
func New(db DB) *Store {
	return &Store{db: db, now: func() time.Time { return time.Now().UTC() }, auditPlain: -1}
}

// DB returns the store's database.
func (s *Store) DB() DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Migrate applies hoso's migrations that have not been applied yet and
// returns the versions it applied.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	list, err := migrations.List(s.db.Dialect())
	if err != nil {
		return nil, err
	}
	if _, err := s.db.Exec(ctx, `CREATE TABLE IF NOT EXISTS hoso_migration (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at TIMESTAMP NOT NULL
	)`); err != nil {
		return nil, fmt.Errorf("create migration table: %w", err)
	}
	var applied []int
	for _, m := range list {
		err := s.inTx(ctx, func(tx Tx) error {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM hoso_migration WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO hoso_migration (version, name, applied_at) VALUES ($1, $2, $3)`, m.Version, m.Name, s.now()); err != nil {
				return err
			}
			applied = append(applied, m.Version)
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("apply migration %03d_%s: %w", m.Version, m.Name, err)
		}
	}
	return applied, nil
}

func (s *Store) inTx(ctx context.Context, fn func(tx Tx) error) (err error) {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// BatchCreate creates a batch.
func (s *Store) BatchCreate(ctx context.Context, params pipeline.BatchCreateParams) (*pipeline.Batch, error) {
	name := strings.TrimSpace(params.Name)
	if name == "" {
		return nil, pipeline.Errorf(pipeline.EINVALID, "A batch needs a name.")
	}
	dep := params.Department
	if dep == "" {
		dep = pipeline.DepartmentIntake
	}
	b := &pipeline.Batch{Name: name, CreatedBy: params.CreatedBy, Department: dep, CreatedAt: s.now()}
	err := s.db.QueryRow(ctx, `INSERT INTO batch (name, created_by, department, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		b.Name, b.CreatedBy, b.Department, b.CreatedAt).Scan(&b.ID)
	if err != nil {
		return nil, fmt.Errorf("create batch: %w", err)
	}
	return s.BatchGetByID(ctx, b.ID)
}

const batchColumns = `b.id, b.name, b.created_by, COALESCE(u.name, ''), b.department, b.created_at`

const batchFrom = ` FROM batch b LEFT JOIN app_user u ON u.id = b.created_by `

func scanBatch(row Row) (*pipeline.Batch, error) {
	b := &pipeline.Batch{}
	if err := row.Scan(&b.ID, &b.Name, &b.CreatedBy, &b.CreatedByName, &b.Department, &b.CreatedAt); err != nil {
		return nil, err
	}
	b.CreatedAt = b.CreatedAt.UTC()
	return b, nil
}

// BatchGetByID returns a batch.
func (s *Store) BatchGetByID(ctx context.Context, id int64) (*pipeline.Batch, error) {
	return s.BatchGet(ctx, pipeline.ScopeAll, id)
}

// BatchGet returns a batch in scope.
func (s *Store) BatchGet(ctx context.Context, scope pipeline.Scope, id int64) (*pipeline.Batch, error) {
	args := []any{id}
	cond := scopeCond(scope, "b.department", &args)
	b, err := scanBatch(s.db.QueryRow(ctx, `SELECT `+batchColumns+batchFrom+`WHERE b.id = $1 AND `+cond, args...))
	if errors.Is(err, ErrNoRows) {
		if scope.All {
			return nil, pipeline.Errorf(pipeline.ENOTFOUND, "Batch %d does not exist.", id)
		}
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "Batch %d does not exist or belongs to a department you do not work in.", id)
	} else if err != nil {
		return nil, fmt.Errorf("get batch %d: %w", id, err)
	}
	return b, nil
}

// BatchList lists batches in scope, newest first, with counts.
func (s *Store) BatchList(ctx context.Context, p pipeline.BatchListParams) ([]*pipeline.BatchSummary, error) {
	var args []any
	conds := []string{scopeCond(p.Scope, "b.department", &args)}
	if p.CreatedBy != 0 {
		args = append(args, p.CreatedBy)
		conds = append(conds, fmt.Sprintf("b.created_by = $%d", len(args)))
	}
	if p.BeforeID > 0 {
		args = append(args, p.BeforeID)
		conds = append(conds, fmt.Sprintf("b.id < $%d", len(args)))
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit)
	rows, err := s.db.Query(ctx, `SELECT `+batchColumns+batchFrom+`WHERE `+strings.Join(conds, " AND ")+
		fmt.Sprintf(` ORDER BY b.id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	out := []*pipeline.BatchSummary{}
	byID := map[int64]*pipeline.BatchSummary{}
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		sum := &pipeline.BatchSummary{Batch: *b, States: map[pipeline.State]int{}}
		out = append(out, sum)
		byID[b.ID] = sum
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	marks := make([]string, len(out))
	ids := make([]any, len(out))
	for i, b := range out {
		marks[i], ids[i] = fmt.Sprintf("$%d", i+1), b.ID
	}
	in := strings.Join(marks, ", ")
	rows, err = s.db.Query(ctx, `SELECT batch_id, state, count(*) FROM document WHERE batch_id IN (`+in+`) GROUP BY batch_id, state`, ids...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var state string
		var n int
		if err := rows.Scan(&id, &state, &n); err != nil {
			rows.Close()
			return nil, err
		}
		byID[id].States[pipeline.State(state)] = n
		byID[id].Documents += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.Query(ctx, `SELECT batch_id, count(*) FROM rejection WHERE batch_id IN (`+in+`) GROUP BY batch_id`, ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		byID[id].Rejected = n
	}
	return out, rows.Err()
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

func collectDocuments(rows Rows, err error) ([]*pipeline.Document, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*pipeline.Document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

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
	return id, tx.InsertJobs(ctx, []Job{{Args: pipeline.ExtractArgs{DocumentID: id}, Queue: pipeline.QueueExtract, MaxAttempts: 5}})
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
			n, err := tx.Exec(ctx, `UPDATE document SET state = $2, stage = $3, error_code = '', error = '', crashes = 0, updated_at = $4
				WHERE id = $1 AND state = $5`, id, string(pipeline.StateReceived), string(pipeline.StageExtract), s.now(), string(pipeline.StateFailed))
			if err != nil || n != 1 {
				return err
			}
			done = append(done, id)
			return tx.InsertJobs(ctx, []Job{{Args: pipeline.ExtractArgs{DocumentID: id}, Queue: pipeline.QueueExtract, MaxAttempts: 5}})
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
	q := `SELECT CASE WHEN state = 'received' AND error_code = 'ocr_missing' THEN 'waiting' ELSE state END AS st, count(*) FROM document`
	var args []any
	if len(p.BatchIDs) > 0 {
		marks := make([]string, len(p.BatchIDs))
		for i, id := range p.BatchIDs {
			marks[i] = fmt.Sprintf("$%d", i+1)
			args = append(args, id)
		}
		q += ` WHERE batch_id IN (` + strings.Join(marks, ", ") + `)`
	}
	rows, err := s.db.Query(ctx, q+` GROUP BY st`, args...)
	if err != nil {
		return nil, fmt.Errorf("count documents: %w", err)
	}
	defer rows.Close()
	out := map[pipeline.State]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count documents: %w", err)
		}
		out[pipeline.State(state)] = n
	}
	return out, rows.Err()
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

func (s *Store) feed(ctx context.Context, tx Tx, documentID int64, op string) error {
	_, err := tx.Exec(ctx, `INSERT INTO change_feed (document_id, op, created_at) VALUES ($1, $2, $3)`, documentID, op, s.now())
	return err
}

// PageListByDocument returns a document's pages in order.
func (s *Store) PageListByDocument(ctx context.Context, documentID int64) ([]pipeline.Page, error) {
	rows, err := s.db.Query(ctx, `SELECT number, text, quality, extractor, confidence, language, needs_review FROM page WHERE document_id = $1 ORDER BY number`, documentID)
	if err != nil {
		return nil, fmt.Errorf("list pages of document %d: %w", documentID, err)
	}
	defer rows.Close()
	var out []pipeline.Page
	for rows.Next() {
		var p pipeline.Page
		if err := rows.Scan(&p.Number, &p.Text, &p.Quality, &p.Extractor, &p.Confidence, &p.Language, &p.NeedsReview); err != nil {
			return nil, fmt.Errorf("list pages of document %d: %w", documentID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

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
	rows, err := s.db.Query(ctx, `SELECT batch_id, path, code, reason FROM rejection WHERE batch_id = $1 ORDER BY id`, batchID)
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", err)
	}
	defer rows.Close()
	var out []pipeline.Rejection
	for rows.Next() {
		var r pipeline.Rejection
		if err := rows.Scan(&r.BatchID, &r.Path, &r.Code, &r.Reason); err != nil {
			return nil, fmt.Errorf("list rejections: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// advance moves a document from one state to the next inside tx. It
// reports false when the document was not in state from: the stage ran
// already (or the document failed meanwhile), and nothing must follow.
// This guard is what makes a stage that runs twice (its job retried after
// a crash between the commit and River's completion) take effect once.
func (s *Store) advance(ctx context.Context, tx Tx, id int64, from, to pipeline.State, next pipeline.Stage) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE document SET state = $2, stage = $3, updated_at = $4 WHERE id = $1 AND state = $5`,
		id, string(to), string(next), s.now(), string(from))
	return n == 1, err
}

const pageChunk = 100

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
		n, err := tx.Exec(ctx, `UPDATE document SET state = $2, stage = $3, updated_at = $4, mime = $5, pages = $6, quality = $7,
			extractor = $8, language = $10, error_code = '', error = '', message = $11 WHERE id = $1 AND state = $9`,
			p.DocumentID, string(pipeline.StateExtracted), string(pipeline.StageClassify), s.now(), p.MIME, len(p.Pages), p.Quality,
			p.Extractor, string(pipeline.StateReceived), p.Language, message)
		if err != nil || n != 1 {
			return err // n == 0: extracted already (see advance)
		}
		// Attachments of an e-mail: created once, with the extraction that
		// found them (a retry after a crash finds the document extracted).
		var children int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM document WHERE parent_id = $1`, p.DocumentID).Scan(&children); err != nil {
			return err
		}
		for _, a := range p.Attachments {
			if children > 0 {
				break
			}
			if _, err := s.documentInsert(ctx, tx, a, &p.DocumentID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM page WHERE document_id = $1`, p.DocumentID); err != nil {
			return err
		}
		for start := 0; start < len(p.Pages); start += pageChunk {
			end := min(start+pageChunk, len(p.Pages))
			var sb strings.Builder
			sb.WriteString(`INSERT INTO page (document_id, number, text, quality, extractor, confidence, language, needs_review) VALUES `)
			args := make([]any, 0, 8*(end-start))
			for i, pg := range p.Pages[start:end] {
				if i > 0 {
					sb.WriteString(", ")
				}
				n := len(args)
				fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
				args = append(args, p.DocumentID, pg.Number, pg.Text, pg.Quality, pg.Extractor, pg.Confidence, pg.Language, pg.NeedsReview)
			}
			if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
				return err
			}
		}
		return tx.InsertJobs(ctx, []Job{{Args: pipeline.ClassifyArgs{DocumentID: p.DocumentID}, Queue: pipeline.QueueClassify, MaxAttempts: 10}})
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
		return tx.InsertJobs(ctx, []Job{{Args: pipeline.OCRArgs{DocumentID: id}, Queue: pipeline.QueueOCR, MaxAttempts: 5}})
	})
	if err != nil {
		return false, fmt.Errorf("send document %d to OCR: %w", id, err)
	}
	return moved, nil
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
		done := []any{string(pipeline.StateClassified), string(pipeline.StateChecked), string(pipeline.StateIndexed)}
		n, err := tx.Exec(ctx, `UPDATE document SET state = $2, stage = $3, updated_at = $4 WHERE id = $1 AND state IN ($5, $6, $7)`,
			append([]any{p.DocumentID, string(pipeline.StateExtracted), string(pipeline.StageClassify), s.now()}, done...)...)
		if err != nil {
			return err
		}
		if n == 0 {
			return pipeline.Errorf(pipeline.ECONFLICT, "Document %d is still being processed; correct it once it is searchable.", p.DocumentID)
		}
		if p.KeepDepartment {
			if _, err := tx.Exec(ctx, `UPDATE document SET department_source = $2 WHERE id = $1`, p.DocumentID, pipeline.SourceManual); err != nil {
				return err
			}
		}
		return tx.InsertJobs(ctx, []Job{{Args: pipeline.ClassifyArgs{DocumentID: p.DocumentID}, Queue: pipeline.QueueClassify, MaxAttempts: 10}})
	})
	if err != nil {
		return "", err
	}
	return old, nil
}

// OCRResume queues OCR again for the documents waiting for it.
func (s *Store) OCRResume(ctx context.Context) (int, error) {
	ids, err := s.ids(ctx, `SELECT id FROM document WHERE state = $1 AND error_code = $2 ORDER BY id`, string(pipeline.StateReceived), pipeline.EOCRMISSING)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	err = s.inTx(ctx, func(tx Tx) error {
		jobs := make([]Job, 0, len(ids))
		for _, id := range ids {
			if _, err := tx.Exec(ctx, `UPDATE document SET error_code = '', error = '', stage = $2 WHERE id = $1`, id, string(pipeline.StageOCR)); err != nil {
				return err
			}
			jobs = append(jobs, Job{Args: pipeline.OCRArgs{DocumentID: id}, Queue: pipeline.QueueOCR, MaxAttempts: 5})
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
	}
	// A person's correction of the type or the department stands.
	err = s.inTx(ctx, func(tx Tx) error {
		n, err := tx.Exec(ctx, `UPDATE document SET state = $2, stage = $3, updated_at = $4,
			doc_type = CASE WHEN type_source = $11 THEN doc_type ELSE $5 END,
			type_source = CASE WHEN type_source = $11 THEN type_source ELSE $12 END,
			department = CASE WHEN department_source = $11 THEN department ELSE $6 END,
			department_source = CASE WHEN department_source = $11 THEN department_source ELSE $13 END,
			tags = $7, classification = $8, rule_set_version = $9 WHERE id = $1 AND state = $10`,
			p.DocumentID, string(pipeline.StateClassified), string(pipeline.StageDetect), s.now(), c.Type, dep,
			string(tags), string(class), c.RuleSetVersion, string(pipeline.StateExtracted), pipeline.SourceManual, source, pipeline.SourceRule)
		if err != nil || n != 1 {
			return err // n == 0: classified already (see advance)
		}
		return tx.InsertJobs(ctx, []Job{{Args: pipeline.DetectArgs{DocumentID: p.DocumentID}, Queue: pipeline.QueueDetect, MaxAttempts: 10}})
	})
	if err != nil {
		return fmt.Errorf("complete classification of document %d: %w", p.DocumentID, err)
	}
	return nil
}

// DetectComplete marks the document checked and tells the indexer.
func (s *Store) DetectComplete(ctx context.Context, p pipeline.DetectCompleteParams) error {
	err := s.inTx(ctx, func(tx Tx) error {
		ok, err := s.advance(ctx, tx, p.DocumentID, pipeline.StateClassified, pipeline.StateChecked, pipeline.StageIndex)
		if err != nil || !ok {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE document SET patterns_pending = TRUE WHERE id = $1`, p.DocumentID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM identifier WHERE document_id = $1`, p.DocumentID); err != nil {
			return err
		}
		for start := 0; start < len(p.Identifiers); start += pageChunk {
			end := min(start+pageChunk, len(p.Identifiers))
			var sb strings.Builder
			sb.WriteString(`INSERT INTO identifier (document_id, kind, value, raw, page, char_offset) VALUES `)
			args := make([]any, 0, 6*(end-start))
			for i, id := range p.Identifiers[start:end] {
				if i > 0 {
					sb.WriteString(", ")
				}
				n := len(args)
				fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6)
				args = append(args, p.DocumentID, id.Kind, id.Value, id.Raw, id.Page, id.Offset)
			}
			if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
				return err
			}
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

// RuleSetCreate stores a rule file as the next version.
func (s *Store) RuleSetCreate(ctx context.Context, p pipeline.RuleSetCreateParams) (*pipeline.RuleSetVersion, error) {
	sum := sha256.Sum256([]byte(p.Source))
	v := &pipeline.RuleSetVersion{Name: p.Name, Source: p.Source, SHA256: hex.EncodeToString(sum[:]), CreatedAt: s.now()}
	err := s.inTx(ctx, func(tx Tx) error {
		var latest string
		err := tx.QueryRow(ctx, `SELECT sha256 FROM rule_set ORDER BY version DESC LIMIT 1`).Scan(&latest)
		if err != nil && !errors.Is(err, ErrNoRows) {
			return err
		}
		if latest == v.SHA256 {
			return errSameRuleSet
		}
		return tx.QueryRow(ctx, `INSERT INTO rule_set (name, sha256, source, created_at) VALUES ($1, $2, $3, $4) RETURNING version`,
			v.Name, v.SHA256, v.Source, v.CreatedAt).Scan(&v.Version)
	})
	if errors.Is(err, errSameRuleSet) {
		return s.RuleSetLatest(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("store rule set: %w", err)
	}
	return v, nil
}

var errSameRuleSet = errors.New("same rule set")

const ruleSetColumns = `version, name, sha256, source, created_at`

func scanRuleSet(row Row) (*pipeline.RuleSetVersion, error) {
	v := &pipeline.RuleSetVersion{}
	if err := row.Scan(&v.Version, &v.Name, &v.SHA256, &v.Source, &v.CreatedAt); err != nil {
		return nil, err
	}
	v.CreatedAt = v.CreatedAt.UTC()
	return v, nil
}

// RuleSetLatest returns the newest rule set.
func (s *Store) RuleSetLatest(ctx context.Context) (*pipeline.RuleSetVersion, error) {
	v, err := scanRuleSet(s.db.QueryRow(ctx, `SELECT `+ruleSetColumns+` FROM rule_set ORDER BY version DESC LIMIT 1`))
	if errors.Is(err, ErrNoRows) {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "No rule set was loaded; the built-in rules apply.")
	} else if err != nil {
		return nil, fmt.Errorf("get latest rule set: %w", err)
	}
	return v, nil
}

// RuleSetGet returns one version.
func (s *Store) RuleSetGet(ctx context.Context, version int) (*pipeline.RuleSetVersion, error) {
	v, err := scanRuleSet(s.db.QueryRow(ctx, `SELECT `+ruleSetColumns+` FROM rule_set WHERE version = $1`, version))
	if errors.Is(err, ErrNoRows) {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "Rule set version %d does not exist.", version)
	} else if err != nil {
		return nil, fmt.Errorf("get rule set %d: %w", version, err)
	}
	return v, nil
}

// RuleSetList returns every version, newest first.
func (s *Store) RuleSetList(ctx context.Context) ([]*pipeline.RuleSetVersion, error) {
	rows, err := s.db.Query(ctx, `SELECT `+ruleSetColumns+` FROM rule_set ORDER BY version DESC`)
	if err != nil {
		return nil, fmt.Errorf("list rule sets: %w", err)
	}
	defer rows.Close()
	var out []*pipeline.RuleSetVersion
	for rows.Next() {
		v, err := scanRuleSet(rows)
		if err != nil {
			return nil, fmt.Errorf("list rule sets: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// DocumentMarkIndexed moves checked documents to indexed.
func (s *Store) DocumentMarkIndexed(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{string(pipeline.StateIndexed), s.now(), string(pipeline.StateChecked)}
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = fmt.Sprintf("$%d", i+4)
		args = append(args, id)
	}
	_, err := s.db.Exec(ctx, `UPDATE document SET state = $1, updated_at = $2 WHERE state = $3 AND id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("mark documents indexed: %w", err)
	}
	return nil
}

// DocumentReclassify sends documents back to classification in chunks,
// each chunk's state change and jobs in one transaction.
func (s *Store) DocumentReclassify(ctx context.Context, p pipeline.DocumentReclassifyParams) ([]int64, error) {
	if p.Type == "" && !p.All {
		return nil, pipeline.Errorf(pipeline.EINVALID, "Name a type to reclassify, or all.")
	}
	done := []string{string(pipeline.StateClassified), string(pipeline.StateChecked), string(pipeline.StateIndexed)}
	q := `SELECT id FROM document WHERE state IN ($1, $2, $3)`
	args := []any{done[0], done[1], done[2]}
	if p.Type != "" {
		q += ` AND doc_type = $4`
		args = append(args, p.Type)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find documents to reclassify: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []int64
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		err := s.inTx(ctx, func(tx Tx) error {
			var jobs []Job
			for _, id := range chunk {
				n, err := tx.Exec(ctx, `UPDATE document SET state = $2, stage = $3, updated_at = $4 WHERE id = $1 AND state IN ($5, $6, $7)`,
					id, string(pipeline.StateExtracted), string(pipeline.StageClassify), s.now(), done[0], done[1], done[2])
				if err != nil {
					return err
				}
				if n == 1 {
					jobs = append(jobs, Job{Args: pipeline.ClassifyArgs{DocumentID: id}, Queue: pipeline.QueueClassify, MaxAttempts: 10})
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

// IdentifierListByDocument returns the identifiers found in a document, in
// page order.
func (s *Store) IdentifierListByDocument(ctx context.Context, documentID int64) ([]pipeline.Identifier, error) {
	rows, err := s.db.Query(ctx, `SELECT kind, value, raw, page, char_offset FROM identifier WHERE document_id = $1 ORDER BY page, char_offset`, documentID)
	if err != nil {
		return nil, fmt.Errorf("list identifiers of document %d: %w", documentID, err)
	}
	defer rows.Close()
	out := []pipeline.Identifier{}
	for rows.Next() {
		var id pipeline.Identifier
		if err := rows.Scan(&id.Kind, &id.Value, &id.Raw, &id.Page, &id.Offset); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
