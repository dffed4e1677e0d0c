// Package storetest is the conformance suite every pipeline.Store passes.
// Backends call Run from their tests with a function that opens a fresh,
// migrated, empty store.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hoso/pipeline"
)

// Harness is an open store and a look into its job queue.
type Harness struct {
	Store pipeline.Store
	// Jobs counts queued jobs of a kind for a document.
	Jobs func(ctx context.Context, kind string, documentID int64) int
	// Feed counts change-feed entries for a document.
	Feed func(ctx context.Context, documentID int64) int
	// Exec changes the database behind the store's back, as an attacker
	// with access to it could.
	Exec func(ctx context.Context, sql string)
}

// Run runs the suite. open must return a fresh, empty store each call.
func Run(t *testing.T, open func(t *testing.T) Harness) {
	t.Run("BatchCreateGet", func(t *testing.T) { testBatch(t, open(t)) })
	t.Run("DocumentCreate", func(t *testing.T) { testDocumentCreate(t, open(t)) })
	t.Run("Duplicates", func(t *testing.T) { testDuplicates(t, open(t)) })
	t.Run("StagesOnce", func(t *testing.T) { testStagesOnce(t, open(t)) })
	t.Run("MessageAttachments", func(t *testing.T) { testMessageAttachments(t, open(t)) })
	t.Run("Corrections", func(t *testing.T) { testCorrections(t, open(t)) })
	t.Run("CorrectionKeepsDepartment", func(t *testing.T) { testCorrectionKeepsDepartment(t, open(t)) })
	t.Run("Fail", func(t *testing.T) { testFail(t, open(t)) })
	t.Run("ListAndCount", func(t *testing.T) { testListAndCount(t, open(t)) })
	t.Run("Rejections", func(t *testing.T) { testRejections(t, open(t)) })
	t.Run("ManyPages", func(t *testing.T) { testManyPages(t, open(t)) })
	t.Run("RuleSets", func(t *testing.T) { testRuleSets(t, open(t)) })
	t.Run("Flags", func(t *testing.T) { testFlags(t, open(t)) })
	t.Run("Users", func(t *testing.T) { testUsers(t, open(t)) })
	t.Run("SessionsAndTokens", func(t *testing.T) { testSessionsAndTokens(t, open(t)) })
	t.Run("Scope", func(t *testing.T) { testScope(t, open(t)) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open(t)) })
	t.Run("AuditKeyed", func(t *testing.T) { testAuditKeyed(t, open(t)) })
	t.Run("Figures", func(t *testing.T) { testFigures(t, open(t)) })
	t.Run("FourEyes", func(t *testing.T) { testFourEyes(t, open(t)) })
	t.Run("FeedNodes", func(t *testing.T) { testFeedNodes(t, open(t)) })
	t.Run("FeedNodesByDocument", func(t *testing.T) { testFeedNodesByDocument(t, open(t)) })
	t.Run("IndexSnapshots", func(t *testing.T) { testIndexSnapshots(t, open(t)) })
	t.Run("OCRProgress", func(t *testing.T) { testOCRProgress(t, open(t)) })
	t.Run("Models", func(t *testing.T) { testModels(t, open(t)) })
	t.Run("ClassifyFlags", func(t *testing.T) { testClassifyFlags(t, open(t)) })
	t.Run("NearDuplicates", func(t *testing.T) { testNearDuplicates(t, open(t)) })
	t.Run("ChangeFeed", func(t *testing.T) { testChangeFeed(t, open(t)) })
	t.Run("OCR", func(t *testing.T) { testOCR(t, open(t)) })
	t.Run("Lookups", func(t *testing.T) { testLookups(t, open(t)) })
}

func sha(n int) string { return fmt.Sprintf("%064x", n) }

func mustBatch(t *testing.T, st pipeline.Store, name string) *pipeline.Batch {
	t.Helper()
	b, err := st.BatchCreate(context.Background(), pipeline.BatchCreateParams{Name: name})
	if err != nil {
		t.Fatalf("BatchCreate(%q): %v", name, err)
	}
	return b
}

func mustDoc(t *testing.T, st pipeline.Store, batch int64, path string, sum string) *pipeline.Document {
	t.Helper()
	d, err := st.DocumentCreate(context.Background(), pipeline.DocumentCreateParams{
		BatchID: batch, Filename: path[strings.LastIndex(path, "/")+1:], Path: path, SHA256: sum, Size: 42, MIME: "application/pdf",
	})
	if err != nil {
		t.Fatalf("DocumentCreate(%q): %v", path, err)
	}
	return d
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := pipeline.ErrorCode(err); got != code {
		t.Errorf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

func testBatch(t *testing.T, h Harness) {
	ctx := context.Background()
	b := mustBatch(t, h.Store, "  Phường 5, tháng 11  ")
	if b.ID == 0 || b.Name != "Phường 5, tháng 11" || b.CreatedAt.IsZero() {
		t.Errorf("BatchCreate = %+v", b)
	}
	got, err := h.Store.BatchGetByID(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != b.Name || got.ID != b.ID {
		t.Errorf("BatchGetByID = %+v, want %+v", got, b)
	}
	_, err = h.Store.BatchCreate(ctx, pipeline.BatchCreateParams{Name: " "})
	wantCode(t, "BatchCreate(blank)", err, pipeline.EINVALID)
	_, err = h.Store.BatchGetByID(ctx, b.ID+100)
	wantCode(t, "BatchGetByID(missing)", err, pipeline.ENOTFOUND)
}

func testStagesOnce(t *testing.T, h Harness) {
	ctx := context.Background()
	b := mustBatch(t, h.Store, "b")
	d := mustDoc(t, h.Store, b.ID, "a.pdf", sha(1))
	pages := []pipeline.Page{
		{Number: 1, Text: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", Quality: 1, Extractor: "pdf"},
		{Number: 2, Text: "Độc lập - Tự do - Hạnh phúc", Quality: 0.9, Extractor: "pdftotext"},
	}
	extract := pipeline.ExtractCompleteParams{DocumentID: d.ID, MIME: "application/pdf", Pages: pages, Quality: 0.95, Extractor: "pdf", Language: "vi"}
	for i := 0; i < 2; i++ { // the second run is a replay after a crash: it must change nothing
		if err := h.Store.ExtractComplete(ctx, extract); err != nil {
			t.Fatalf("ExtractComplete #%d: %v", i+1, err)
		}
	}
	got, err := h.Store.DocumentGetByID(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != pipeline.StateExtracted || got.Stage != pipeline.StageClassify || got.Pages != 2 || got.Quality != 0.95 || got.Extractor != "pdf" || got.Language != "vi" {
		t.Errorf("after ExtractComplete: %+v", got)
	}
	gotPages, err := h.Store.PageListByDocument(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pages, gotPages); diff != "" {
		t.Errorf("pages mismatch (-want +got):\n%s", diff)
	}
	if n := h.Jobs(ctx, "classify", d.ID); n != 1 {
		t.Errorf("classify jobs = %d, want 1", n)
	}
	class := pipeline.Classification{
		RuleSetVersion: 3, Type: "decision", Department: "administration", Tags: []string{"land", "urgent"}, Rule: "decision-heading",
		Fields: []pipeline.Field{{Name: "number", Type: "reference", Value: "12/2024/QĐ-UBND", Raw: "12/2024/QĐ-UBND", Page: 1, Offset: 40}},
		Explanation: pipeline.Explanation{Summary: "Rule decision-heading matched.", Rule: "decision-heading", Priority: 80,
			Matches:  []pipeline.Evidence{{Condition: "any: regex /QUYẾT ĐỊNH/", Text: "QUYẾT ĐỊNH", Page: 1, Offset: 12}},
			RunnerUp: &pipeline.RunnerUp{Rule: "official-letter", Type: "official-letter", Share: 0.5}},
	}
	for i := 0; i < 2; i++ {
		c := class
		if i == 1 {
			c.Type = "replayed" // a replay must change nothing
		}
		if err := h.Store.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: c}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = h.Store.DocumentGetByID(ctx, d.ID)
	if got.Type != "decision" || got.Department != "administration" || !cmp.Equal(got.Tags, class.Tags) {
		t.Errorf("after ClassifyComplete: type %q, department %q, tags %v", got.Type, got.Department, got.Tags)
	}
	if diff := cmp.Diff(&class, got.Classification); diff != "" {
		t.Errorf("classification (-want +got):\n%s", diff)
	}
	if n := h.Jobs(ctx, "detect", d.ID); n != 1 {
		t.Errorf("detect jobs = %d, want 1", n)
	}
	ids := []pipeline.Identifier{
		{Kind: "citizen_id", Value: "079203001234", Raw: "079203001234", Page: 1, Offset: 10},
		{Kind: "phone", Value: "+84912345678", Raw: "0912 345 678", Page: 2, Offset: 3},
	}
	for i := 0; i < 2; i++ {
		if err := h.Store.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: d.ID, Identifiers: ids}); err != nil {
			t.Fatal(err)
		}
	}
	gotIDs, err := h.Store.IdentifierListByDocument(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids, gotIDs); diff != "" {
		t.Errorf("identifiers (-want +got):\n%s", diff)
	}
	got, _ = h.Store.DocumentGetByID(ctx, d.ID)
	if got.State != pipeline.StateChecked || !got.State.Terminal() {
		t.Errorf("after DetectComplete: state %s", got.State)
	}
	if n := h.Feed(ctx, d.ID); n != 1 {
		t.Errorf("change-feed entries = %d, want 1", n)
	}
	// A stage that arrives for a document in another state does nothing.
	if err := h.Store.ExtractComplete(ctx, extract); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.Store.DocumentGetByID(ctx, d.ID); got.State != pipeline.StateChecked {
		t.Errorf("late ExtractComplete moved the document to %s", got.State)
	}
}

func testRuleSets(t *testing.T, h Harness) {
	ctx := context.Background()
	_, err := h.Store.RuleSetLatest(ctx)
	wantCode(t, "RuleSetLatest(empty)", err, pipeline.ENOTFOUND)
	v1, err := h.Store.RuleSetCreate(ctx, pipeline.RuleSetCreateParams{Name: "ward rules", Source: "types: []\n"})
	if err != nil || v1.Version != 1 || len(v1.SHA256) != 64 {
		t.Fatalf("RuleSetCreate = %+v, %v", v1, err)
	}
	same, err := h.Store.RuleSetCreate(ctx, pipeline.RuleSetCreateParams{Name: "again", Source: "types: []\n"})
	if err != nil || same.Version != 1 {
		t.Errorf("loading the same text again gave version %+v, %v; want 1", same, err)
	}
	v2, err := h.Store.RuleSetCreate(ctx, pipeline.RuleSetCreateParams{Name: "ward rules", Source: "types: [x]\n"})
	if err != nil || v2.Version != 2 {
		t.Fatalf("second version = %+v, %v", v2, err)
	}
	latest, err := h.Store.RuleSetLatest(ctx)
	if err != nil || latest.Version != 2 || latest.Source != "types: [x]\n" {
		t.Errorf("RuleSetLatest = %+v, %v", latest, err)
	}
	got, err := h.Store.RuleSetGet(ctx, 1)
	if err != nil || got.Name != "ward rules" || got.Source != "types: []\n" {
		t.Errorf("RuleSetGet(1) = %+v, %v", got, err)
	}
	_, err = h.Store.RuleSetGet(ctx, 9)
	wantCode(t, "RuleSetGet(missing)", err, pipeline.ENOTFOUND)
	list, err := h.Store.RuleSetList(ctx)
	if err != nil || len(list) != 2 || list[0].Version != 2 {
		t.Errorf("RuleSetList = %d versions, %v", len(list), err)
	}
}
