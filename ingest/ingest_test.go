package ingest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hoso/extract"
	"hoso/ingest"
	"hoso/internal/fixture"
	"hoso/pipeline"
	"hoso/pipeline/sqlite/sqlitetest"
)

func newIngester(t *testing.T, limits ingest.Limits) *ingest.Ingester {
	t.Helper()
	st, _, blobs := sqlitetest.Open(t)
	return &ingest.Ingester{Store: st, Blobs: blobs, Limits: limits}
}

func write(t *testing.T, dir, rel string, b []byte) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

type result struct {
	Path string
	Doc  bool
	Dup  bool
	Code string
}

func results(s *ingest.Upload) []result {
	var out []result
	for _, o := range s.Outcomes {
		out = append(out, result{Path: o.Path, Doc: o.Accepted(), Dup: o.DuplicateOf != nil, Code: o.Code})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func TestAddPathFolderAndArchives(t *testing.T) {
	in := newIngester(t, ingest.Limits{})
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "ho-so")
	write(t, src, "don de nghi.txt", []byte("Đơn đề nghị cấp giấy phép"))
	write(t, src, "phuong 5/bien ban.txt", []byte("Biên bản họp"))
	write(t, src, "copy.txt", []byte("Đơn đề nghị cấp giấy phép"))
	write(t, src, "empty.txt", nil)
	write(t, src, "scan.zip", fixture.Zip("a/1.txt", "một", "../../evil.txt", "x", "inner.zip", string(fixture.Zip("2.txt", "hai"))))
	s, err := in.Begin(ctx, "Phường 5")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddPath(ctx, src); err != nil {
		t.Fatal(err)
	}
	want := []result{
		{Path: "ho-so/copy.txt", Doc: true, Dup: true},
		{Path: "ho-so/don de nghi.txt", Doc: true},
		{Path: "ho-so/empty.txt", Doc: true},
		{Path: "ho-so/phuong 5/bien ban.txt", Doc: true},
		{Path: "ho-so/scan.zip/../../evil.txt", Code: pipeline.EUNSAFE},
		{Path: "ho-so/scan.zip/a/1.txt", Doc: true},
		{Path: "ho-so/scan.zip/inner.zip/2.txt", Doc: true},
	}
	// copy.txt is walked before "don de nghi.txt", so one of the two is
	// the duplicate: check the pair, not which.
	got := results(s)
	if got[0].Dup == got[1].Dup {
		t.Errorf("exactly one of copy.txt and don de nghi.txt must be the duplicate: %+v", got[:2])
	}
	got[0].Dup, got[1].Dup = true, false
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	docs, err := in.Store.DocumentListByBatch(ctx, s.Batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 6 {
		t.Fatalf("%d documents, want 6", len(docs))
	}
	for _, d := range docs {
		if d.Filename != filepath.Base(d.Path) || d.State != pipeline.StateReceived {
			t.Errorf("document %+v", d)
		}
		if d.Path == "ho-so/scan.zip/a/1.txt" && d.MIME != "text/plain" {
			t.Errorf("1.txt sniffed as %q", d.MIME)
		}
	}
	rej, _ := in.Store.RejectionListByBatch(ctx, s.Batch.ID)
	if len(rej) != 1 || !strings.Contains(rej[0].Reason, "zip-slip") {
		t.Errorf("rejections %+v", rej)
	}
}

func TestLimits(t *testing.T) {
	in := newIngester(t, ingest.Limits{MaxFileSize: 100, MaxBatchSize: 250, MaxDepth: 1})
	ctx := context.Background()
	s, err := in.Begin(ctx, "limits")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ name, body string }{
		{"big.txt", strings.Repeat("x", 101)},
		{"a.txt", strings.Repeat("a", 100)},
		{"b.txt", strings.Repeat("b", 100)},
		{"c.txt", strings.Repeat("c", 100)}, // over the batch limit
		{"nested.zip", string(fixture.Zip("in.zip", string(fixture.Zip("x.txt", "x"))))},
	} {
		if err := s.Add(ctx, f.name, strings.NewReader(f.body)); err != nil {
			t.Fatalf("Add(%s): %v", f.name, err)
		}
	}
	got := results(s)
	want := []result{
		{Path: "a.txt", Doc: true},
		{Path: "b.txt", Doc: true},
		{Path: "big.txt", Code: pipeline.ETOOLARGE},
		{Path: "c.txt", Code: pipeline.ETOOLARGE},
		{Path: "nested.zip", Code: pipeline.ETOOLARGE},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	s2, _ := newIngester(t, ingest.Limits{MaxDepth: 1}).Begin(ctx, "depth")
	if err := s2.Add(ctx, "nested.zip", bytes.NewReader(fixture.Zip("in.zip", string(fixture.Zip("x.txt", "x"))))); err != nil {
		t.Fatal(err)
	}
	if got := results(s2); len(got) != 1 || got[0].Path != "nested.zip/in.zip" || got[0].Code != pipeline.EUNSAFE {
		t.Errorf("nested archive: %+v", got)
	}
}

// TestHostileArchives adds hostile archives, the ones built here and the
// corpus's: zip-slip entries are refused with a reason, never stored.
func TestHostileArchives(t *testing.T) {
	hostile, err := fixture.Write(t.TempDir(), fixture.Hostile())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("built", func(t *testing.T) { testHostileArchives(t, hostile, 3) })
	t.Run("corpus", func(t *testing.T) {
		dir := filepath.Join("..", "..", "shared", "corpus", "archives")
		if _, err := os.Stat(dir); err != nil {
			t.Skipf("corpus not found: %v", err)
		}
		testHostileArchives(t, dir, 5)
	})
}

func testHostileArchives(t *testing.T, dir string, minRefused int) {
	in := newIngester(t, ingest.Limits{})
	ctx := context.Background()
	s, _ := in.Begin(ctx, "hostile archives")
	if err := s.AddPath(ctx, dir); err != nil {
		t.Fatal(err)
	}
	var docs, refused int
	for _, o := range s.Outcomes {
		if o.Accepted() {
			docs++
			if strings.Contains(o.Path, "..") {
				t.Errorf("a zip-slip entry became a document: %s", o.Path)
			}
		} else {
			refused++
			if o.Reason == "" || o.Code == "" {
				t.Errorf("refused without a reason: %+v", o)
			}
		}
	}
	if docs == 0 || refused < minRefused {
		t.Errorf("%d documents and %d refusals from the hostile archives", docs, refused)
	}
}

// TestExecutablesRefused: setup.exe was stored as a document. Programs and
// formats the office cannot read are refused by content, whatever their
// name, with a reason; documents beside them go through.
func TestExecutablesRefused(t *testing.T) {
	ctx := context.Background()
	in := newIngester(t, ingest.Limits{})
	s, err := in.Begin(ctx, "programs")
	if err != nil {
		t.Fatal(err)
	}
	pe := append([]byte("MZ"), make([]byte, 0x3a)...)
	pe = append(pe, 0x40, 0, 0, 0)
	pe = append(append(pe, "PE\x00\x00"...), make([]byte, 200)...)
	elf, _ := os.ReadFile("/proc/self/exe")
	files := []struct {
		name string
		body []byte
		code string
	}{
		{"setup.exe", pe, pipeline.EUNSAFE},
		{"don-xin-phep.pdf", pe, pipeline.EUNSAFE}, // a program named as a document
		{"tool", elf[:min(len(elf), 8192)], pipeline.EUNSAFE},
		{"cai-dat.sh", []byte("#!/bin/sh\nrm -rf /\n"), pipeline.EUNSAFE},
		{"ghi-am.pdf", append([]byte("RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"), make([]byte, 600)...), pipeline.EUNSUPPORTED},
		{"hong.pdf", []byte("\x00\x01 not a PDF any more, its header lost"), ""}, // damaged: a document that will fail with its reason
		{"ghi-chu.txt", []byte("Biên bản họp ngày 5 tháng 7."), ""},
	}
	for _, f := range files {
		if err := s.Add(ctx, f.name, bytes.NewReader(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	for i, o := range s.Outcomes {
		if o.Code != files[i].code {
			t.Errorf("%s: code %q (%s), want %q", o.Path, o.Code, o.Reason, files[i].code)
		}
		if o.Code != "" && (o.DocumentID != 0 || o.Reason == "") {
			t.Errorf("%s refused without a reason, or stored as a document: %+v", o.Path, o)
		}
	}
}

// TestAttach: an e-mail's attachment is stored as an upload's file is,
// without touching the store: an archive's files become documents to
// create, its unsafe entries rejections, a plain attachment one
// document; the batch limit holds across the attachments and counts
// from what the batch holds, the nesting limit from the e-mail's depth.
func TestAttach(t *testing.T) {
	st, _, blobs := sqlitetest.Open(t)
	zip := fixture.Zip("don.txt", "Đơn đề nghị", "../evil.txt", "escape", "zeros.txt", strings.Repeat("\x00", 2<<20))
	in := &ingest.Ingester{Blobs: blobs, Limits: ingest.Limits{MaxBatchSize: int64(len(zip)) + 400_000}}
	ctx := context.Background()
	var a ingest.Attached
	if err := in.Attach(ctx, &a, 7, "thu.eml/ho-so.zip", bytes.NewReader(zip)); err != nil {
		t.Fatal(err)
	}
	if err := in.Attach(ctx, &a, 7, "thu.eml/ghi-chu.txt", strings.NewReader(strings.Repeat("x", 400_001))); err != nil {
		t.Fatal(err)
	}
	var docs, refused []string
	for _, d := range a.Documents {
		docs = append(docs, d.Path)
		if d.BatchID != 7 || len(d.SHA256) != 64 {
			t.Errorf("%s: batch %d, sha256 %q", d.Path, d.BatchID, d.SHA256)
		}
	}
	for _, r := range a.Rejections {
		refused = append(refused, r.Path+" "+r.Code)
	}
	if want := []string{"thu.eml/ho-so.zip/don.txt"}; !cmp.Equal(docs, want) {
		t.Errorf("documents %q, want %q", docs, want)
	}
	want := []string{"thu.eml/ho-so.zip/../evil.txt " + pipeline.EUNSAFE, "thu.eml/ho-so.zip/zeros.txt " + pipeline.EUNSAFE, "thu.eml/ghi-chu.txt " + pipeline.ETOOLARGE}
	if !cmp.Equal(refused, want) {
		t.Errorf("rejections %q, want %q", refused, want)
	}
	if n, err := st.DocumentList(ctx, pipeline.DocumentListParams{Limit: 10}); err != nil || len(n) != 0 {
		t.Errorf("the store holds %d documents (%v), want none", len(n), err)
	}
	if want := "with this e-mail's attachments"; !strings.Contains(a.Rejections[2].Reason, want) {
		t.Errorf("refusal %q does not say %q", a.Rejections[2].Reason, want)
	}

	// The limits start from what the batch holds and how deep the e-mail
	// is: a batch already full refuses the first attachment, and an
	// e-mail two containers deep does not unpack an archive.
	full := ingest.Attached{Used: in.Limits.MaxBatchSize}
	if err := in.Attach(ctx, &full, 7, "thu.eml/ghi-chu.txt", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if len(full.Documents) != 0 || len(full.Rejections) != 1 || full.Rejections[0].Code != pipeline.ETOOLARGE {
		t.Errorf("an attachment to a full batch: %+v", full)
	}
	deep := ingest.Attached{Depth: 2}
	if err := in.Attach(ctx, &deep, 7, "a.eml/b.eml/c.eml/ho-so.zip", bytes.NewReader(zip)); err != nil {
		t.Fatal(err)
	}
	if len(deep.Documents) != 0 || len(deep.Rejections) != 1 || !strings.Contains(deep.Rejections[0].Reason, "nested more than 2 deep") {
		t.Errorf("an archive in an e-mail two deep: %+v", deep)
	}
	plain := ingest.Attached{Depth: 2}
	if err := in.Attach(ctx, &plain, 7, "a.eml/b.eml/c.eml/don.txt", strings.NewReader("Đơn")); err != nil || len(plain.Documents) != 1 || plain.Used != int64(len("Đơn")) {
		t.Errorf("a plain attachment two deep: %+v, %v", plain, err)
	}
}

// TestDamagedArchiveKept: an archive that cannot be opened is kept as a
// damaged document is — a document that failed with its reason, its
// original in the batch — not only listed as refused; read again, it
// says the same.
func TestDamagedArchiveKept(t *testing.T) {
	in := newIngester(t, ingest.Limits{})
	ctx := context.Background()
	s, err := in.Begin(ctx, "damaged")
	if err != nil {
		t.Fatal(err)
	}
	zip := fixture.Zip("don.txt", "Đơn đề nghị cấp phép")
	broken := append(append([]byte{}, zip[:30]...), bytes.Repeat([]byte{0xAB}, 200)...) // a local header, then junk: no directory
	if err := s.Add(ctx, "ho-so.zip", bytes.NewReader(broken)); err != nil {
		t.Fatal(err)
	}
	if len(s.Outcomes) != 1 || s.Outcomes[0].DocumentID == 0 || s.Outcomes[0].Code != pipeline.ECORRUPT {
		t.Fatalf("outcomes %+v, want the archive kept as a failed document", s.Outcomes)
	}
	d, err := in.Store.DocumentGetByID(ctx, s.Outcomes[0].DocumentID)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != pipeline.StateFailed || d.ErrorCode != pipeline.ECORRUPT || !strings.Contains(d.Error, "damaged") || d.Size != int64(len(broken)) {
		t.Errorf("document %+v", d)
	}
	rejs, err := in.Store.RejectionListByBatch(ctx, s.Batch.ID)
	if err != nil || len(rejs) != 0 {
		t.Errorf("rejections %+v, %v; want none", rejs, err)
	}
	p, err := in.Blobs.Path(ctx, d.SHA256)
	if err != nil {
		t.Fatalf("the original is not kept: %v", err)
	}
	if _, err := extract.File(ctx, p, extract.Options{}); pipeline.ErrorCode(err) != pipeline.ECORRUPT {
		t.Errorf("read again: %v, want it damaged", err)
	}
}
