// Package postgres is the store for offices that outgrow one machine:
// PostgreSQL through pgx/v5's pool, with River's riverpgxv5 driver, so any
// number of `hoso worker` processes share the queue.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"hoso/pipeline"
	"hoso/pipeline/sqlstore"
)

// DB is a PostgreSQL database with River's tables.
type DB struct {
	pool   *pgxpool.Pool
	driver *riverpgxv5.Driver
	insert *river.Client[pgx.Tx]
}

var _ sqlstore.DB = (*DB)(nil)

// Config configures Open.
type Config struct {
	// URL is the connection URL, postgres://user@host:port/db?....
	URL string
	// Schema, when set, puts hoso's and River's tables in this schema
	// (created if missing) through the connections' search_path.
	Schema string
	// MaxConns caps the pool; 0 keeps pgxpool's default (max(4, CPUs)).
	MaxConns int32
}

// Open connects to the database.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, pipeline.Errorf(pipeline.EINVALID, "The database URL is not valid: %v", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.Schema != "" {
		if err := createSchema(ctx, cfg.URL, cfg.Schema); err != nil {
			return nil, err
		}
		pc.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	driver := riverpgxv5.New(pool)
	insert, err := river.NewClient(driver, &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("create river insert client: %w", err)
	}
	return &DB{pool: pool, driver: driver, insert: insert}, nil
}

func createSchema(ctx context.Context, url, schema string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize())
	if err != nil {
		return fmt.Errorf("create schema %s: %w", schema, err)
	}
	return nil
}

// DropSchema removes a schema and everything in it; tests use it to clean
// up after themselves.
func DropSchema(ctx context.Context, url, schema string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
	return err
}

// OpenStore connects, migrates and returns the store.
func OpenStore(ctx context.Context, cfg Config) (*sqlstore.Store, *DB, error) {
	db, err := Open(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	st, err := sqlstore.Migrated(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	return st, db, nil
}

// Dialect is "postgres".
func (db *DB) Dialect() string { return "postgres" }

// Pool returns the connection pool.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
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
func (db *DB) NewClient(config *river.Config) (*river.Client[pgx.Tx], error) {
	return river.NewClient(db.driver, config)
}

// Exec runs a statement.
func (db *DB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := db.pool.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

// QueryRow runs a query that returns one row.
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return row{db.pool.QueryRow(ctx, q, args...)}
}

// Query runs a query.
func (db *DB) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	r, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

// Begin starts a transaction.
func (db *DB) Begin(ctx context.Context) (sqlstore.Tx, error) {
	t, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &tx{tx: t, db: db}, nil
}

type row struct{ r pgx.Row }

func (r row) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}

type rows struct{ r pgx.Rows }

func (r rows) Next() bool             { return r.r.Next() }
func (r rows) Scan(dest ...any) error { return r.r.Scan(dest...) }
func (r rows) Err() error             { return r.r.Err() }
func (r rows) Close()                 { r.r.Close() }

type tx struct {
	tx pgx.Tx
	db *DB
}

func (t *tx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (t *tx) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return row{t.tx.QueryRow(ctx, q, args...)}
}

func (t *tx) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	r, err := t.tx.Query(ctx, q, args...)
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

func (t *tx) Commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t *tx) Rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }
