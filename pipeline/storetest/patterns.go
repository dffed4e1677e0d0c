package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"hoso/pipeline"
)

// nearDup is a signature write with the given bands.
func nearDup(cluster int64, bands ...int64) *pipeline.NearDupWrite {
	return &pipeline.NearDupWrite{Version: 1, Type: "decision", Signature: []byte{1, 2, 3, 4}, Bands: bands, ClusterID: cluster}
}

// testNearDuplicates: signatures and buckets written with detection are
// found again by band, by document and by type; templates are kept once;
// a replaced signature keeps its cluster.
func testNearDuplicates(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	b := mustBatch(t, st, "b")
	d1, d2, d3 := classifiedDoc(t, st, b.ID, 1), classifiedDoc(t, st, b.ID, 2), classifiedDoc(t, st, b.ID, 3)
	for _, w := range []struct {
		doc   int64
		bands []int64
	}{{d1, []int64{11, 12}}, {d2, []int64{21, 12}}, {d3, []int64{31, 32}}} {
		if err := st.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: w.doc, NearDup: nearDup(w.doc, w.bands...)}); err != nil {
			t.Fatal(err)
		}
	}
	// Band 1 holds 12 for d1 and d2; d3 shares nothing.
	if got, err := st.NearDupCandidateIDs(ctx, []int64{99, 12}, d1); err != nil || !slices.Equal(got, []int64{d2}) {
		t.Errorf("NearDupCandidateIDs(12 in band 1, not d1) = %v, %v; want [%d]", got, err, d2)
	}
	if got, err := st.NearDupCandidateIDs(ctx, []int64{12, 99}, d1); err != nil || len(got) != 0 {
		t.Errorf("NearDupCandidateIDs(12 in band 0) = %v, %v; want none: bands are matched by position", got, err)
	}
	if got, err := st.NearDupCandidateIDs(ctx, nil, d1); err != nil || got == nil || len(got) != 0 {
		t.Errorf("NearDupCandidateIDs(no bands) = %#v, %v; want an empty list", got, err)
	}
	sigs, err := st.NearDupSignatures(ctx, []int64{d3, d1})
	if err != nil || len(sigs) != 2 {
		t.Fatalf("NearDupSignatures = %+v, %v", sigs, err)
	}
	for _, s := range sigs {
		if s.Type != "decision" || s.Version != 1 || s.ClusterID != s.DocumentID || len(s.SHA256) != 64 || !slices.Equal(s.Signature, []byte{1, 2, 3, 4}) {
			t.Errorf("signature %+v", s)
		}
	}
	if got, err := st.NearDupSample(ctx, "decision", 2); err != nil || !slices.Equal(got, []int64{d3, d2}) {
		t.Errorf("NearDupSample(2) = %v, %v; want the newest two [%d %d]", got, err, d3, d2)
	}
	if got, err := st.NearDupUntemplated(ctx, "decision"); err != nil || !slices.Equal(got, []int64{d1, d2, d3}) {
		t.Errorf("NearDupUntemplated = %v, %v", got, err)
	}
	sig, err := st.NearDupSignatureGet(ctx, d2)
	if err != nil || sig.ClusterID != d2 || sig.Type != "decision" {
		t.Errorf("NearDupSignatureGet = %+v, %v", sig, err)
	}
	_, err = st.NearDupSignatureGet(ctx, d3+100)
	wantCode(t, "NearDupSignatureGet(missing)", err, pipeline.ENOTFOUND)

	// Templates: learned once, never overwritten.
	_, err = st.NearDupTemplateGet(ctx, "decision")
	wantCode(t, "NearDupTemplateGet(none yet)", err, pipeline.ENOTFOUND)
	for _, n := range []int{3, 7} {
		if err := st.NearDupTemplateSave(ctx, pipeline.NearDupTemplate{Type: "decision", Documents: n, Shingles: []uint64{5, 1 << 63}}); err != nil {
			t.Fatal(err)
		}
	}
	tmpl, err := st.NearDupTemplateGet(ctx, "decision")
	if err != nil || tmpl.Documents != 3 || !slices.Equal(tmpl.Shingles, []uint64{5, 1 << 63}) {
		t.Errorf("NearDupTemplateGet = %+v, %v; want the first template", tmpl, err)
	}

	// Patterns: detection leaves each document pending; completing the
	// check joins a cluster, once.
	if got, err := st.PatternsPending(ctx, 10); err != nil || !slices.Equal(got, []int64{d1, d2, d3}) {
		t.Errorf("PatternsPending = %v, %v", got, err)
	}
	ok, err := st.PatternsComplete(ctx, pipeline.PatternsCompleteParams{DocumentID: d2, ClusterID: d1,
		Flags: []pipeline.FlagUpsert{{Kind: pipeline.FlagNearDuplicate, Key: "cluster:1", Severity: "low", Department: "administration", Title: "Near duplicates",
			Evidence: []pipeline.FlagEvidence{{DocumentID: d1}, {DocumentID: d2}}}}})
	if err != nil || !ok {
		t.Fatalf("PatternsComplete = %v, %v", ok, err)
	}
	if ok, err := st.PatternsComplete(ctx, pipeline.PatternsCompleteParams{DocumentID: d2, ClusterID: d1}); err != nil || ok {
		t.Errorf("PatternsComplete again = %v, %v; want false: checked already", ok, err)
	}
	if got, err := st.NearDupClusterMembers(ctx, []int64{d1}); err != nil || !slices.Equal(got, []int64{d1, d2}) {
		t.Errorf("NearDupClusterMembers(%d) = %v, %v", d1, got, err)
	}
	if got, err := st.NearDupClusterMembers(ctx, nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("NearDupClusterMembers(none) = %#v, %v; want an empty list", got, err)
	}
	if flags, err := st.FlagList(ctx, pipeline.FlagListParams{Scope: pipeline.ScopeAll, Kind: pipeline.FlagNearDuplicate}); err != nil || len(flags) != 1 {
		t.Errorf("near-duplicate flags after PatternsComplete: %d, %v", len(flags), err)
	}
	if got, _ := st.PatternsPending(ctx, 10); !slices.Equal(got, []int64{d1, d3}) {
		t.Errorf("PatternsPending after one check = %v", got)
	}
	if err := st.PatternsRecheck(ctx, []int64{d2}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.PatternsPending(ctx, 2); !slices.Equal(got, []int64{d1, d2}) {
		t.Errorf("PatternsPending(2) after a recheck = %v", got)
	}

	// A replaced signature keeps the cluster and takes the new buckets.
	if err := st.NearDupReplace(ctx, d2, pipeline.NearDupWrite{Version: 2, Type: "decision", TemplateDocs: 3, Signature: []byte{9}, Bands: []int64{41, 42}}); err != nil {
		t.Fatal(err)
	}
	sig, err = st.NearDupSignatureGet(ctx, d2)
	if err != nil || sig.ClusterID != d1 || sig.Version != 2 || sig.TemplateDocs != 3 {
		t.Errorf("after NearDupReplace: %+v, %v", sig, err)
	}
	if got, _ := st.NearDupCandidateIDs(ctx, []int64{41}, d1); !slices.Equal(got, []int64{d2}) {
		t.Errorf("new bucket after NearDupReplace: %v", got)
	}
	if got, _ := st.NearDupCandidateIDs(ctx, []int64{99, 12}, d1); len(got) != 0 {
		t.Errorf("old bucket after NearDupReplace still finds %v", got)
	}
	if got, _ := st.NearDupUntemplated(ctx, "decision"); !slices.Equal(got, []int64{d1, d3}) {
		t.Errorf("NearDupUntemplated after a replace with a template = %v", got)
	}
}

// testChangeFeed: each finished document writes an entry; the indexer
// reads them in order and marks what it holds.
func testChangeFeed(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	if n, err := st.ChangeFeedLatest(ctx); err != nil || n != 0 {
		t.Errorf("ChangeFeedLatest on an empty feed = %d, %v", n, err)
	}
	b := mustBatch(t, st, "b")
	d1, d2 := classifiedDoc(t, st, b.ID, 1), classifiedDoc(t, st, b.ID, 2)
	for _, d := range []int64{d1, d2} {
		if err := st.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: d}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := feedRead(st, pipeline.FeedPosition{}, 10, 2)
	all := page.Changes
	if err != nil || len(all) != 2 || all[0].DocumentID != d1 || all[1].DocumentID != d2 || all[0].Op != "checked" || !all[0].Position().Before(all[1].Position()) {
		t.Fatalf("ChangeFeedAfter(start) = %+v, %v", all, err)
	}
	if rest, err := feedRead(st, all[0].Position(), 10, 1); err != nil || len(rest.Changes) != 1 || rest.Changes[0] != all[1] {
		t.Errorf("ChangeFeedAfter(first) = %+v, %v", rest, err)
	}
	if rest, err := st.ChangeFeedAfter(ctx, all[1].Position(), 10); err != nil || len(rest.Changes) != 0 {
		t.Errorf("ChangeFeedAfter(last) = %#v, %v; want no entries", rest, err)
	}
	if n, err := st.ChangeFeedLatest(ctx); err != nil || n != all[1].Seq {
		t.Errorf("ChangeFeedLatest = %d, %v; want %d", n, err, all[1].Seq)
	}
	// Through the first entry: only d1 is in the index in its last version.
	if n, err := st.DocumentMarkIndexedThrough(ctx, all[0].Position()); err != nil || n != 1 {
		t.Errorf("DocumentMarkIndexedThrough(first) = %d, %v; want 1", n, err)
	}
	got1, _ := st.DocumentGetByID(ctx, d1)
	got2, _ := st.DocumentGetByID(ctx, d2)
	if got1.State != pipeline.StateIndexed || got2.State != pipeline.StateChecked {
		t.Errorf("after marking through the first entry: %s, %s", got1.State, got2.State)
	}
}

// testOCR: a document that needs OCR moves to its queue once; without
// OCR installed it waits, settled, and OCRResume queues it again.
func testOCR(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	b := mustBatch(t, st, "b")
	d := mustDoc(t, st, b.ID, "scan.pdf", sha(900))
	for i, want := range []bool{true, false} {
		if moved, err := st.DocumentNeedsOCR(ctx, d.ID); err != nil || moved != want {
			t.Errorf("DocumentNeedsOCR #%d = %v, %v; want %v", i+1, moved, err, want)
		}
	}
	if n := h.Jobs(ctx, string(pipeline.StageOCR), d.ID); n != 1 {
		t.Errorf("%d ocr jobs, want 1", n)
	}
	if err := st.DocumentWaiting(ctx, d.ID, pipeline.EOCRMISSING, "OCR is not installed."); err != nil {
		t.Fatal(err)
	}
	got, _ := st.DocumentGetByID(ctx, d.ID)
	if !got.Waiting() || got.Error != "OCR is not installed." {
		t.Errorf("after DocumentWaiting: state %s, code %q, reason %q", got.State, got.ErrorCode, got.Error)
	}
	counts, err := st.DocumentCountByState(ctx, pipeline.DocumentCountByStateParams{BatchIDs: []int64{b.ID}})
	if err != nil || counts[pipeline.StateWaiting] != 1 || counts[pipeline.StateReceived] != 0 {
		t.Errorf("counts of a waiting document: %v, %v", counts, err)
	}
	if n, err := st.OCRResume(ctx); err != nil || n != 1 {
		t.Errorf("OCRResume = %d, %v; want 1", n, err)
	}
	if n := h.Jobs(ctx, string(pipeline.StageOCR), d.ID); n != 2 {
		t.Errorf("%d ocr jobs after OCRResume, want 2", n)
	}
	if got, _ := st.DocumentGetByID(ctx, d.ID); got.Waiting() || got.Stage != pipeline.StageOCR {
		t.Errorf("after OCRResume: code %q, stage %s", got.ErrorCode, got.Stage)
	}
	if n, err := st.OCRResume(ctx); err != nil || n != 0 {
		t.Errorf("OCRResume again = %d, %v; want 0", n, err)
	}
}

// testLookups covers what the detectors and the dashboard read: where an
// identifier recurs, copies of an original, volumes, failures, queues,
// flags raised outside a stage, departments and sign-outs elsewhere.
func testLookups(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	since := time.Now().Add(-time.Hour)
	b := mustBatch(t, st, "b")
	d1, d2 := classifiedDoc(t, st, b.ID, 1), classifiedDoc(t, st, b.ID, 2)
	phone := pipeline.Identifier{Kind: "phone", Value: "+84912345678", Raw: "0912 345 678", Page: 1, Offset: 7}
	for _, d := range []int64{d1, d2} {
		if err := st.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: d, Identifiers: []pipeline.Identifier{phone}}); err != nil {
			t.Fatal(err)
		}
	}
	occ, err := st.IdentifierOccurrences(ctx, "phone", "+84912345678", since)
	if err != nil || len(occ) != 2 || occ[0].DocumentID != d1 || occ[1].DocumentID != d2 || occ[0].Raw != "0912 345 678" || occ[0].Offset != 7 || occ[0].BatchID != b.ID {
		t.Errorf("IdentifierOccurrences = %+v, %v", occ, err)
	}
	if occ, err := st.IdentifierOccurrences(ctx, "phone", "+84912345678", time.Now().Add(time.Hour)); err != nil || len(occ) != 0 {
		t.Errorf("IdentifierOccurrences after the documents = %+v, %v", occ, err)
	}

	copy1 := mustDoc(t, st, b.ID, "copy.pdf", sha(700))
	copy2 := mustDoc(t, st, b.ID, "copy-again.pdf", sha(700))
	if ids, err := st.DocumentIDsBySHA256(ctx, sha(700)); err != nil || !slices.Equal(ids, []int64{copy1.ID, copy2.ID}) {
		t.Errorf("DocumentIDsBySHA256 = %v, %v", ids, err)
	}

	vol, err := st.VolumeDocuments(ctx, since)
	if err != nil || len(vol) != 2 || vol[0].Type != "decision" || vol[0].Department != "administration" {
		t.Errorf("VolumeDocuments = %+v, %v; want the two classified documents", vol, err)
	}

	if err := st.DocumentFail(ctx, pipeline.DocumentFailParams{DocumentID: copy1.ID, Stage: pipeline.StageExtract, Code: pipeline.ECORRUPT, Reason: "damaged"}); err != nil {
		t.Fatal(err)
	}
	if fc, err := st.FailureCounts(ctx); err != nil || !slices.Equal(fc, []pipeline.CodeCount{{Code: pipeline.ECORRUPT, Count: 1}}) {
		t.Errorf("FailureCounts = %+v, %v", fc, err)
	}
	// copy2's extraction waits in the queue (copy1's failed, d1 and d2's
	// ran on); River runs no job in this suite.
	if q, err := st.QueueDepth(ctx); err != nil || q[pipeline.QueueExtract] < 1 {
		t.Errorf("QueueDepth = %v, %v; want extract jobs waiting", q, err)
	}

	spike := pipeline.FlagUpsert{Kind: pipeline.FlagVolumeSpike, Key: "decision|administration|2026-12-03", Severity: "medium", Department: "administration", Title: "Many decisions",
		Evidence: []pipeline.FlagEvidence{{DocumentID: d1}, {DocumentID: d2}}}
	if err := st.FlagsUpsert(ctx, []pipeline.FlagUpsert{spike, spike}); err != nil {
		t.Fatal(err)
	}
	flags, err := st.FlagList(ctx, pipeline.FlagListParams{Scope: pipeline.ScopeAll, Kind: pipeline.FlagVolumeSpike})
	if err != nil || len(flags) != 1 {
		t.Fatalf("volume flags after FlagsUpsert = %d, %v; want one", len(flags), err)
	}
	if f, _ := st.FlagGet(ctx, pipeline.ScopeAll, flags[0].ID); len(f.Evidence) != 2 {
		t.Errorf("volume flag evidence: %+v", f.Evidence)
	}

	if err := st.DepartmentCreate(ctx, pipeline.Department{Code: "ward-7", Name: "Phường 7"}); err != nil {
		t.Fatal(err)
	}
	deps, err := st.DepartmentList(ctx)
	if err != nil || !slices.ContainsFunc(deps, func(d pipeline.Department) bool { return d.Code == "ward-7" && d.Name == "Phường 7" }) {
		t.Errorf("DepartmentList = %+v, %v", deps, err)
	}
	if !slices.IsSortedFunc(deps, func(a, b pipeline.Department) int { return strings.Compare(a.Code, b.Code) }) {
		t.Errorf("DepartmentList is not in code order: %+v", deps)
	}

	u := mustUser(t, st, "clerk7", pipeline.RoleClerk, "ward-7")
	exp := time.Now().Add(time.Hour)
	for _, tok := range []string{"keep", "other1", "other2"} {
		if err := st.SessionCreate(ctx, tok, u.ID, exp); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SessionRevokeUser(ctx, u.ID, "keep"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SessionGet(ctx, "keep"); err != nil {
		t.Errorf("the kept session: %v", err)
	}
	for _, tok := range []string{"other1", "other2"} {
		_, err := st.SessionGet(ctx, tok)
		wantCode(t, "SessionGet(revoked)", err, pipeline.ENOTFOUND)
	}
}
