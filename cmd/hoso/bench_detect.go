package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"hoso/detect/sample"
	"hoso/pipeline"
	"hoso/pipeline/postgres"
	"hoso/pipeline/sqlite"
	"hoso/pipeline/sqlstore"
	"hoso/workers"
)

// benchDetect measures the detect stage as the archive grows: it stores
// generated documents one at a time (applications on two forms and
// complaint letters, with planted copies, shared phone numbers and files
// uploaded twice), runs the detect stage on each — identifiers, red flags,
// the near-duplicate signature, then the sweep of cross-document patterns
// — and prints the stage's time per document for the first and the last
// slice of the archive.
func (m *Main) benchDetect(ctx context.Context, args []string) error {
	f := m.newFlags("bench detect").extraction()
	n := f.fs.Int("docs", 100000, "documents to generate")
	slice := f.fs.Int("slice", 10000, "documents in the first and the last slice")
	pgURL := f.fs.String("postgres", "", "run on PostgreSQL at this URL (a scratch schema, dropped after) instead of SQLite")
	if _, err := f.parse(args); err != nil {
		return err
	}
	*slice = min(*slice, *n/2)
	var st *sqlstore.Store
	if *pgURL != "" {
		schema := fmt.Sprintf("hoso_bench_%d", time.Now().UnixNano())
		s, db, err := postgres.OpenStore(ctx, postgres.Config{URL: *pgURL, Schema: schema, MaxConns: 4})
		if err != nil {
			return err
		}
		defer postgres.DropSchema(context.WithoutCancel(ctx), *pgURL, schema)
		defer db.Close()
		st = s
	} else {
		dir, err := os.MkdirTemp("", "hoso-bench-detect-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		s, _, err := sqlite.OpenStore(ctx, filepath.Join(dir, "hoso.db"))
		if err != nil {
			return err
		}
		defer s.Close()
		st = s
	}
	w := workers.NewDetect(workers.Config{Store: st})
	r := rand.New(rand.NewPCG(1, 2))
	var batch *pipeline.Batch
	var recent []sample.Applicant
	var detectTime []time.Duration
	start := time.Now()
	for i := range *n {
		if i%500 == 0 {
			var err error
			if batch, err = st.BatchCreate(ctx, pipeline.BatchCreateParams{Name: fmt.Sprintf("bench %d", i/500), Department: "construction"}); err != nil {
				return err
			}
		}
		a := sample.NewApplicant(r)
		typ, dep := "construction", "construction"
		var paras []string
		switch p := r.Float64(); {
		case p < 0.01 && len(recent) > 0: // a copy of a recent application
			old := recent[r.IntN(len(recent))]
			paras = sample.PermitForm(sample.Redate(r, old))
			if r.IntN(2) == 0 {
				paras = strings.Split(sample.OCRNoise(r, strings.Join(paras, "\n\n")), "\n\n")
			}
		case p < 0.015 && len(recent) > 0: // someone else's phone number
			a.Phone = recent[r.IntN(len(recent))].Phone
			paras = sample.PermitForm(a)
		case p < 0.6:
			paras = sample.PermitForm(a)
		default:
			typ, dep = "complaint", "inspection"
			paras = sample.Complaint(a)
		}
		if typ == "construction" {
			recent = append(recent, a)
			if len(recent) > 200 {
				recent = recent[1:]
			}
		}
		text := strings.Join(paras, "\n\n")
		sum := fmt.Sprintf("%064x", r.Uint64())
		if r.Float64() < 0.005 {
			sum = fmt.Sprintf("%064x", i/2) // a file uploaded twice
		}
		d, err := st.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: batch.ID, Filename: fmt.Sprintf("doc-%06d.txt", i),
			Path: fmt.Sprintf("doc-%06d.txt", i), SHA256: sum, Size: int64(len(text)), MIME: "text/plain"})
		if err != nil {
			return err
		}
		if err := st.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, MIME: "text/plain", Language: "vi",
			Pages: []pipeline.Page{{Number: 1, Text: text, Quality: 1, Extractor: "text"}}, Quality: 1, Extractor: "text"}); err != nil {
			return err
		}
		if err := st.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID,
			Classification: pipeline.Classification{Type: typ, Department: dep}}); err != nil {
			return err
		}
		t0 := time.Now()
		if err := w.Work(ctx, &river.Job[pipeline.DetectArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: pipeline.DetectArgs{DocumentID: d.ID}}); err != nil {
			return fmt.Errorf("detect document %d: %w", d.ID, err)
		}
		detectTime = append(detectTime, time.Since(t0))
		if (i+1)%10000 == 0 {
			fmt.Fprintf(m.Stderr, "  %d documents, %.0f s\n", i+1, time.Since(start).Seconds())
		}
	}
	mean := func(ds []time.Duration) time.Duration {
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		return sum / time.Duration(len(ds))
	}
	first, last := mean(detectTime[:*slice]), mean(detectTime[len(detectTime)-*slice:])
	flags, err := st.FlagList(ctx, pipeline.FlagListParams{Scope: pipeline.ScopeAll, Limit: 1 << 30})
	if err != nil {
		return err
	}
	kinds := map[string]int{}
	for _, fl := range flags {
		kinds[fl.Kind]++
	}
	backend := "SQLite"
	if *pgURL != "" {
		backend = "PostgreSQL"
	}
	fmt.Fprintf(m.Stdout, "detect stage on %s, %d generated documents (%.0f s in all)\n", backend, *n, time.Since(start).Seconds())
	fmt.Fprintf(m.Stdout, "  first %d: %.2f ms per document\n", *slice, float64(first.Microseconds())/1000)
	fmt.Fprintf(m.Stdout, "  last %d:  %.2f ms per document\n", *slice, float64(last.Microseconds())/1000)
	fmt.Fprintf(m.Stdout, "  ratio last/first: %.2f (target ≤ 1.5)\n", float64(last)/float64(first))
	fmt.Fprintf(m.Stdout, "  flags raised: %v\n", kinds)
	return nil
}
