package postgres_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"hoso/pipeline/postgres"
	"hoso/pipeline/storetest"
)

// testURL returns the PostgreSQL test database, or skips the test with a
// clear message when HOSO_TEST_DATABASE_URL is unset (.ci/run sets it).
func testURL(t *testing.T) string {
	u := os.Getenv("HOSO_TEST_DATABASE_URL")
	if u == "" {
		t.Skip("HOSO_TEST_DATABASE_URL is not set: skipping the PostgreSQL tests (.ci/run sets it)")
	}
	return u
}

// openSchema opens a store in a schema of its own, dropped after the test.
func openSchema(t *testing.T) (*postgres.DB, storetest.Harness) {
	u := testURL(t)
	ctx := context.Background()
	schema := fmt.Sprintf("hoso_test_%d", time.Now().UnixNano())
	st, db, err := postgres.OpenStore(ctx, postgres.Config{URL: u, Schema: schema})
	if err != nil {
		t.Fatalf("open PostgreSQL store: %v", err)
	}
	t.Cleanup(func() {
		st.Close()
		if err := postgres.DropSchema(context.Background(), u, schema); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return db, storetest.Harness{
		Store: st,
		Jobs: func(ctx context.Context, kind string, id int64) int {
			var n int
			if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND (args->>'document_id')::bigint = $2`, kind, id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
		Feed: func(ctx context.Context, id int64) int {
			var n int
			if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM change_feed WHERE document_id = $1`, id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
		Exec: func(ctx context.Context, sql string) {
			if _, err := db.Pool().Exec(ctx, sql); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		_, h := openSchema(t)
		return h
	})
}
