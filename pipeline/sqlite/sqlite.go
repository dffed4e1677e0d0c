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

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"hoso/pipeline"
	"hoso/pipeline/sqlstore"
)

// DB is a SQLite database with River's tables.
type DB struct {
	sql    *sql.DB
	driver *riversqlite.Driver
	insert *river.Client[*sql.Tx]
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
	return &DB{sql: db, driver: driver, insert: insert}, nil
}

// OpenStore opens the database at path, migrates it and returns the store.
func OpenStore(ctx context.Context, path string) (*sqlstore.Store, *DB, error) {
	db, err := Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	st := sqlstore.New(db)
	if err := db.MigrateRiver(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return st, db, nil
}

// Dialect is "sqlite".
func (db *DB) Dialect() string { return "sqlite" }

// SQL returns the underlying pool.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

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
	return exec(ctx, db.sql, q, args)
}

// QueryRow runs a query that returns one row.
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return row{db.sql.QueryRowContext(ctx, q, args...)}
}

// Query runs a query.
func (db *DB) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	r, err := db.sql.QueryContext(ctx, q, args...)
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

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func exec(ctx context.Context, e execer, q string, args []any) (int64, error) {
	res, err := e.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

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
	tx *sql.Tx
	db *DB
}

func (t *tx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return exec(ctx, t.tx, q, args)
}

func (t *tx) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return row{t.tx.QueryRowContext(ctx, q, args...)}
}

func (t *tx) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	r, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

func (t *tx) InsertJobs(ctx context.Context, jobs []sqlstore.Job) error {
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		params[i] = river.InsertManyParams{Args: j.Args, InsertOpts: &river.InsertOpts{Queue: j.Queue, MaxAttempts: j.MaxAttempts}}
	}
	_, err := t.db.insert.InsertManyTx(ctx, t.tx, params)
	return err
}

type noArgs struct{}

func (noArgs) Kind() string { return "" }

func (t *tx) CompleteJob(ctx context.Context, job pipeline.JobRef) error {
	if job.ID == 0 {
		return nil
	}
	_, err := river.JobCompleteTx[*riversqlite.Driver](ctx, t.tx, &river.Job[noArgs]{
		JobRow: &rivertype.JobRow{ID: job.ID, State: rivertype.JobStateRunning},
	})
	return err
}

func (t *tx) Commit(ctx context.Context) error   { return t.tx.Commit() }
func (t *tx) Rollback(ctx context.Context) error { return t.tx.Rollback() }
