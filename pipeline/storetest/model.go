package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hoso/pipeline"
)

// testModels: models are numbered versions, the newest of a kind in
// force; what a model may learn from is what a rule or a person decided,
// never what a model guessed.
func testModels(t *testing.T, h Harness) {
	ctx := context.Background()
	_, err := h.Store.ModelLatest(ctx, pipeline.ModelKindType)
	wantCode(t, "ModelLatest(none)", err, pipeline.ENOTFOUND)
	for i, data := range [][]byte{{1, 2, 3}, {4, 5}} {
		m, err := h.Store.ModelCreate(ctx, &pipeline.ModelVersion{Kind: pipeline.ModelKindType, Documents: 10 + i, Labels: map[string]int{"a": 4, "b": 6 + i}, LastDocID: int64(i), Data: data})
		if err != nil {
			t.Fatal(err)
		}
		if m.Version == 0 || m.CreatedAt.IsZero() {
			t.Errorf("ModelCreate returned %+v", m)
		}
	}
	got, err := h.Store.ModelLatest(ctx, pipeline.ModelKindType)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(got.Data, []byte{4, 5}) || got.Documents != 11 || got.Labels["b"] != 7 || got.LastDocID != 1 {
		t.Errorf("ModelLatest = %+v", got)
	}
	_, err = h.Store.ModelLatest(ctx, pipeline.ModelKindDepartment)
	wantCode(t, "ModelLatest(department)", err, pipeline.ENOTFOUND)
	list, err := h.Store.ModelList(ctx)
	if err != nil || len(list) != 2 || list[0].Version <= list[1].Version || list[0].Data != nil {
		t.Errorf("ModelList = %+v, %v", list, err)
	}

	start := time.Now().Add(-time.Second)
	b := mustBatch(t, h.Store, "b")
	docs := map[string]*pipeline.Document{}
	for i, name := range []string{"rule", "model", "none", "corrected", "failed"} {
		d := mustDoc(t, h.Store, b.ID, name+".txt", sha(100+i))
		docs[name] = d
		if name == "failed" {
			continue
		}
		pages := []pipeline.Page{{Number: 1, Text: name + " page one"}, {Number: 2, Text: "page two"}}
		if err := h.Store.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, Pages: pages}); err != nil {
			t.Fatal(err)
		}
		c := pipeline.Classification{Type: "decision", Department: "land"}
		switch name {
		case "model", "corrected":
			c.Type, c.TypeSource, c.TypeConfidence, c.ModelVersion = "decree", pipeline.SourceModel, 0.9, 2
		case "none":
			c.Type = pipeline.TypeUnclassified
		}
		if err := h.Store.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: c}); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := h.Store.DocumentGetByID(ctx, docs["model"].ID)
	if m.TypeSource != pipeline.SourceModel || m.Classification.TypeConfidence != 0.9 || m.Classification.ModelVersion != 2 {
		t.Errorf("a model's type: source %q, classification %+v", m.TypeSource, m.Classification)
	}
	if _, err := h.Store.DocumentCorrect(ctx, pipeline.DocumentCorrectParams{DocumentID: docs["corrected"].ID, Type: "circular"}); err != nil {
		t.Fatal(err)
	}
	train, err := h.Store.ModelTrainingDocuments(ctx, pipeline.ModelTrainingDocumentsParams{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID                 int64
		Type, Source, Text string
	}
	var rows []row
	for _, d := range train {
		rows = append(rows, row{d.ID, d.Type, d.TypeSource, d.Text})
	}
	want := []row{
		{docs["rule"].ID, "decision", pipeline.SourceRule, "rule page one\npage two"},
		{docs["corrected"].ID, "circular", pipeline.SourceManual, "corrected page one\npage two"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("ModelTrainingDocuments (-want +got):\n%s", diff)
	}
	train, err = h.Store.ModelTrainingDocuments(ctx, pipeline.ModelTrainingDocumentsParams{AfterID: docs["rule"].ID, MaxChars: 5})
	if err != nil || len(train) != 1 || train[0].Text != "corre" {
		t.Errorf("ModelTrainingDocuments(after, 5 chars) = %+v, %v", train, err)
	}
	n, err := h.Store.ModelDecisionsSince(ctx, 0, start)
	if err != nil || n != 2 {
		t.Errorf("ModelDecisionsSince(0) = %d, %v; want 2", n, err)
	}
	// After the newest document: only the person's correction is news,
	// until a model trained after it.
	last := docs["failed"].ID
	if n, _ = h.Store.ModelDecisionsSince(ctx, last, start); n != 1 {
		t.Errorf("ModelDecisionsSince(after all) = %d, want 1 (the correction)", n)
	}
	if n, _ = h.Store.ModelDecisionsSince(ctx, last, time.Now().Add(time.Hour)); n != 0 {
		t.Errorf("ModelDecisionsSince(after all, later) = %d, want 0", n)
	}
}

// testClassifyFlags: a flag raised with a classification is stored with
// it, once per document.
func testClassifyFlags(t *testing.T, h Harness) {
	ctx := context.Background()
	b := mustBatch(t, h.Store, "b")
	d := mustDoc(t, h.Store, b.ID, "a.txt", sha(200))
	if err := h.Store.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, Pages: []pipeline.Page{{Number: 1, Text: "x"}}}); err != nil {
		t.Fatal(err)
	}
	f := pipeline.FlagUpsert{Kind: pipeline.FlagModelDisagrees, Key: "document:1", Severity: "low", Title: "t", Evidence: []pipeline.FlagEvidence{{DocumentID: d.ID, Detail: "both"}}}
	err := h.Store.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: pipeline.Classification{Type: "decision"}, Flags: []pipeline.FlagUpsert{f}})
	if err != nil {
		t.Fatal(err)
	}
	flags, err := h.Store.FlagList(ctx, pipeline.FlagListParams{Scope: pipeline.Scope{All: true}, Kind: pipeline.FlagModelDisagrees})
	if err != nil || len(flags) != 1 {
		t.Fatalf("FlagList = %+v, %v; want one flag", flags, err)
	}
}
