package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"hoso/pipeline"
)

// insertChunk is how many rows one multi-row INSERT carries: SQLite allows
// 32766 parameters a statement, and a page row has eight.
const insertChunk = 100

// scopeCond returns a condition limiting column to the scope's
// departments, appending its arguments.
func scopeCond(scope pipeline.Scope, column string, args *[]any) string {
	if scope.All {
		return "1 = 1"
	}
	if len(scope.Departments) == 0 {
		return "1 = 0"
	}
	return column + " IN " + in(args, scope.Departments)
}

// in appends values to args and returns their placeholders, "($3, $4)",
// numbered after the arguments args already holds. values must not be
// empty: "IN ()" is not SQL.
func in[T any](args *[]any, values []T) string {
	var sb strings.Builder
	sb.WriteByte('(')
	for i, v := range values {
		if i > 0 {
			sb.WriteString(", ")
		}
		*args = append(*args, v)
		fmt.Fprintf(&sb, "$%d", len(*args))
	}
	sb.WriteByte(')')
	return sb.String()
}

// collect returns a function that scans every row of a query with scan
// and closes the rows. It takes the query's error too, so that a call
// reads collect(scanX)(s.db.Query(…)). An empty result is an empty slice,
// never nil: lists show as [] in JSON.
func collect[T any](scan func(Row) (T, error)) func(Rows, error) ([]T, error) {
	return func(rows Rows, err error) ([]T, error) {
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := []T{}
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return out, nil
	}
}

// each returns a function that calls fn on every row of a query and
// closes the rows; for rows that fill a map rather than a list.
func each(fn func(Row) error) func(Rows, error) error {
	return func(rows Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
}

// scanInt64 scans a row of one integer column.
func scanInt64(row Row) (int64, error) {
	var n int64
	err := row.Scan(&n)
	return n, err
}

// scanString scans a row of one text column.
func scanString(row Row) (string, error) {
	var v string
	err := row.Scan(&v)
	return v, err
}

// ids runs a query whose rows are one ID each.
func (s *Store) ids(ctx context.Context, q string, args ...any) ([]int64, error) {
	return collect(scanInt64)(s.db.Query(ctx, q, args...))
}

// insertRows inserts n rows with head ("INSERT INTO t (a, b) VALUES "),
// insertChunk rows a statement; row returns the values of row i.
func insertRows(ctx context.Context, q Querier, head string, n int, row func(i int) []any) error {
	for start := 0; start < n; start += insertChunk {
		end := min(start+insertChunk, n)
		var sb strings.Builder
		sb.WriteString(head)
		var args []any
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteString(", ")
			}
			sb.WriteString(in(&args, row(i)))
		}
		if _, err := q.Exec(ctx, sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
