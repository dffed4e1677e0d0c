// Package sqlitetest opens what tests run on: a migrated SQLite store and
// a blob folder in the test's temporary directory, closed when the test
// ends.
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"hoso/pipeline/blob"
	"hoso/pipeline/sqlite"
	"hoso/pipeline/sqlstore"
)

// Open returns a fresh store, its database (for River clients) and a blob
// folder.
func Open(t testing.TB) (*sqlstore.Store, *sqlite.DB, *blob.Dir) {
	t.Helper()
	dir := t.TempDir()
	st, db, err := sqlite.OpenStore(context.Background(), filepath.Join(dir, "hoso.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return st, db, blobs
}
