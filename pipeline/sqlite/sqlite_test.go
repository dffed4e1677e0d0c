package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"hoso/pipeline/sqlite"
	"hoso/pipeline/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		ctx := context.Background()
		st, db, err := sqlite.OpenStore(ctx, filepath.Join(t.TempDir(), "hoso.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return storetest.Harness{
			Store: st,
			Jobs: func(ctx context.Context, kind string, id int64) int {
				var n int
				if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND args->>'$.document_id' = $2`, kind, id).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			},
			Feed: func(ctx context.Context, id int64) int {
				var n int
				if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM change_feed WHERE document_id = $1`, id).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			},
			Exec: func(ctx context.Context, sql string) {
				if _, err := db.SQL().ExecContext(ctx, sql); err != nil {
					t.Fatal(err)
				}
			},
		}
	})
}

func TestMigrateTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hoso.db")
	for i := 0; i < 2; i++ {
		st, _, err := sqlite.OpenStore(ctx, path)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		applied, err := st.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Errorf("Migrate on a migrated database applied %v, %v", applied, err)
		}
		st.Close()
	}
}
