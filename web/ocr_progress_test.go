package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"hoso/pipeline"
	"hoso/web"
)

// TestBatchOCRProgress: while OCR reads a document, the batch page and
// the API say how many of its pages are read, in the page's language;
// once the document moves on, they no longer do.
func TestBatchOCRProgress(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	b := f.batch["land"]
	doc, err := f.store.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: b, Filename: "scan.pdf", Path: "scan.pdf",
		SHA256: strings.Repeat("ab", 32), Size: 42, MIME: "application/pdf"})
	if err != nil {
		t.Fatal(err)
	}
	d := doc.ID
	if moved, err := f.store.DocumentNeedsOCR(ctx, d); err != nil || !moved {
		t.Fatalf("DocumentNeedsOCR: %v, %v", moved, err)
	}
	if err := f.store.OCRProgressSet(ctx, d, 3, 12); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/batches/%d", b)
	for lang, want := range map[string][]string{
		"vi": {"đã đọc 3/12 trang", "Nhận dạng chữ (OCR): đã đọc 3/12 trang"},
		"en": {"3 of 12 pages read", "OCR: 3 of 12 pages read"},
	} {
		resp, body := f.do("clerk-land", "GET", path, nil, "Cookie", "hoso_lang="+lang)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s page lacks %q", lang, w)
			}
		}
	}
	_, body := f.do("clerk-land", "GET", fmt.Sprintf("/api/v1/batches/%d", b), nil)
	var st web.BatchStatus
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if p := st.OCR[d]; p.Done != 3 || p.Total != 12 || st.OCRPages.Total != 12 {
		t.Errorf("API: ocr %v, ocr_pages %v", st.OCR, st.OCRPages)
	}
	// read: the document leaves OCR, and the figure leaves the page
	if err := f.store.OCRProgressSet(ctx, d, 12, 12); err != nil {
		t.Fatal(err)
	}
	if err := f.store.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d, MIME: "application/pdf", Language: "vi",
		Pages: []pipeline.Page{{Number: 1, Text: "Biên bản", Quality: 1, Extractor: "ocr"}}, Quality: 1, Extractor: "ocr"}); err != nil {
		t.Fatal(err)
	}
	if _, body := f.do("clerk-land", "GET", path, nil, "Cookie", "hoso_lang=en"); strings.Contains(body, "pages read") {
		t.Errorf("the page still shows OCR progress after OCR")
	}
}
