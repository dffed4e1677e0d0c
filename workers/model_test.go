package workers_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"hoso/classify/learn"
	"hoso/extract"
	"hoso/ingest"
	"hoso/pipeline"
	"hoso/pipeline/blob"
	"hoso/pipeline/sqlite"
	"hoso/workers"
)

const modelRules = `
name: model test rules
types:
  - {id: tax, name: Tax}
  - {id: permit, name: Permit}
rules:
  - {id: tax-header, type: tax, all: ["MẪU THUẾ"]}
  - {id: permit-header, type: permit, all: ["MẪU PHÉP"]}
`

var (
	taxBody    = "Tờ khai thuế giá trị gia tăng, hóa đơn bán hàng, số thuế phải nộp kỳ %d, mã số thuế doanh nghiệp."
	permitBody = "Giấy phép xây dựng công trình nhà ở, diện tích sàn, chiều cao tầng, bản vẽ thiết kế số %d."
)

// modelPipeline runs the real workers on SQLite with a model that is
// looked up on every document and taken from probability 0.6.
func modelPipeline(t *testing.T) *ingest.Ingester {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, db, err := sqlite.OpenStore(ctx, filepath.Join(dir, "hoso.db"))
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := extract.NewSandbox(extract.SandboxConfig{Timeout: 30 * time.Second, Children: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RuleSetCreate(ctx, pipeline.RuleSetCreateParams{Name: "t", Source: modelRules}); err != nil {
		t.Fatal(err)
	}
	startWorkers(t, db, workers.Config{Store: st, Blobs: blobs, Extractor: sb,
		Models: &learn.Current{Store: st, TTL: time.Nanosecond}, ModelThreshold: 0.6}, func() { sb.Close() }, func() { st.Close() })
	return &ingest.Ingester{Store: st, Blobs: blobs}
}

// TestModelInPipeline: rules type documents; a model learns from them;
// a document no rule claims takes the model's type, marked as the
// model's; a rule and a confident model that disagree raise one flag,
// however often the document is classified; and the next model learns
// from the rule's decisions only, never from the model's own types.
func TestModelInPipeline(t *testing.T) {
	ctx := context.Background()
	in := modelPipeline(t)
	st := in.Store
	for i := range 8 {
		waitDocument(t, st, add(t, in, fmt.Sprintf("tax%d.txt", i), "MẪU THUẾ\n"+fmt.Sprintf(taxBody, i)))
		waitDocument(t, st, add(t, in, fmt.Sprintf("permit%d.txt", i), "MẪU PHÉP\n"+fmt.Sprintf(permitBody, i)))
	}
	v1, err := learn.TrainArchive(ctx, st, learn.ArchiveConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if v1.Documents != 16 || v1.Labels["tax"] != 8 {
		t.Fatalf("first model learned from %d documents, %v", v1.Documents, v1.Labels)
	}

	bare := waitDocument(t, st, add(t, in, "bare.txt", fmt.Sprintf(taxBody, 99)))
	c := bare.Classification
	if bare.Type != "tax" || bare.TypeSource != pipeline.SourceModel || c.ModelVersion != v1.Version || c.TypeConfidence < 0.6 || c.Suggestion == nil || len(c.Suggestion.For) == 0 {
		t.Fatalf("a document no rule claims: type %q from %q, classification %+v", bare.Type, bare.TypeSource, c)
	}

	odd := waitDocument(t, st, add(t, in, "odd.txt", "MẪU PHÉP\n"+fmt.Sprintf(taxBody, 7)+" "+fmt.Sprintf(taxBody, 8)))
	if odd.Type != "permit" || odd.TypeSource != pipeline.SourceRule || odd.Classification.Suggestion.Label != "tax" {
		t.Fatalf("a document the rule and the model disagree on: type %q from %q, suggestion %+v", odd.Type, odd.TypeSource, odd.Classification.Suggestion)
	}
	for range 2 {
		flags, err := st.FlagList(ctx, pipeline.FlagListParams{Scope: pipeline.ScopeAll, Kind: pipeline.FlagModelDisagrees})
		if err != nil {
			t.Fatal(err)
		}
		if len(flags) != 1 {
			t.Fatalf("%d disagreement flags, want 1", len(flags))
		}
		full, _ := st.FlagGet(ctx, pipeline.ScopeAll, flags[0].ID)
		if len(full.Evidence) != 1 || full.Evidence[0].DocumentID != odd.ID {
			t.Fatalf("flag evidence %+v", full.Evidence)
		}
		// Classified again: still one flag.
		if _, err := st.DocumentReclassify(ctx, pipeline.DocumentReclassifyParams{Type: "permit"}); err != nil {
			t.Fatal(err)
		}
		waitDocument(t, st, odd.ID)
	}

	var ids []int64
	for after := int64(0); ; {
		docs, err := st.ModelTrainingDocuments(ctx, pipeline.ModelTrainingDocumentsParams{AfterID: after})
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) == 0 {
			break
		}
		for _, d := range docs {
			ids = append(ids, d.ID)
		}
		after = docs[len(docs)-1].ID
	}
	if slices.Contains(ids, bare.ID) || !slices.Contains(ids, odd.ID) || len(ids) != 17 {
		t.Errorf("training documents %v: want the 16 typed by rules and the disagreeing one, never %d (typed by the model)", ids, bare.ID)
	}
	v2, err := learn.TrainArchive(ctx, st, learn.ArchiveConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if v2.Documents != 17 || v2.Labels["tax"] != 8 {
		t.Errorf("second model learned from %d documents, %v; want 17, tax 8", v2.Documents, v2.Labels)
	}
}

// TestModelRetrain: the periodic job trains a model once enough documents
// were typed by rules or people since the last one, and not before.
func TestModelRetrain(t *testing.T) {
	ctx := context.Background()
	in := modelPipeline(t)
	st := in.Store
	w := workers.NewModelTrain(workers.Config{Store: st, ModelRetrain: workers.ModelRetrainConfig{MinNew: 4}})
	job := &river.Job[pipeline.ModelTrainArgs]{}
	versions := func() int {
		list, err := st.ModelList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	for i := range 3 {
		waitDocument(t, st, add(t, in, fmt.Sprintf("tax%d.txt", i), "MẪU THUẾ\n"+fmt.Sprintf(taxBody, i)))
	}
	if err := w.Work(ctx, job); err != nil || versions() != 0 {
		t.Fatalf("three decisions: %v, %d models; want none yet", err, versions())
	}
	waitDocument(t, st, add(t, in, "permit.txt", "MẪU PHÉP\n"+fmt.Sprintf(permitBody, 1)))
	if err := w.Work(ctx, job); err != nil || versions() != 1 {
		t.Fatalf("four decisions: %v, %d models; want one", err, versions())
	}
	if err := w.Work(ctx, job); err != nil || versions() != 1 {
		t.Fatalf("no news: %v, %d models; want still one", err, versions())
	}
	job.Args.Force = true
	if err := w.Work(ctx, job); err != nil || versions() != 2 {
		t.Fatalf("forced: %v, %d models; want two", err, versions())
	}
}
