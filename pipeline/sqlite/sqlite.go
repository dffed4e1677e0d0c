// Package sqlite is the embedded default store: SQLite (modernc.org/sqlite,
// pure Go) in the data folder, with River's riversqlite driver.
//
// River on SQLite needs WAL, a busy timeout, immediate transactions and
// exactly one open connection; with one connection any open transaction
// blocks River, so transactions stay short and are never held across
// extraction. One process owns the file.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"hoso/pipeline"
	"hoso/pipeline/sqlstore"
)

// DB is a SQLite database with River's tables.
type DB struct {
	sql    *sql.DB
	driver *riversqlite.Driver
	insert *river.Client[*sql.Tx]

	// stmts caches prepared statements: modernc parses and plans a
	// statement anew on every call otherwise, which was a third of the
	// queue's time per document.
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

const maxStmts = 256

// stmt returns the prepared statement for q, preparing it once.
func (db *DB) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	db.mu.Lock()
	st, ok := db.stmts[q]
	db.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := db.sql.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if old, ok := db.stmts[q]; ok {
		st.Close()
		return old, nil
	}
	if len(db.stmts) < maxStmts {
		db.stmts[q] = st
	}
	return st, nil
}

var _ sqlstore.DB = (*DB)(nil)

// Open opens (creating if needed) the database file at path.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create database folder: %w", err)
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	driver := riversqlite.New(db)
	insert, err := river.NewClient(driver, &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("create river insert client: %w", err)
	}
	return &DB{sql: db, driver: driver, insert: insert, stmts: map[string]*sql.Stmt{}}, nil
}

// OpenStore opens the database at path, migrates it and returns the store.
func OpenStore(ctx context.Context, path string) (*sqlstore.Store, *DB, error) {
	db, err := Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	st, err := sqlstore.Migrated(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	return st, db, nil
}

// Dialect is "sqlite".
func (db *DB) Dialect() string { return "sqlite" }

// SQL returns the underlying pool.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes the database.
func (db *DB) Close() error {
	db.mu.Lock()
	for _, st := range db.stmts {
		st.Close()
	}
	db.stmts = map[string]*sql.Stmt{}
	db.mu.Unlock()
	return db.sql.Close()
}

// MigrateRiver applies River's migrations.
func (db *DB) MigrateRiver(ctx context.Context) error {
	m, err := rivermigrate.New(db.driver, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river tables: %w", err)
	}
	return nil
}

// NewClient returns a River client over this database for working jobs.
func (db *DB) NewClient(config *river.Config) (*river.Client[*sql.Tx], error) {
	return river.NewClient(db.driver, config)
}

// RequeueRunning makes jobs left running by a process that died available
// again. It is safe only because one process owns a SQLite file: call it
// before starting the workers.
func (db *DB) RequeueRunning(ctx context.Context) (int64, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec') WHERE state = 'running'`)
	if err != nil {
		return 0, fmt.Errorf("requeue running jobs: %w", err)
	}
	return res.RowsAffected()
}

// Exec runs a statement.
func (db *DB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	st, err := db.stmt(ctx, q)
	if err != nil {
		return 0, err
	}
	return rowsAffected(st.ExecContext(ctx, args...))
}

// QueryRow runs a query that returns one row.
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	st, err := db.stmt(ctx, q)
	if err != nil {
		return errRow{err}
	}
	return row{st.QueryRowContext(ctx, args...)}
}

// Query runs a query.
func (db *DB) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	st, err := db.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	r, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

// Begin starts an immediate transaction.
func (db *DB) Begin(ctx context.Context) (sqlstore.Tx, error) {
	t, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &tx{tx: t, db: db}, nil
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type row struct{ r *sql.Row }

func (r row) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}

type rows struct{ r *sql.Rows }

func (r rows) Next() bool             { return r.r.Next() }
func (r rows) Scan(dest ...any) error { return r.r.Scan(dest...) }
func (r rows) Err() error             { return r.r.Err() }
func (r rows) Close()                 { r.r.Close() }

type tx struct {
	tx      *sql.Tx
	db      *DB
	missing []string // statements to prepare after the commit
}

// stmt binds the cached statement for q to the transaction, or returns
// nil when there is none yet: preparing needs the one connection, which
// the transaction holds, so a missing statement runs unprepared and is
// prepared after the commit.
func (t *tx) stmt(ctx context.Context, q string) *sql.Stmt {
	t.db.mu.Lock()
	st, ok := t.db.stmts[q]
	t.db.mu.Unlock()
	if !ok {
		t.missing = append(t.missing, q)
		return nil
	}
	return t.tx.StmtContext(ctx, st)
}

func (t *tx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	if st := t.stmt(ctx, q); st != nil {
		return rowsAffected(st.ExecContext(ctx, args...))
	}
	return rowsAffected(t.tx.ExecContext(ctx, q, args...))
}

func (t *tx) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	if st := t.stmt(ctx, q); st != nil {
		return row{st.QueryRowContext(ctx, args...)}
	}
	return row{t.tx.QueryRowContext(ctx, q, args...)}
}

func (t *tx) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	var r *sql.Rows
	var err error
	if st := t.stmt(ctx, q); st != nil {
		r, err = st.QueryContext(ctx, args...)
	} else {
		r, err = t.tx.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

func (t *tx) InsertJobs(ctx context.Context, jobs []pipeline.JobArgs) error {
	params := make([]river.InsertManyParams, len(jobs))
	for i, args := range jobs {
		o := args.JobOpts()
		params[i] = river.InsertManyParams{Args: args, InsertOpts: &river.InsertOpts{Queue: o.Queue, MaxAttempts: o.MaxAttempts}}
	}
	_, err := t.db.insert.InsertManyTx(ctx, t.tx, params)
	return err
}

func (t *tx) Commit(ctx context.Context) error {
	if err := t.tx.Commit(); err != nil {
		return err
	}
	for _, q := range t.missing {
		_, _ = t.db.stmt(ctx, q)
	}
	return nil
}

func (t *tx) Rollback(ctx context.Context) error { return t.tx.Rollback() }
