package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"hoso/pipeline"
	"hoso/search"
	"hoso/web"
)

// TestDocumentIndexedInPart: the page of a document whose text is longer
// than search reads word by word says so, in the page's language; a
// shorter one says nothing of it.
func TestDocumentIndexedInPart(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	d, err := f.store.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: f.batch["land"], Filename: "register.csv",
		Path: "register.csv", SHA256: strings.Repeat("ab", 32), Size: 1, MIME: "text/plain"})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("Nghị định về việc thành lập phường. ", search.MaxIndexedText/30)
	if err := f.store.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, MIME: "text/plain", Language: "vi",
		Pages: []pipeline.Page{{Number: 1, Text: text, Quality: 1, Extractor: "text"}}, Quality: 1, Extractor: "text"}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: pipeline.Classification{
		Type: "register", Department: "land", Rule: "test"}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"vi": "Tra cứu lập chỉ mục đầy đủ 1.0 MB đầu", "en": "Search indexes the first 1.0 MB of this text in full"}
	for lang, w := range want {
		for id, long := range map[int64]bool{d.ID: true, f.doc["land"]: false} {
			resp, body := f.do("clerk-land", "GET", fmt.Sprintf("/documents/%d", id), nil, "Cookie", "hoso_lang="+lang)
			if resp.StatusCode != 200 {
				t.Fatalf("document %d: %d", id, resp.StatusCode)
			}
			if strings.Contains(body, w) != long {
				t.Errorf("%s page of a document of %d bytes: says %q: %v, want %v", lang, len(text), w, !long, long)
			}
		}
	}
}

// TestDocumentTextPaged: a document of many pages shows its text fifty
// pages at a time, with the way to the pages before and after in the
// page's language; a short one shows every page and no such links.
func TestDocumentTextPaged(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	d, err := f.store.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: f.batch["land"], Filename: "so-dia-chinh.pdf",
		Path: "so-dia-chinh.pdf", SHA256: strings.Repeat("cd", 32), Size: 1, MIME: "application/pdf"})
	if err != nil {
		t.Fatal(err)
	}
	var pages []pipeline.Page
	for i := range 120 {
		pages = append(pages, pipeline.Page{Number: i + 1, Text: fmt.Sprintf("Thửa đất số %d-ĐẤT", i+1), Quality: 1, Extractor: "pdf"})
	}
	if err := f.store.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, MIME: "application/pdf", Language: "vi",
		Pages: pages, Quality: 1, Extractor: "pdf"}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: pipeline.Classification{
		Type: "register", Department: "land", Rule: "test"}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from            string
		first, last     int
		shown, prev, nx string
	}{
		{"", 1, 50, "Trang 1–50 trên tổng số 120", "", "?from=51"},
		{"51", 51, 100, "Trang 51–100 trên tổng số 120", "?from=1", "?from=101"},
		{"101", 101, 120, "Trang 101–120 trên tổng số 120", "?from=51", ""},
		{"9999", 1, 50, "Trang 1–50 trên tổng số 120", "", "?from=51"},
	} {
		resp, body := f.do("clerk-land", "GET", fmt.Sprintf("/documents/%d?from=%s", d.ID, c.from), nil, "Cookie", "hoso_lang=vi")
		if resp.StatusCode != 200 {
			t.Fatalf("from %q: %d", c.from, resp.StatusCode)
		}
		for n := 1; n <= 120; n++ {
			shown := strings.Contains(body, fmt.Sprintf("Thửa đất số %d-ĐẤT<", n))
			if want := n >= c.first && n <= c.last; shown != want {
				t.Errorf("from %q: page %d shown %v, want %v", c.from, n, shown, want)
				break
			}
		}
		if !strings.Contains(body, c.shown) || strings.Contains(body, `href="?from=`) != (c.prev != "" || c.nx != "") {
			t.Errorf("from %q: the page does not say %q or has the wrong links", c.from, c.shown)
		}
		for _, link := range []string{c.prev, c.nx} {
			if link != "" && !strings.Contains(body, `href="`+link+`#text-h"`) {
				t.Errorf("from %q: no link to %s", c.from, link)
			}
		}
		if !strings.Contains(body, "Các trang sau") && c.nx != "" {
			t.Errorf("from %q: the link to the next pages is not in Vietnamese", c.from)
		}
	}
	_, body := f.do("clerk-land", "GET", fmt.Sprintf("/documents/%d", f.doc["land"]), nil, "Cookie", "hoso_lang=vi")
	if strings.Contains(body, "?from=") || strings.Contains(body, "trên tổng số") {
		t.Error("a short document's page has page links")
	}
}
