package extract

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hoso/internal/fixture"
	"hoso/pipeline"
)

func texts(pages []PageText) []string {
	out := make([]string, len(pages))
	for i, p := range pages {
		out[i] = strings.TrimSpace(p.Text)
	}
	return out
}

func TestDOCX(t *testing.T) {
	body := `<w:p><w:r><w:t>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">Số: </w:t></w:r><w:r><w:t>12/2024/QĐ-UBND</w:t></w:r><w:r><w:tab/><w:t>Hà Nội</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Họ tên</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Nguyễn Văn An</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><w:delText>deleted</w:delText><w:br w:type="page"/><w:t>Trang hai</w:t><w:br/><w:t>dòng ba</w:t></w:r></w:p>`
	b := docxOf(t, body)
	pages, err := DOCX(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSố: 12/2024/QĐ-UBND\tHà Nội\nHọ tên\tNguyễn Văn An", "Trang hai\ndòng ba"}
	if diff := cmp.Diff(want, texts(pages)); diff != "" {
		t.Errorf("DOCX pages (-want +got):\n%s", diff)
	}
}

func TestDOCXDamaged(t *testing.T) {
	for name, b := range map[string][]byte{
		"not a zip":      []byte("PK\x03\x04garbage"),
		"no document":    fixture.Zip("word/other.xml", "<x/>"),
		"malformed xml":  fixture.Zip("word/document.xml", "<w:document><w:body><w:p>"),
		"truncated file": docxOf(t, "<w:p/>")[:100],
	} {
		_, err := DOCX(bytes.NewReader(b), int64(len(b)))
		if code := pipeline.ErrorCode(err); code != pipeline.ECORRUPT {
			t.Errorf("%s: DOCX error %v, want code %s", name, err, pipeline.ECORRUPT)
		}
	}
}

// TestDOCXCorpus reads every Word file of the corpus: each gives text or a
// clerk's reason, never an internal error.
func TestDOCXCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpus(t, "docx"), "*.docx"))
	withText := 0
	for _, f := range files {
		res, err := File(t.Context(), f, Options{})
		if code := pipeline.ErrorCode(err); code == pipeline.EINTERNAL {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
		if err == nil && res.MIME == MIMEDOCX && res.Quality > 0.8 {
			withText++
		}
	}
	if withText < len(files)/2 {
		t.Errorf("%d of %d corpus DOCX files gave good text", withText, len(files))
	}
	b, _ := os.ReadFile(filepath.Join(corpus(t, "docx"), "par-known-paragraphs.docx"))
	pages, err := DOCX(bytes.NewReader(b), int64(len(b)))
	if err != nil || !strings.Contains(pages[0].Text, "paragraph") {
		t.Errorf("par-known-paragraphs.docx: %q, %v", texts(pages), err)
	}
}

func TestODT(t *testing.T) {
	body := `<text:h>QUYẾT ĐỊNH</text:h><text:p>Về việc<text:s text:c="3"/>cấp<text:tab/>giấy phép<text:line-break/>xây dựng</text:p>
<office:annotation><text:p>ghi chú</text:p></office:annotation>
<text:soft-page-break/><text:p>Điều 1. <text:span>Cho phép</text:span></text:p>`
	b := odtOf(t, body)
	pages, err := ODT(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"QUYẾT ĐỊNH\nVề việc   cấp\tgiấy phép\nxây dựng", "Điều 1. Cho phép\n\n[comments]\nghi chú"}
	if diff := cmp.Diff(want, texts(pages)); diff != "" {
		t.Errorf("ODT pages (-want +got):\n%s", diff)
	}
}

func TestHTML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"blocks and inline", `<html><head><title>Thông báo</title><style>p{}</style><script>var x="<p>no</p>";</script></head>
<body><h1>Thông   báo</h1><p>Về việc <b>nộp</b> hồ sơ&nbsp;trực tuyến</p><ul><li>Một</li><li>Hai</li></ul>
<table><tr><td>Họ tên</td><td>Trần Thị Bình</td></tr></table></body></html>`,
			"Thông báo\nThông báo\nVề việc nộp hồ sơ trực tuyến\nMột\nHai\nHọ tên Trần Thị Bình"},
		{"pre keeps spaces", "<body><pre>a  b\n c</pre></body>", "a  b\n c"},
		{"entities", "<p>A &amp; B &lt; C</p>", "A & B < C"},
		{"windows-1258 meta", "<html><head><meta charset=\"windows-1258\"></head><body><p>Quy\xea\xect \xf0i\xf2nh</p></body></html>", "Quyết định"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages, err := HTML(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := normalize(pages[0].Text); got != tt.want {
				t.Errorf("HTML text = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzDOCX(f *testing.F) {
	f.Add(docxOf(f, `<w:p><w:r><w:t>x</w:t></w:r></w:p>`))
	f.Add([]byte("PK\x03\x04"))
	limitXMLPart(f) // a small bomb must not stall the fuzzer
	f.Fuzz(func(t *testing.T, b []byte) {
		pages, err := DOCX(bytes.NewReader(b), int64(len(b)))
		if err != nil && pipeline.ErrorCode(err) == pipeline.EINTERNAL {
			t.Fatalf("DOCX: internal error %v", err)
		}
		if err == nil && len(pages) == 0 {
			t.Fatal("DOCX: no pages and no error")
		}
	})
}

func FuzzODT(f *testing.F) {
	f.Add(odtOf(f, `<text:p>x<text:s text:c="2"/>y</text:p>`))
	limitXMLPart(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ODT(bytes.NewReader(b), int64(len(b)))
		if err != nil && pipeline.ErrorCode(err) == pipeline.EINTERNAL {
			t.Fatalf("ODT: internal error %v", err)
		}
	})
}

func FuzzHTML(f *testing.F) {
	f.Add([]byte("<p>a<b>b</b></p><script>x</script>"))
	f.Add([]byte("<pre>a\n b</pre><td>x</td>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pages, err := HTML(bytes.NewReader(b))
		if err != nil || len(pages) != 1 {
			t.Fatalf("HTML: %d pages, %v", len(pages), err)
		}
	})
}

func limitXMLPart(f *testing.F) {
	old := maxXMLPart
	maxXMLPart = 1 << 20
	f.Cleanup(func() { maxXMLPart = old })
}

// TestHTMLManyParagraphs: a page of many short paragraphs, each ending in
// a space, is read in one pass: the space before each block was trimmed
// by copying all the text read so far, so a page of 80,000 paragraphs
// copied some 6 GB (4 s) and a report of a few MB timed out.
func TestHTMLManyParagraphs(t *testing.T) {
	page := strings.Repeat("Điều khoản <p>", 80_000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	pages, err := HTML(strings.NewReader(page))
	runtime.ReadMemStats(&after)
	if err != nil || len(pages) != 1 || strings.Count(pages[0].Text, "\n") != 80_000-1 {
		t.Fatalf("HTML = %d pages, %v", len(pages), err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("reading a page of %d KB allocated %d MB, want under 64 MB", len(page)>>10, alloc>>20)
	}
}

// TestDOCXLongTable: a register of 20,000 rows is read in one pass: each
// cell and row trimmed its trailing space by copying all the text read so
// far, so such a table took 24 s and a longer one timed out.
func TestDOCXLongTable(t *testing.T) {
	row := `<w:tr><w:tc><w:p><w:r><w:t>Nguyễn Văn An </w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>12 Lê Lợi</w:t></w:r></w:p></w:tc></w:tr>`
	b := docxOf(t, `<w:tbl>`+strings.Repeat(row, 20_000)+`</w:tbl>`)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	pages, err := DOCX(bytes.NewReader(b), int64(len(b)))
	runtime.ReadMemStats(&after)
	if err != nil || len(pages) != 1 || !strings.HasPrefix(pages[0].Text, "Nguyễn Văn An\t12 Lê Lợi\nNguyễn") || strings.Count(pages[0].Text, "\n") != 20_000-1 {
		t.Fatalf("DOCX = %d pages, %v", len(pages), err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 128<<20 {
		t.Errorf("reading a table of 20,000 rows allocated %d MB, want under 128 MB", alloc>>20)
	}
}
