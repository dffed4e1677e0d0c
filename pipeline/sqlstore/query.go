package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"hoso/pipeline"
)

// scopeCond returns a condition limiting column to the scope's
// departments, appending its arguments.
func scopeCond(scope pipeline.Scope, column string, args *[]any) string {
	if scope.All {
		return "1 = 1"
	}
	if len(scope.Departments) == 0 {
		return "1 = 0"
	}
	marks := make([]string, len(scope.Departments))
	for i, d := range scope.Departments {
		*args = append(*args, d)
		marks[i] = fmt.Sprintf("$%d", len(*args))
	}
	return column + " IN (" + strings.Join(marks, ", ") + ")"
}

func (s *Store) ids(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// inList writes "prefix ($1, $2, …)" for the values.
func inList[T any](prefix string, values []T) (string, []any) {
	var sb strings.Builder
	sb.WriteString(prefix)
	sb.WriteByte('(')
	args := make([]any, len(values))
	for i, v := range values {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "$%d", i+1)
		args[i] = v
	}
	sb.WriteByte(')')
	return sb.String(), args
}
