package storetest

import (
	"context"
	"fmt"
	"testing"

	"hoso/pipeline"
)

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
