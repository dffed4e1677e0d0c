package sqlstore

import (
	"context"
	"fmt"
	"strings"
)

// BlobReferenced tells which of the originals a document row names.
func (s *Store) BlobReferenced(ctx context.Context, sums []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(sums) == 0 {
		return out, nil
	}
	marks := make([]string, len(sums))
	args := make([]any, len(sums))
	for i, sum := range sums {
		marks[i] = fmt.Sprintf("$%d", i+1)
		args[i] = sum
	}
	rows, err := s.db.Query(ctx, `SELECT DISTINCT sha256 FROM document WHERE sha256 IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("find originals in use: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sum string
		if err := rows.Scan(&sum); err != nil {
			return nil, fmt.Errorf("find originals in use: %w", err)
		}
		out[sum] = true
	}
	return out, rows.Err()
}
