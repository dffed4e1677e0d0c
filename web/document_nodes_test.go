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

// TestDocumentSearchNodes: the document's page and API say which search
// nodes hold the document as it is now, in the page's language; a change
// to the document is held by none until they read it.
func TestDocumentSearchNodes(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	d := f.doc["land"]
	page, err := f.store.ChangeFeedAfter(ctx, pipeline.FeedPosition{}, 100)
	if err != nil || len(page.Changes) == 0 {
		t.Fatalf("feed %+v, %v", page, err)
	}
	last := page.Changes[len(page.Changes)-1].Position()
	for _, n := range []pipeline.FeedNode{{Node: "node-a", Position: last, Documents: 2}, {Node: "node-b"}} {
		if err := f.store.FeedNodeSet(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	path := fmt.Sprintf("/documents/%d", d)
	want := map[string][]string{
		"vi": {"Tra cứu được trên 1/2 máy chủ", "đã có bản mới nhất", "chưa có", "chậm 0 thay đổi", fmt.Sprintf("chậm %d thay đổi", len(page.Changes))},
		"en": {"Searchable on 1 of 2 servers", "has it as it is now", "not yet", "0 changes behind", fmt.Sprintf("%d changes behind", len(page.Changes))},
	}
	for lang, texts := range want {
		resp, body := f.do("clerk-land", "GET", path, nil, "Cookie", "hoso_lang="+lang)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		for _, w := range texts {
			if !strings.Contains(body, w) {
				t.Errorf("%s page lacks %q", lang, w)
			}
		}
	}
	get := func() web.DocumentInfo {
		t.Helper()
		resp, body := f.do("clerk-land", "GET", fmt.Sprintf("/api/v1/documents/%d", d), nil)
		var info web.DocumentInfo
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &info) != nil {
			t.Fatalf("API: %d %s", resp.StatusCode, body)
		}
		return info
	}
	info := get()
	if info.Document == nil || info.ID != d || info.Search.Position == nil || info.Search.Holding != 1 || len(info.Search.Nodes) != 2 {
		t.Fatalf("API: %+v", info)
	}
	if a, b := info.Search.Nodes[0], info.Search.Nodes[1]; a.Node != "node-a" || !a.Holds || a.Lag != 0 || a.Documents != 2 ||
		b.Node != "node-b" || b.Holds || b.Lag != int64(len(page.Changes)) || a.AgeSeconds < 0 {
		t.Errorf("API nodes: %+v", info.Search.Nodes)
	}
	if _, err := f.store.DocumentCorrect(ctx, pipeline.DocumentCorrectParams{DocumentID: d, Type: "complaint"}); err != nil {
		t.Fatal(err)
	}
	if info := get(); info.Search.Holding != 0 || *info.Search.Position == last {
		t.Errorf("after a correction no node has read: %+v", info.Search)
	}
	if _, body := f.do("clerk-land", "GET", path, nil, "Cookie", "hoso_lang=vi"); !strings.Contains(body, "Tra cứu được trên 0/2 máy chủ") {
		t.Errorf("the page does not say no node holds the corrected document")
	}
}
