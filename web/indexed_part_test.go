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
