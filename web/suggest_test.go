package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"hoso/classify/learn"
	"hoso/pipeline"
	"hoso/web"
)

// addTyped stores a document of the land department typed by a rule (or
// left for the model's suggestion when s is given).
func addTyped(t *testing.T, f *fixture, n int, typ, text string, s *pipeline.Suggestion) int64 {
	t.Helper()
	ctx := context.Background()
	d, err := f.store.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: f.batch["land"], Filename: fmt.Sprintf("t%d.txt", n), Path: fmt.Sprintf("t%d.txt", n), SHA256: fmt.Sprintf("%064x", 1000+n), Size: 1, MIME: "text/plain"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, Pages: []pipeline.Page{{Number: 1, Text: text, Quality: 1}}, Language: "vi"}); err != nil {
		t.Fatal(err)
	}
	c := pipeline.Classification{Type: typ, Department: "land", Rule: "test"}
	if s != nil {
		c = pipeline.Classification{Type: pipeline.TypeUnclassified, Department: "land"}
		learn.Apply(&c, *s, 1.01) // suggestions only
	}
	if err := f.store.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: c}); err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// TestAcceptSuggestion: the document page shows the model's suggestion
// with its words and an accept button; accepting is a person's correction,
// audited, and the next model learns from it.
func TestAcceptSuggestion(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	for i := range 8 {
		addTyped(t, f, i, "permit", fmt.Sprintf("Giấy phép xây dựng số %d cho công trình nhà ở riêng lẻ.", i), nil)
		addTyped(t, f, 100+i, "complaint", fmt.Sprintf("Đơn khiếu nại về việc bồi thường khi thu hồi đất, lần %d.", i), nil)
	}
	v1, err := learn.TrainArchive(ctx, f.store, learn.ArchiveConfig{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := learn.Unmarshal(v1.Data)
	if err != nil {
		t.Fatal(err)
	}
	text := "Đơn khiếu nại của bà Lan về bồi thường đất."
	sug := m.SuggestPages(v1.Version, []string{text})
	if sug.Label != "complaint" {
		t.Fatalf("suggestion %+v, want complaint", sug)
	}
	id := addTyped(t, f, 500, "", text, &sug)

	b := f.browser()
	b.login("clerk-land", testPassword, "/")
	_, page := b.do("GET", "/documents/"+itoa(id), nil)
	if !strings.Contains(page, `action="/documents/`+itoa(id)+`/suggestion"`) || !strings.Contains(page, "khiếu nại") {
		t.Fatalf("the page shows no suggestion to accept:\n%s", page)
	}
	// A stale form (the suggestion changed) changes nothing.
	if resp, _ := b.do("POST", "/documents/"+itoa(id)+"/suggestion", url.Values{"type": {"permit"}}); resp.StatusCode != 303 {
		t.Fatalf("stale accept: %d", resp.StatusCode)
	}
	if d, _ := f.store.DocumentGetByID(ctx, id); d.Type != pipeline.TypeUnclassified {
		t.Fatalf("a stale accept set the type %q", d.Type)
	}
	resp, _ := b.do("POST", "/documents/"+itoa(id)+"/suggestion", url.Values{"type": {"complaint"}})
	if resp.StatusCode != 303 {
		t.Fatalf("accept: %d", resp.StatusCode)
	}
	d, _ := f.store.DocumentGetByID(ctx, id)
	if d.Type != "complaint" || d.TypeSource != pipeline.SourceManual {
		t.Errorf("after accepting: type %q from %q, want complaint from a person", d.Type, d.TypeSource)
	}
	recs, _ := f.store.AuditList(ctx, pipeline.AuditListParams{Action: pipeline.AuditClassification})
	if len(recs) != 1 || recs[0].UserName != "clerk-land" || !strings.Contains(recs[0].Detail, "complaint") {
		t.Errorf("audit: %+v", recs)
	}
	v2, err := learn.TrainArchive(ctx, f.store, learn.ArchiveConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if v2.Labels["complaint"] != v1.Labels["complaint"]+1 || v2.Version <= v1.Version {
		t.Errorf("the next model learned from %v, the one before from %v: the accepted suggestion is missing", v2.Labels, v1.Labels)
	}
}

// TestAcceptDepartmentSuggestion: the department model's answer is only a
// suggestion; a supervisor accepts it on the page, as a correction.
func TestAcceptDepartmentSuggestion(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	id := addTyped(t, f, 1, "permit", "Giấy phép xây dựng.", nil)
	c := pipeline.Classification{Type: "permit", Department: "land", Rule: "test",
		DepartmentSuggestion: &pipeline.Suggestion{ModelVersion: 9, Label: "tax", Probability: 0.7, RunnerUp: "land", For: []pipeline.Weight{{Term: "thuế", Weight: 1.5}}}}
	if _, err := f.store.DocumentReclassify(ctx, pipeline.DocumentReclassifyParams{Type: "permit"}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: id, Classification: c}); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.login("supervisor-land", testPassword, "/")
	_, page := b.do("GET", "/documents/"+itoa(id), nil)
	if !strings.Contains(page, `name="department" value="tax"`) || !strings.Contains(page, "thuế") {
		t.Fatalf("the page shows no department suggestion:\n%s", page)
	}
	if resp, _ := b.do("POST", "/documents/"+itoa(id)+"/suggestion", url.Values{"department": {"tax"}}); resp.StatusCode != 303 {
		t.Fatalf("accept: %d", resp.StatusCode)
	}
	d, _ := f.store.DocumentGetByID(ctx, id)
	if d.Department != "tax" || d.DepartmentSource != pipeline.SourceManual || d.Type != "permit" || d.TypeSource != pipeline.SourceRule {
		t.Errorf("after accepting: department %q from %q, type %q from %q", d.Department, d.DepartmentSource, d.Type, d.TypeSource)
	}
}

// TestRulesPropose: the rules page drafts a rule for a type from the
// documents of the supervisor's departments, with its counts.
func TestRulesPropose(t *testing.T) {
	f := newFixture(t, web.Config{})
	for i := range 6 {
		addTyped(t, f, i, "permit", fmt.Sprintf("Giấy phép xây dựng số %d cho công trình nhà ở riêng lẻ.", i), nil)
		addTyped(t, f, 100+i, "complaint", fmt.Sprintf("Đơn khiếu nại về việc bồi thường khi thu hồi đất, lần %d.", i), nil)
	}
	b := f.browser()
	b.login("supervisor-land", testPassword, "/")
	resp, page := b.do("GET", "/rules?propose=permit&body=1", nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "id: permit-proposed") || !strings.Contains(page, "exact: true") {
		t.Fatalf("rules page with a proposal: %d\n%s", resp.StatusCode, page)
	}
	recs, _ := f.store.AuditList(context.Background(), pipeline.AuditListParams{Action: pipeline.AuditView})
	found := false
	for _, r := range recs {
		found = found || r.Object == "rules:propose"
	}
	if !found {
		t.Error("the proposal read the archive without a trace in the audit trail")
	}
	if _, page := b.do("GET", "/rules?propose=minutes", nil); !strings.Contains(page, `role="alert"`) {
		t.Errorf("a proposal for a type without documents shows no message:\n%s", page)
	}
}
