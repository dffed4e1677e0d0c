// Package storetest is the conformance suite every pipeline.Store passes.
// Backends call Run from their tests with a function that opens a fresh,
// migrated, empty store.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

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
	t.Run("OCRProgress", func(t *testing.T) { testOCRProgress(t, open(t)) })
}

func sha(n int) string { return fmt.Sprintf("%064x", n) }

// testCorrections: a person's type and department stand through
// reclassification, say where they came from, and reach the index.
func testCorrections(t *testing.T, h Harness) {
	ctx := context.Background()
	b, err := h.Store.BatchCreate(ctx, pipeline.BatchCreateParams{Name: "b", Department: "land"})
	if err != nil {
		t.Fatal(err)
	}
	d := mustDoc(t, h.Store, b.ID, "a.pdf", sha(7))
	if d.UploadDepartment != "land" {
		t.Errorf("upload department %q, want land", d.UploadDepartment)
	}
	classify := func(typ, dep string) {
		t.Helper()
		if err := h.Store.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: pipeline.Classification{Type: typ, Department: dep}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Store.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, Pages: []pipeline.Page{{Number: 1, Text: "x"}}}); err != nil {
		t.Fatal(err)
	}
	classify("permit", "land")
	got, _ := h.Store.DocumentGetByID(ctx, d.ID)
	if got.TypeSource != pipeline.SourceRule || got.DepartmentSource != pipeline.SourceRule {
		t.Errorf("sources after a rule: %q %q", got.TypeSource, got.DepartmentSource)
	}
	feed := h.Feed(ctx, d.ID)
	got, err = h.Store.DocumentCorrect(ctx, pipeline.DocumentCorrectParams{DocumentID: d.ID, Type: "land"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "land" || got.TypeSource != pipeline.SourceManual || got.Department != "land" || got.DepartmentSource != pipeline.SourceRule {
		t.Errorf("after correcting the type: %+v", got)
	}
	if h.Feed(ctx, d.ID) != feed+1 {
		t.Error("a correction wrote no change-feed entry")
	}
	if _, err := h.Store.DocumentReclassify(ctx, pipeline.DocumentReclassifyParams{All: true}); err != nil {
		t.Fatal(err)
	}
	classify("decision", "administration")
	got, _ = h.Store.DocumentGetByID(ctx, d.ID)
	if got.Type != "land" || got.Department != "administration" || got.Classification.Type != "decision" {
		t.Errorf("reclassified: type %q (the person's), department %q (the rule's), classification %q", got.Type, got.Department, got.Classification.Type)
	}
	if _, err := h.Store.DocumentCorrect(ctx, pipeline.DocumentCorrectParams{DocumentID: d.ID, Department: "finance"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.DocumentReclassify(ctx, pipeline.DocumentReclassifyParams{All: true}); err != nil {
		t.Fatal(err)
	}
	classify(pipeline.TypeUnclassified, "land")
	got, _ = h.Store.DocumentGetByID(ctx, d.ID)
	if got.Type != "land" || got.Department != "finance" || got.DepartmentSource != pipeline.SourceManual {
		t.Errorf("both corrected, reclassified: %+v", got)
	}
	_, err = h.Store.DocumentCorrect(ctx, pipeline.DocumentCorrectParams{DocumentID: d.ID + 99, Type: "x"})
	wantCode(t, "DocumentCorrect(missing)", err, pipeline.ENOTFOUND)
	_, err = h.Store.DocumentCorrect(ctx, pipeline.DocumentCorrectParams{DocumentID: d.ID})
	wantCode(t, "DocumentCorrect(nothing)", err, pipeline.EINVALID)
}

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

func testDocumentCreate(t *testing.T, h Harness) {
	ctx := context.Background()
	b := mustBatch(t, h.Store, "b")
	d := mustDoc(t, h.Store, b.ID, "hồ sơ/đơn đề nghị.pdf", sha(1))
	want := pipeline.Document{
		ID: d.ID, BatchID: b.ID, BatchName: "b", Filename: "đơn đề nghị.pdf", Path: "hồ sơ/đơn đề nghị.pdf", SHA256: sha(1),
		Size: 42, MIME: "application/pdf", State: pipeline.StateReceived, Stage: pipeline.StageExtract, Tags: []string{}, Department: pipeline.DepartmentIntake,
		UploadDepartment: pipeline.DepartmentIntake,
	}
	got := *d
	got.CreatedAt, got.UpdatedAt = want.CreatedAt, want.UpdatedAt
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DocumentCreate mismatch (-want +got):\n%s", diff)
	}
	if d.CreatedAt.IsZero() {
		t.Error("CreatedAt is zero")
	}
	if n := h.Jobs(ctx, "extract", d.ID); n != 1 {
		t.Errorf("extract jobs for a new document = %d, want 1", n)
	}
	_, err := h.Store.DocumentGetByID(ctx, d.ID+100)
	wantCode(t, "DocumentGetByID(missing)", err, pipeline.ENOTFOUND)
	_, err = h.Store.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: b.ID, Filename: "x", Path: "x"})
	wantCode(t, "DocumentCreate(no sha)", err, pipeline.EINVALID)
}

func testDuplicates(t *testing.T, h Harness) {
	b1 := mustBatch(t, h.Store, "one")
	b2 := mustBatch(t, h.Store, "two")
	first := mustDoc(t, h.Store, b1.ID, "a.pdf", sha(7))
	other := mustDoc(t, h.Store, b1.ID, "b.pdf", sha(8))
	second := mustDoc(t, h.Store, b2.ID, "copy of a.pdf", sha(7))
	third := mustDoc(t, h.Store, b2.ID, "again a.pdf", sha(7))
	if first.DuplicateOf != nil || other.DuplicateOf != nil {
		t.Errorf("originals have DuplicateOf %v, %v", first.DuplicateOf, other.DuplicateOf)
	}
	for _, d := range []*pipeline.Document{second, third} {
		if d.DuplicateOf == nil || *d.DuplicateOf != first.ID {
			t.Errorf("%s: DuplicateOf = %v, want %d", d.Path, d.DuplicateOf, first.ID)
		}
		if d.ID == first.ID {
			t.Errorf("%s: duplicate shares the first copy's row", d.Path)
		}
	}
}

// testMessageAttachments: an e-mail's fields are stored with its
// extraction, and its attachments become documents of the same batch,
// linked to it and queued for extraction, once even when the extraction
// is replayed.
func testMessageAttachments(t *testing.T, h Harness) {
	ctx := context.Background()
	b := mustBatch(t, h.Store, "b")
	mail := mustDoc(t, h.Store, b.ID, "thư.eml", sha(3))
	msg := &pipeline.Message{From: "An <an@example.vn>", To: "tuphap@example.vn", Subject: "Đề nghị", Date: time.Date(2024, 3, 5, 2, 30, 0, 0, time.UTC)}
	p := pipeline.ExtractCompleteParams{DocumentID: mail.ID, MIME: "message/rfc822", Pages: []pipeline.Page{{Number: 1, Text: "Đề nghị"}},
		Quality: 1, Extractor: "mail", Message: msg, Attachments: []pipeline.DocumentCreateParams{
			{BatchID: b.ID, Filename: "đơn.pdf", Path: "thư.eml/đơn.pdf", SHA256: sha(4), Size: 9, MIME: "application/pdf"},
			{BatchID: b.ID, Filename: "copy.eml", Path: "thư.eml/copy.eml", SHA256: sha(3), Size: 5, MIME: "message/rfc822"},
		}}
	for range 2 {
		if err := h.Store.ExtractComplete(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := h.Store.DocumentGetByID(ctx, mail.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(msg, got.Message); diff != "" {
		t.Errorf("Message (-want +got):\n%s", diff)
	}
	docs, err := h.Store.DocumentListByBatch(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 {
		t.Fatalf("%d documents in the batch, want the e-mail and 2 attachments", len(docs))
	}
	for _, d := range docs[1:] {
		if d.ParentID == nil || *d.ParentID != mail.ID {
			t.Errorf("%s: ParentID = %v, want %d", d.Path, d.ParentID, mail.ID)
		}
		if n := h.Jobs(ctx, "extract", d.ID); n != 1 {
			t.Errorf("%s: %d extract jobs, want 1", d.Path, n)
		}
	}
	if docs[2].DuplicateOf == nil || *docs[2].DuplicateOf != mail.ID {
		t.Errorf("an attachment identical to a document: DuplicateOf = %v", docs[2].DuplicateOf)
	}
	if docs[0].ParentID != nil || docs[0].Message == nil {
		t.Errorf("the e-mail: ParentID %v, Message %v", docs[0].ParentID, docs[0].Message)
	}
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

func testFail(t *testing.T, h Harness) {
	ctx := context.Background()
	b := mustBatch(t, h.Store, "b")
	d := mustDoc(t, h.Store, b.ID, "bad.pdf", sha(3))
	for want := 1; want <= 2; want++ {
		n, err := h.Store.DocumentCrashRecord(ctx, d.ID)
		if err != nil || n != want {
			t.Errorf("DocumentCrashRecord = %d, %v; want %d", n, err, want)
		}
	}
	_, err := h.Store.DocumentCrashRecord(ctx, d.ID+100)
	wantCode(t, "DocumentCrashRecord(missing)", err, pipeline.ENOTFOUND)
	err = h.Store.DocumentFail(ctx, pipeline.DocumentFailParams{DocumentID: d.ID, Stage: pipeline.StageExtract, Code: pipeline.ECORRUPT, Reason: "The PDF is damaged."})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := h.Store.DocumentGetByID(ctx, d.ID)
	if got.State != pipeline.StateFailed || got.Stage != pipeline.StageExtract || got.ErrorCode != pipeline.ECORRUPT || got.Error != "The PDF is damaged." || got.Crashes != 2 {
		t.Errorf("after DocumentFail: %+v", got)
	}
	// A late success does not resurrect a failed document.
	if err := h.Store.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, Pages: []pipeline.Page{{Number: 1, Text: "x"}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.Store.DocumentGetByID(ctx, d.ID); got.State != pipeline.StateFailed {
		t.Errorf("ExtractComplete after failure moved the document to %s", got.State)
	}
	if n := h.Jobs(ctx, "classify", d.ID); n != 0 {
		t.Errorf("classify jobs for a failed document = %d, want 0", n)
	}
}

func testListAndCount(t *testing.T, h Harness) {
	ctx := context.Background()
	b1 := mustBatch(t, h.Store, "one")
	b2 := mustBatch(t, h.Store, "two")
	var ids []int64
	for i := 0; i < 5; i++ {
		ids = append(ids, mustDoc(t, h.Store, b1.ID, fmt.Sprintf("d%d.pdf", i), sha(100+i)).ID)
	}
	other := mustDoc(t, h.Store, b2.ID, "other.pdf", sha(200))
	if err := h.Store.DocumentFail(ctx, pipeline.DocumentFailParams{DocumentID: ids[0], Stage: pipeline.StageExtract, Code: pipeline.EEMPTY, Reason: "The file is empty."}); err != nil {
		t.Fatal(err)
	}
	docs, err := h.Store.DocumentListByBatch(ctx, b1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 5 || docs[0].ID != ids[0] || docs[4].ID != ids[4] || docs[0].BatchName != "one" {
		t.Errorf("DocumentListByBatch = %d documents", len(docs))
	}
	var all []int64
	var after int64
	for {
		page, err := h.Store.DocumentList(ctx, pipeline.DocumentListParams{AfterID: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, d := range page {
			all = append(all, d.ID)
		}
		after = page[len(page)-1].ID
	}
	if diff := cmp.Diff(append(append([]int64{}, ids...), other.ID), all); diff != "" {
		t.Errorf("DocumentList paging (-want +got):\n%s", diff)
	}
	counts, err := h.Store.DocumentCountByState(ctx, pipeline.DocumentCountByStateParams{BatchIDs: []int64{b1.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[pipeline.State]int{pipeline.StateFailed: 1, pipeline.StateReceived: 4}, counts); diff != "" {
		t.Errorf("DocumentCountByState(batch) (-want +got):\n%s", diff)
	}
	counts, _ = h.Store.DocumentCountByState(ctx, pipeline.DocumentCountByStateParams{})
	if counts[pipeline.StateReceived] != 5 {
		t.Errorf("DocumentCountByState(all) = %v", counts)
	}
}

func testRejections(t *testing.T, h Harness) {
	ctx := context.Background()
	b := mustBatch(t, h.Store, "b")
	want := []pipeline.Rejection{
		{BatchID: b.ID, Path: "x.zip/../../evil.txt", Code: pipeline.EUNSAFE, Reason: "Refused: zip-slip."},
		{BatchID: b.ID, Path: "huge.pdf", Code: pipeline.ETOOLARGE, Reason: "Too large."},
	}
	for _, r := range want {
		if err := h.Store.RejectionCreate(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := h.Store.RejectionListByBatch(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RejectionListByBatch (-want +got):\n%s", diff)
	}
}

func testManyPages(t *testing.T, h Harness) {
	ctx := context.Background()
	b := mustBatch(t, h.Store, "b")
	d := mustDoc(t, h.Store, b.ID, "long.pdf", sha(9))
	pages := make([]pipeline.Page, 523)
	for i := range pages {
		pages[i] = pipeline.Page{Number: i + 1, Text: fmt.Sprintf("trang %d", i+1), Quality: 1, Extractor: "pdf"}
	}
	if err := h.Store.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, Pages: pages}); err != nil {
		t.Fatal(err)
	}
	got, err := h.Store.PageListByDocument(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(pages) || got[522].Text != "trang 523" {
		t.Errorf("stored %d pages, want %d", len(got), len(pages))
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

// checkedDoc takes a new document to classified, ready for DetectComplete.
func classifiedDoc(t *testing.T, st pipeline.Store, batch int64, n int) int64 {
	t.Helper()
	ctx := context.Background()
	d := mustDoc(t, st, batch, fmt.Sprintf("d%d.pdf", n), sha(500+n))
	if err := st.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, Pages: []pipeline.Page{{Number: 1, Text: "x"}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: pipeline.Classification{Type: "decision", Department: "administration"}}); err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func testFlags(t *testing.T, h Harness) {
	ctx := context.Background()
	b := mustBatch(t, h.Store, "b")
	raise := func(doc int64, docs ...int64) {
		t.Helper()
		f := pipeline.FlagUpsert{Kind: pipeline.FlagRecurringIdentifier, Key: "phone:+84912345678", Severity: "medium", Department: "one-stop", Title: "Phone in documents"}
		for _, d := range docs {
			f.Evidence = append(f.Evidence, pipeline.FlagEvidence{DocumentID: d, Detail: "page 1"})
		}
		if err := h.Store.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: doc, Flags: []pipeline.FlagUpsert{f}}); err != nil {
			t.Fatal(err)
		}
	}
	d1, d2, d3, d4 := classifiedDoc(t, h.Store, b.ID, 1), classifiedDoc(t, h.Store, b.ID, 2), classifiedDoc(t, h.Store, b.ID, 3), classifiedDoc(t, h.Store, b.ID, 4)
	raise(d3, d1, d2, d3)
	list, err := h.Store.FlagList(ctx, pipeline.FlagListParams{Scope: pipeline.ScopeAll, Status: pipeline.FlagOpen})
	if err != nil || len(list) != 1 {
		t.Fatalf("FlagList = %d flags, %v", len(list), err)
	}
	f, err := h.Store.FlagGet(ctx, pipeline.ScopeAll, list[0].ID)
	if err != nil || len(f.Evidence) != 3 || f.Status != pipeline.FlagOpen || f.Severity != "medium" {
		t.Fatalf("FlagGetByID = %+v, %v", f, err)
	}
	_, err = h.Store.FlagDecide(ctx, pipeline.FlagDecideParams{Scope: pipeline.ScopeAll, ID: f.ID, Status: "maybe", Reason: "x", DecidedBy: "s"})
	wantCode(t, "FlagDecide(bad status)", err, pipeline.EINVALID)
	_, err = h.Store.FlagDecide(ctx, pipeline.FlagDecideParams{Scope: pipeline.ScopeAll, ID: f.ID, Status: pipeline.FlagDismissed, DecidedBy: "s"})
	wantCode(t, "FlagDecide(no reason)", err, pipeline.EINVALID)
	_, err = h.Store.FlagDecide(ctx, pipeline.FlagDecideParams{Scope: pipeline.ScopeAll, ID: f.ID + 100, Status: pipeline.FlagDismissed, Reason: "family", DecidedBy: "s"})
	wantCode(t, "FlagDecide(missing)", err, pipeline.ENOTFOUND)
	f, err = h.Store.FlagDecide(ctx, pipeline.FlagDecideParams{Scope: pipeline.ScopeAll, ID: f.ID, Status: pipeline.FlagDismissed, Reason: "same_family", Note: "Ba anh em một nhà.", DecidedBy: "supervisor"})
	if err != nil || f.Status != pipeline.FlagDismissed || len(f.Decisions) != 1 || f.Decisions[0].Evidence != 3 {
		t.Fatalf("FlagDecide = %+v, %v", f, err)
	}
	// The same evidence again (a replayed detection) leaves it dismissed.
	d5 := classifiedDoc(t, h.Store, b.ID, 5)
	raise(d5, d1, d2, d3)
	if f, _ = h.Store.FlagGet(ctx, pipeline.ScopeAll, f.ID); f.Status != pipeline.FlagDismissed {
		t.Errorf("the same evidence reopened a dismissed flag")
	}
	// New evidence reopens it, and the history says so.
	raise(d4, d1, d2, d3, d4)
	f, _ = h.Store.FlagGet(ctx, pipeline.ScopeAll, f.ID)
	if f.Status != pipeline.FlagOpen || len(f.Evidence) != 4 || len(f.Decisions) != 2 || f.Decisions[1].Reason != "new_evidence" {
		t.Errorf("after new evidence: status %s, %d documents, decisions %+v", f.Status, len(f.Evidence), f.Decisions)
	}
}
