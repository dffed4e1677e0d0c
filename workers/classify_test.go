package workers_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"hoso/pipeline"
	"hoso/pipeline/postgres"
	"hoso/workers"
)

// TestClassifyWorker works classify jobs with rivertest, each in a
// transaction of its own, on PostgreSQL (SQLite's one connection would
// be held by the test's transaction while the worker reads the store):
// the document is classified and its detection queued once, and a job
// run again finds the work done.
func TestClassifyWorker(t *testing.T) {
	u := os.Getenv("HOSO_TEST_DATABASE_URL")
	if u == "" {
		t.Skip("HOSO_TEST_DATABASE_URL is not set: skipping the PostgreSQL tests (.ci/run sets it)")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("hoso_test_%d", time.Now().UnixNano())
	st, db, err := postgres.OpenStore(ctx, postgres.Config{URL: u, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Close()
		if err := postgres.DropSchema(context.Background(), u, schema); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	b, err := st.BatchCreate(ctx, pipeline.BatchCreateParams{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: b.ID, Filename: "qd.txt", Path: "qd.txt", SHA256: fmt.Sprintf("%064x", 1), Size: 10, MIME: "text/plain"})
	if err != nil {
		t.Fatal(err)
	}
	text := "QUYẾT ĐỊNH\nVề việc cấp giấy phép xây dựng\nỦY BAN NHÂN DÂN QUẬN 1 QUYẾT ĐỊNH: Điều 1."
	if err := st.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, Pages: []pipeline.Page{{Number: 1, Text: text, Quality: 1}}, Language: "vi"}); err != nil {
		t.Fatal(err)
	}

	w := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{Schema: schema}, workers.NewClassify(workers.Config{Store: st}))
	work := func() *rivertest.WorkResult {
		t.Helper()
		tx, err := db.Pool().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		res, err := w.Work(ctx, t, tx, pipeline.ClassifyArgs{DocumentID: d.ID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		return res
	}
	detectJobs := func() int {
		var n int
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'detect' AND (args->>'document_id')::bigint = $1`, d.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := range 2 {
		if res := work(); res.EventKind != river.EventKindJobCompleted {
			t.Fatalf("run %d: event %s, want completed", i+1, res.EventKind)
		}
		got, err := st.DocumentGetByID(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != pipeline.StateClassified || got.Classification == nil || got.Classification.Explanation.Summary == "" {
			t.Errorf("run %d: state %s, classification %+v", i+1, got.State, got.Classification)
		}
		if n := detectJobs(); n != 1 {
			t.Errorf("run %d: %d detect jobs, want 1", i+1, n)
		}
	}
}
