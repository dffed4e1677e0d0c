package search

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"hoso/extract"
	"hoso/pipeline"
	"hoso/pipeline/sqlite"
	"hoso/pipeline/sqlstore"
)

type fixture struct {
	st     *sqlstore.Store
	ix     *Index
	in     *Indexer
	bat    *pipeline.Batch
	n      int
	idents []pipeline.Identifier // the next document's identifiers
	name   string                // the next document's file name ("": docN.pdf)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, _, err := sqlite.OpenStore(context.Background(), filepath.Join(dir, "hoso.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ix, err := Open(filepath.Join(dir, "index"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	b, _ := st.BatchCreate(context.Background(), pipeline.BatchCreateParams{Name: "Phường 5"})
	return &fixture{st: st, ix: ix, in: &Indexer{Index: ix, Store: st, BatchSize: 3}, bat: b}
}

// add takes a document through every stage with the given pages and type.
func (f *fixture) add(t *testing.T, typ string, date string, pages ...string) int64 {
	t.Helper()
	ctx := context.Background()
	f.n++
	name := fmt.Sprintf("doc%d.pdf", f.n)
	if f.name != "" {
		name, f.name = f.name, ""
	}
	d, err := f.st.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: f.bat.ID, Filename: name,
		Path: "ho-so/" + name, SHA256: fmt.Sprintf("%064x", f.n), Size: 1, MIME: "application/pdf"})
	if err != nil {
		t.Fatal(err)
	}
	var ps []pipeline.Page
	for i, p := range pages {
		ps = append(ps, pipeline.Page{Number: i + 1, Text: p, Quality: 1, Extractor: "pdf"})
	}
	lang := extract.Language(strings.Join(pages, "\n"))
	if err := f.st.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, Pages: ps, Language: lang}); err != nil {
		t.Fatal(err)
	}
	c := pipeline.Classification{Type: typ, Department: "one-stop", Tags: []string{"t-" + typ}}
	if date != "" {
		c.Fields = []pipeline.Field{{Name: "date", Type: "date", Value: date}}
	}
	if err := f.st.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: c}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: d.ID, Identifiers: f.idents}); err != nil {
		t.Fatal(err)
	}
	f.idents = nil
	return d.ID
}

func (f *fixture) search(t *testing.T, r Request) *Response {
	t.Helper()
	if !r.Scope.All && r.Scope.Departments == nil {
		r.Scope = pipeline.ScopeAll
	}
	res, err := f.ix.Search(context.Background(), r)
	if err != nil {
		t.Fatalf("Search(%+v): %v", r, err)
	}
	return res
}

func ids(res *Response) []int64 {
	out := []int64{}
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	return out
}

func TestSearch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	hoa := f.add(t, "decision", "2024-03-20", "Ủy ban nhân dân tỉnh Thanh Hóa\nQuyết định số 56/2007/NĐ-CP về việc cấp giấy phép")
	plain := f.add(t, "report", "2023-01-05", "Bao cao tinh hinh Thanh Hoa nam 2023")
	nfd := f.add(t, "decision", "", norm.NFD.String("Giấy chứng nhận quyền sử dụng đất số 079203001234"))
	eng := f.add(t, "report", "2024-07-01", "Annual report on public service delivery", "Second page mentions Hanoi")
	if err := f.in.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.ix.Count(); n != 4 {
		t.Fatalf("index holds %d documents, want 4", n)
	}
	d, _ := f.st.DocumentGetByID(ctx, hoa)
	if d.State != pipeline.StateIndexed {
		t.Errorf("state after indexing: %s", d.State)
	}

	tests := []struct {
		q    string
		want []int64
	}{
		{"Thanh Hóa", []int64{hoa, plain}}, // the exact form first
		{"thanh hoa", []int64{plain, hoa}}, // typed without marks: both
		{norm.NFD.String("Thanh Hóa"), []int64{hoa, plain}},
		{"quyen su dung dat", []int64{nfd}},
		{"đất", []int64{nfd}},
		{"079203001234", []int64{nfd}},
		{"56/2007/NĐ-CP", []int64{hoa}},
		{`"giấy phép"`, []int64{hoa}},
		{`"phép giấy"`, []int64{}},
		{"thanh -báo", []int64{hoa}},
		{"Hanoi OR 079203001234", []int64{nfd, eng}},
		{"type:report", []int64{plain, eng}},
		{"type:report hanoi", []int64{eng}},
		{"nothing-like-this", []int64{}},
		{"deliveries", []int64{eng}}, // English stemming
		{"thanh AND hoa", []int64{plain, hoa}},
		{"language:en", []int64{eng}},
		{"date:2024-01-01..2024-06-30", []int64{hoa}},
		{"date:..2023-12-31 thanh", []int64{plain}},
		{"date:2024-07-01", []int64{eng}},
	}
	for _, tt := range tests {
		got := ids(f.search(t, Request{Query: tt.q}))
		if tt.q == "Hanoi OR 079203001234" || tt.q == "type:report" {
			// order does not matter here
			if len(got) == 2 && got[0] > got[1] {
				got[0], got[1] = got[1], got[0]
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Search(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}

	res := f.search(t, Request{Query: "Thanh Hóa"})
	if h := res.Hits[0].Highlights; len(h) == 0 || !strings.Contains(h[0], "<mark>Thanh</mark> <mark>Hóa</mark>") {
		t.Errorf("highlights %q", h)
	}
	if res.Hits[0].Type != "decision" || res.Hits[0].Filename != "doc1.pdf" || res.Hits[0].Date != "2024-03-20" {
		t.Errorf("hit %+v", res.Hits[0])
	}
	res = f.search(t, Request{Facets: true})
	if fmt.Sprint(res.Facets["language"]) != "[{vi 3} {en 1}]" {
		t.Errorf("language facet %v", res.Facets["language"])
	}
	if res.Total != 4 || fmt.Sprint(res.Facets["type"]) != "[{decision 2} {report 2}]" || fmt.Sprint(res.Facets["year"]) != "[{2024 2} {2023 1} {"+fmt.Sprint(time.Now().Year())+" 1}]" {
		t.Errorf("facets %v", res.Facets)
	}
	res = f.search(t, Request{Type: "report", From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	if fmt.Sprint(ids(res)) != fmt.Sprint([]int64{eng}) {
		t.Errorf("filtered by type and date: %v", ids(res))
	}
	for _, q := range []string{`"open`, "date:yesterday", "type:", "date:2024-13-01..abc"} {
		if _, err := f.ix.Search(ctx, Request{Query: q}); pipeline.ErrorCode(err) != pipeline.EINVALID {
			t.Errorf("Search(%q): %v, want an invalid query", q, err)
		}
	}
}

func TestPaging(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 7; i++ {
		f.add(t, "report", fmt.Sprintf("2024-01-%02d", i+1), fmt.Sprintf("báo cáo số %d về hồ sơ", i))
	}
	if err := f.in.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, sort := range []string{"relevance", "date", "date-asc"} {
		seen := map[int64]bool{}
		var order []int64
		after := ""
		for page := 0; page < 10; page++ {
			res := f.search(t, Request{Query: "hồ sơ", Sort: sort, Size: 3, After: after})
			for _, id := range ids(res) {
				if seen[id] {
					t.Fatalf("%s: document %d on two pages", sort, id)
				}
				seen[id] = true
				order = append(order, id)
			}
			if res.Next == "" {
				break
			}
			after = res.Next
		}
		if len(seen) != 7 {
			t.Errorf("%s: paging saw %d documents, want 7 (%v)", sort, len(seen), order)
		}
		if sort == "date" && (order[0] != 7 || order[6] != 1) {
			t.Errorf("newest first: %v", order)
		}
	}
	if _, err := f.ix.Search(context.Background(), Request{After: "garbage"}); pipeline.ErrorCode(err) != pipeline.EINVALID {
		t.Errorf("bad cursor: %v", err)
	}
}

// TestIndexerCrash: the high-water mark travels with the documents, so an
// index reopened after a stop resumes where it was, and a document the
// feed names again is replaced, not doubled.
func TestIndexerCrash(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, _, err := sqlite.OpenStore(ctx, filepath.Join(dir, "hoso.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	path := filepath.Join(dir, "index")
	ix, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, ix: ix, in: &Indexer{Index: ix, Store: st, BatchSize: 2}}
	f.bat, _ = st.BatchCreate(ctx, pipeline.BatchCreateParams{Name: "b"})
	for i := 0; i < 5; i++ {
		f.add(t, "report", "", fmt.Sprintf("trang %d", i))
	}
	if n, err := f.in.Once(ctx); err != nil || n != 2 {
		t.Fatalf("Once = %d, %v", n, err)
	}
	hwm, _ := ix.HighWaterMark()
	if err := ix.Close(); err != nil { // the process stops between batches
		t.Fatal(err)
	}
	// ... and the first document's state did not follow the index: the
	// process was killed between the index's write and the database's.
	if _, err := st.DB().Exec(ctx, `UPDATE document SET state = 'checked' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}

	if _, err := Open(path + "-other"); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if again, _ := ix.HighWaterMark(); again != hwm || hwm.Seq != 2 {
		t.Errorf("high-water mark %d after reopening, %d before", again, hwm)
	}
	f.ix, f.in = ix, &Indexer{Index: ix, Store: st, BatchSize: 2} // a new process
	if err := f.in.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.Count(); n != 5 {
		t.Errorf("%d documents after resuming, want 5", n)
	}
	for id := int64(1); id <= 5; id++ {
		if d, err := st.DocumentGetByID(ctx, id); err != nil || d.State != pipeline.StateIndexed {
			t.Errorf("document %d after resuming: %v %v, want indexed", id, d.State, err)
		}
	}
	if _, err := Open(path); err != ErrInUse {
		t.Errorf("second open of a held index: %v, want ErrInUse", err)
	}
}

// TestReindexUnderLoad builds a new generation while searches run, and
// swaps it in without a failed or partial answer.
func TestReindexUnderLoad(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := 0; i < 40; i++ {
		f.add(t, "report", "", fmt.Sprintf("hồ sơ số %d của phường", i))
	}
	if err := f.in.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	// The searcher is under way before the reindex starts: a goroutine
	// the scheduler had not run yet on a busy machine once saw the whole
	// reindex (tens of milliseconds) go by. Only the searches begun after
	// the reindex began count.
	searching := make(chan struct{})
	var reindexing atomic.Bool
	searches := 0
	go func() {
		for first := true; ; first = false {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			during := reindexing.Load()
			res, err := f.ix.Search(ctx, Request{Query: "hồ sơ", Scope: pipeline.ScopeAll})
			if err != nil {
				done <- err
				return
			}
			if res.Total != 40 {
				done <- fmt.Errorf("a search during the reindex found %d documents, want 40", res.Total)
				return
			}
			if during {
				searches++
			}
			if first {
				close(searching)
			}
		}
	}()
	select {
	case <-searching:
	case err := <-done:
		t.Fatal(err)
	}
	reindexing.Store(true)
	res, err := f.ix.Reindex(ctx, f.st)
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err != nil || res.Documents != 40 || res.Generation != 2 || f.ix.Generation() != 2 {
		t.Fatalf("Reindex = %+v, %v", res, err)
	}
	if searches == 0 {
		t.Error("no search ran during the reindex")
	}
	// A change after the reindex reaches the new generation.
	f.add(t, "report", "", "hồ sơ mới")
	if err := f.in.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.ix.Count(); n != 41 {
		t.Errorf("%d documents after a change, want 41", n)
	}
	t.Logf("%d searches answered during the reindex of %d documents (%v)", searches, res.Documents, res.Elapsed)
}

// TestFileNameFound: an officer finds a file by its name or a part of it
// ("art156", the whole "91_2015_QH13_art156"), with or without the
// diacritics of a Vietnamese name; a phrase does not run from the end of
// the text into the name.
func TestFileNameFound(t *testing.T) {
	f := newFixture(t)
	f.name = "91_2015_QH13_art156.txt"
	art := f.add(t, "law", "", "Người nào phạm tội thì bị phạt tù.")
	f.name = "Quyết định giao đất.pdf"
	land := f.add(t, "decision", "", "Ủy ban nhân dân phường giao đất cho hộ gia đình.")
	f.add(t, "law", "", "Điều khoản khác về đất đai.")
	f.drain(t)
	for q, want := range map[string]int64{"art156": art, "91_2015_QH13_art156": art, "91_2015_QH13_art156.txt": art,
		"quyet dinh giao dat": land, `"quyết định giao đất"`: land} {
		res := f.search(t, Request{Query: q})
		if len(res.Hits) == 0 || res.Hits[0].ID != want {
			t.Errorf("search %s: %+v, want document %d first", q, res.Hits, want)
		}
	}
	if res := f.search(t, Request{Query: `"phạt tù 91"`}); res.Total != 0 {
		t.Errorf("a phrase across the text and the name found %d documents", res.Total)
	}
}
