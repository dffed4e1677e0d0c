// Package sqlstore implements pipeline.Store once, in SQL that SQLite and
// PostgreSQL both accept ($1 placeholders, RETURNING, ON CONFLICT). The
// backends (pipeline/sqlite, pipeline/postgres) supply a DB: connections,
// transactions that can also insert and complete River jobs, and the
// translation of their driver's errors.
package sqlstore

import (
	"context"
	"errors"
	"fmt"
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

// Tx is a database transaction that can also enqueue jobs, atomically with
// the writes.
type Tx interface {
	Querier
	// InsertJobs inserts jobs with the options of their kind
	// (pipeline.JobArgs.JobOpts).
	InsertJobs(ctx context.Context, jobs []pipeline.JobArgs) error
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

// RiverDB is a DB that also holds River's tables.
type RiverDB interface {
	DB
	// MigrateRiver applies River's own migrations.
	MigrateRiver(ctx context.Context) error
}

// Migrated returns a Store over db once River's migrations and hoso's are
// applied; when they fail, it closes db.
func Migrated(ctx context.Context, db RiverDB) (*Store, error) {
	st := New(db)
	if err := db.MigrateRiver(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return st, nil
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
