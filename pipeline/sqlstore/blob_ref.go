package sqlstore

import (
	"context"
	"fmt"
)

// BlobReferenced tells which of the blobs a row names: a document's
// original or a search-index snapshot.
func (s *Store) BlobReferenced(ctx context.Context, sums []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(sums) == 0 {
		return out, nil
	}
	var args []any
	err := each(func(row Row) error {
		var sum string
		if err := row.Scan(&sum); err != nil {
			return err
		}
		out[sum] = true
		return nil
	})(s.db.Query(ctx, `SELECT sha256 FROM document WHERE sha256 IN `+in(&args, sums)+`
		UNION SELECT sha256 FROM index_snapshot WHERE sha256 IN `+in(&args, sums), args...))
	if err != nil {
		return nil, fmt.Errorf("find originals in use: %w", err)
	}
	return out, nil
}
