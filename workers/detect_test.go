package workers_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"hoso/detect"
	"hoso/detect/sample"
	"hoso/pipeline"
	"hoso/pipeline/sqlite/sqlitetest"
	"hoso/workers"
)

// TestTemplateLearnedMeanwhile: a worker that looked for its type's
// near-duplicate template before another worker learned it signs its
// document without one; the learner signs again only the documents
// committed before it listed them, so the late one signs itself again
// once it sees the template, instead of staying compared on its whole
// text for good.
func TestTemplateLearnedMeanwhile(t *testing.T) {
	st, _, _ := sqlitetest.Open(t)
	ctx := context.Background()
	b, err := st.BatchCreate(ctx, pipeline.BatchCreateParams{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	classified := func(i int) int64 {
		t.Helper()
		d, err := st.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: b.ID, Filename: fmt.Sprintf("don-%d.txt", i),
			Path: fmt.Sprintf("don-%d.txt", i), SHA256: fmt.Sprintf("%064x", i+1), Size: 10, MIME: "text/plain"})
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(sample.PermitForm(sample.NewApplicant(r)), "\n\n")
		if err := st.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, Pages: []pipeline.Page{{Number: 1, Text: text, Quality: 1}}, Language: "vi"}); err != nil {
			t.Fatal(err)
		}
		if err := st.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: pipeline.Classification{Type: "construction", Rule: "test"}}); err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	work := func(w *workers.Detect, id int64) {
		t.Helper()
		job := &river.Job[pipeline.DetectArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 5}, Args: pipeline.DetectArgs{DocumentID: id}}
		if err := w.Work(ctx, job); err != nil {
			t.Fatal(err)
		}
	}
	cfg := workers.Config{Store: st, Detect: detect.Config{TemplateMinDocs: 3}}
	late := workers.NewDetect(cfg)
	first := classified(0)
	work(late, first) // looks, finds no template (and keeps that a few seconds)
	var learnt int64
	for i := 1; i <= 3; i++ {
		// Workers of their own, as on other nodes: the third learns the
		// template from the three documents signed before its own.
		learnt = classified(i)
		work(workers.NewDetect(cfg), learnt)
	}
	if _, err := st.NearDupTemplateGet(ctx, "construction"); err != nil {
		t.Fatalf("no template learned: %v", err)
	}
	x := classified(4)
	work(late, x)
	for _, id := range []int64{first, learnt, x} {
		sig, err := st.NearDupSignatureGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if sig.TemplateDocs == 0 {
			t.Errorf("document %d is signed without the template learned before it was committed", id)
		}
	}
}
