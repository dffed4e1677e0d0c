package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hoso/pipeline"
)

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
// linked to it and queued for extraction, and the attached files refused
// are recorded with their reasons, once even when the extraction is
// replayed.
func testMessageAttachments(t *testing.T, h Harness) {
	ctx := context.Background()
	b := mustBatch(t, h.Store, "b")
	mail := mustDoc(t, h.Store, b.ID, "thư.eml", sha(3))
	msg := &pipeline.Message{From: "An <an@example.vn>", To: "tuphap@example.vn", Subject: "Đề nghị", Date: time.Date(2024, 3, 5, 2, 30, 0, 0, time.UTC)}
	p := pipeline.ExtractCompleteParams{DocumentID: mail.ID, MIME: "message/rfc822", Pages: []pipeline.Page{{Number: 1, Text: "Đề nghị"}},
		Quality: 1, Extractor: "mail", Message: msg, Attachments: []pipeline.DocumentCreateParams{
			{BatchID: b.ID, Filename: "đơn.pdf", Path: "thư.eml/đơn.pdf", SHA256: sha(4), Size: 9, MIME: "application/pdf"},
			{BatchID: b.ID, Filename: "copy.eml", Path: "thư.eml/copy.eml", SHA256: sha(3), Size: 5, MIME: "message/rfc822"},
		}, Rejections: []pipeline.Rejection{
			{BatchID: b.ID, Path: "thư.eml/hồ sơ.zip/../../evil.txt", Code: pipeline.EUNSAFE, Reason: "Refused: zip-slip."},
			{BatchID: b.ID, Path: "thư.eml/hồ sơ.zip/zeros.txt", Code: pipeline.EUNSAFE, Reason: "Refused: a zip bomb."},
		}}
	for range 2 {
		if err := h.Store.ExtractComplete(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// A later stage fails, the e-mail is retried and read again: what it
	// carries is already there.
	if err := h.Store.DocumentFail(ctx, pipeline.DocumentFailParams{DocumentID: mail.ID, Stage: pipeline.StageClassify, Code: pipeline.EINTERNAL, Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	if ids, err := h.Store.DocumentRetry(ctx, pipeline.DocumentRetryParams{Scope: pipeline.ScopeAll, BatchID: b.ID, DocumentIDs: []int64{mail.ID}}); err != nil || len(ids) != 1 {
		t.Fatalf("DocumentRetry = %v, %v", ids, err)
	}
	if err := h.Store.ExtractComplete(ctx, p); err != nil {
		t.Fatal(err)
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
	// The batch holds the e-mail and its attachments' bytes (the limit
	// attachments are counted against).
	if n, err := h.Store.BatchStoredBytes(ctx, b.ID); err != nil || n != mail.Size+9+5 {
		t.Errorf("BatchStoredBytes = %d, %v; want %d", n, err, mail.Size+9+5)
	}
	if n, err := h.Store.BatchStoredBytes(ctx, b.ID+100); err != nil || n != 0 {
		t.Errorf("BatchStoredBytes(missing) = %d, %v; want 0", n, err)
	}
	rejs, err := h.Store.RejectionListByBatch(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.Rejections, rejs); diff != "" {
		t.Errorf("rejections (-want +got):\n%s", diff)
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
