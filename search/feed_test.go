package search

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hoso/pipeline"
	"hoso/pipeline/postgres"
	"hoso/pipeline/sqlite"
	"hoso/pipeline/sqlstore"
)

// classified takes a document to the last stage before detection, the
// one that writes its change-feed entry.
func (f *fixture) classified(t *testing.T, text string) int64 {
	t.Helper()
	ctx := context.Background()
	f.n++
	d, err := f.st.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: f.bat.ID, Filename: fmt.Sprintf("doc%d.pdf", f.n),
		Path: fmt.Sprintf("doc%d.pdf", f.n), SHA256: fmt.Sprintf("%064x", f.n), Size: 1, MIME: "application/pdf"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, Pages: []pipeline.Page{{Number: 1, Text: text, Quality: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: pipeline.Classification{Type: "report"}}); err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// execer is a transaction held open by the test.
type execer interface {
	Exec(ctx context.Context, q string, args ...any) (int64, error)
	QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row
}

// check does inside tx what detection's completion does: the document is
// checked and a change-feed entry names it. It returns the entry's number.
func check(t *testing.T, tx execer, id int64) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := tx.Exec(ctx, `UPDATE document SET state = 'checked' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	var seq int64
	if err := tx.QueryRow(ctx, `INSERT INTO change_feed (document_id, op, created_at) VALUES ($1, 'checked', $2) RETURNING seq`, id, time.Now().UTC()).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	return seq
}

func (f *fixture) found(t *testing.T, word string) bool {
	t.Helper()
	return len(f.search(t, Request{Query: word}).Hits) > 0
}

// drainCommitted indexes every entry committed so far: on a PostgreSQL
// server other tests share, their transactions hold the horizon back for
// a moment.
func (f *fixture) drainCommitted(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.in.DrainCommitted(ctx); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) wantIndexed(t *testing.T, id int64, word string) {
	t.Helper()
	if !f.found(t, word) {
		t.Errorf("document %d (%q) is not in the index", id, word)
	}
	if d, err := f.st.DocumentGetByID(context.Background(), id); err != nil || d.State != pipeline.StateIndexed {
		t.Errorf("document %d: state %v (%v), want indexed", id, d.State, err)
	}
}

// TestFeedNeverSkipsPostgres: a transaction that took a lower change-feed
// number is held open while one with a higher number commits and is read;
// then it commits, and the indexer indexes its document all the same. A
// reader that went by numbers would have stepped past it for good.
func TestFeedNeverSkipsPostgres(t *testing.T) {
	u := os.Getenv("HOSO_TEST_DATABASE_URL")
	if u == "" {
		t.Skip("HOSO_TEST_DATABASE_URL is not set: skipping the PostgreSQL tests (.ci/run sets it)")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("hoso_feed_%d", time.Now().UnixNano())
	st, db, err := postgres.OpenStore(ctx, postgres.Config{URL: u, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Close()
		postgres.DropSchema(context.Background(), u, schema)
	})
	f := feedFixture(t, st)
	early := f.add(t, "report", "", "sớm")
	held, low := f.classified(t, "muộn"), f.classified(t, "thấp")
	f.drainCommitted(t)
	f.wantIndexed(t, early, "sớm")

	// low's transaction starts first (its ID is lower), held's takes the
	// lower entry number and stays open, low's takes a higher one and
	// commits.
	txLow, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txLow.Rollback(ctx)
	if _, err := txLow.Exec(ctx, `UPDATE document SET updated_at = now() WHERE id = $1`, low); err != nil {
		t.Fatal(err)
	}
	txHeld, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txHeld.Rollback(ctx)
	heldSeq := check(t, txHeld, held)
	lowSeq := check(t, txLow, low)
	if heldSeq >= lowSeq {
		t.Fatalf("held entry %d, committed entry %d: the test needs the held one lower", heldSeq, lowSeq)
	}
	if err := txLow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	f.add(t, "report", "", "sau nữa") // a write through the store meanwhile
	// Other tests' transactions on the same server may hold the horizon
	// back for a moment: drain until the committed entry is read.
	for deadline := time.Now().Add(time.Minute); !f.found(t, "thấp") && time.Now().Before(deadline); {
		f.drain(t)
	}
	f.wantIndexed(t, low, "thấp")
	if mark, _ := f.ix.HighWaterMark(); mark.Seq < lowSeq {
		t.Fatalf("mark %+v: the entry %d was not read", mark, lowSeq)
	}
	if f.found(t, "muộn") {
		t.Fatal("the held document is in the index before its transaction committed")
	}

	if err := txHeld.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	f.drainCommitted(t)
	f.wantIndexed(t, held, "muộn")
	f.wantIndexed(t, f.lastAdded(t), "nữa")
	if n, _ := f.ix.Count(); n != 4 {
		t.Errorf("%d documents in the index, want 4 (each exactly once)", n)
	}
}

// TestFeedNeverSkipsSQLite: on SQLite one writer commits at a time, so an
// entry in flight always takes a number above every committed one; the
// same steps, with the held transaction on a second connection.
func TestFeedNeverSkipsSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hoso.db")
	st, _, err := sqlite.OpenStore(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := feedFixture(t, st)
	early := f.add(t, "report", "", "sớm")
	held := f.classified(t, "muộn")
	f.drain(t)
	f.drain(t) // the indexer's first pass over a mark sets states right: a write, done before the other writer holds the file

	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	heldSeq := check(t, sqlTx{tx}, held)
	f.drain(t) // the reader does not wait for the writer, and sees nothing of it
	if f.found(t, "muộn") {
		t.Fatal("the held document is in the index before its transaction committed")
	}
	if mark, _ := f.ix.HighWaterMark(); mark.Seq >= heldSeq {
		t.Fatalf("mark %+v is past the entry %d in flight", mark, heldSeq)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	later := f.add(t, "report", "", "sau")
	f.drain(t)
	f.wantIndexed(t, early, "sớm")
	f.wantIndexed(t, held, "muộn")
	f.wantIndexed(t, later, "sau")
}

func feedFixture(t *testing.T, st *sqlstore.Store) *fixture {
	t.Helper()
	ix, err := Open(filepath.Join(t.TempDir(), "index"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	b, err := st.BatchCreate(context.Background(), pipeline.BatchCreateParams{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, ix: ix, in: &Indexer{Index: ix, Store: st, BatchSize: 2}, bat: b}
}

func (f *fixture) lastAdded(t *testing.T) int64 {
	t.Helper()
	docs, err := f.st.DocumentList(context.Background(), pipeline.DocumentListParams{Limit: 1000})
	if err != nil || len(docs) == 0 {
		t.Fatal(err)
	}
	return docs[len(docs)-1].ID
}

// sqlTx runs the test's statements on a database/sql transaction.
type sqlTx struct{ tx *sql.Tx }

func (s sqlTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s sqlTx) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return s.tx.QueryRowContext(ctx, q, args...)
}

// TestReplicas: two nodes, each with an index of its own over one store.
// A write's position is searchable on the node that indexed it; the other
// answers stale until it catches up, and the table of nodes says so.
func TestReplicas(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, _, err := sqlite.OpenStore(ctx, filepath.Join(dir, "hoso.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := feedFixture(t, st)
	a.in.Node = "a"
	b := &fixture{st: st, bat: a.bat}
	if b.ix, err = Open(filepath.Join(dir, "index-b")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.ix.Close() })
	b.in = &Indexer{Index: b.ix, Store: st, Node: "b"}
	b.drain(t) // b reports in, empty

	a.add(t, "report", "", "biên bản")
	token, err := st.BatchFeedToken(ctx, a.bat.ID)
	if err != nil || token == 0 {
		t.Fatalf("BatchFeedToken = %d, %v", token, err)
	}
	woke := make(chan bool)
	go func() { woke <- a.ix.WaitFor(ctx, token, time.Minute) }()
	a.drain(t)
	if !<-woke {
		t.Error("a search waiting on node a for the write was not woken when a indexed it")
	}
	if b.ix.WaitFor(ctx, token, 10*time.Millisecond) {
		t.Error("node b says it holds a write it has not read")
	}
	nodes, err := st.FeedNodeList(ctx)
	if err != nil || len(nodes) != 2 {
		t.Fatalf("FeedNodeList = %+v, %v", nodes, err)
	}
	if nodes[0].Node != "a" || nodes[0].Lag != 0 || nodes[0].Documents != 1 || nodes[1].Node != "b" || nodes[1].Lag != 1 || nodes[1].Documents != 0 {
		t.Errorf("nodes %+v, want a with the document and no lag, b without it and one change behind", nodes)
	}
	b.drain(t)
	if !b.ix.WaitFor(ctx, token, 0) || !b.found(t, "biên") {
		t.Error("node b did not catch up")
	}
	if nodes, _ := st.FeedNodeList(ctx); nodes[1].Lag != 0 || nodes[1].Documents != 1 {
		t.Errorf("node b after catching up: %+v", nodes[1])
	}
}
