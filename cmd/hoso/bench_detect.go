package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"hoso/detect/sample"
	"hoso/pipeline"
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
	st, done, err := openDetectStore(ctx, *pgURL)
	if err != nil {
		return err
	}
	defer done()
	start := time.Now()
	detectTime, err := m.detectEach(ctx, st, *n, start)
	if err != nil {
		return err
	}
	kinds, err := flagKinds(ctx, st)
	if err != nil {
		return err
	}
	backend := "SQLite"
	if *pgURL != "" {
		backend = "PostgreSQL"
	}
	first, last := meanDuration(detectTime[:*slice]), meanDuration(detectTime[len(detectTime)-*slice:])
	fmt.Fprintf(m.Stdout, "detect stage on %s, %d generated documents (%.0f s in all)\n", backend, *n, time.Since(start).Seconds())
	fmt.Fprintf(m.Stdout, "  first %d: %.2f ms per document\n", *slice, millis(first))
	fmt.Fprintf(m.Stdout, "  last %d:  %.2f ms per document\n", *slice, millis(last))
	fmt.Fprintf(m.Stdout, "  ratio last/first: %.2f (target ≤ 1.5)\n", float64(last)/float64(first))
	fmt.Fprintf(m.Stdout, "  flags raised: %v\n", kinds)
	return nil
}

// openDetectStore opens the detect bench's store: on a scratch schema at
// pgURL, or without one on SQLite in a temporary folder. done closes it
// and removes what it made.
func openDetectStore(ctx context.Context, pgURL string) (st *sqlstore.Store, done func(), err error) {
	if pgURL != "" {
		return scratchPostgres(ctx, pgURL, scratchSchema("hoso_bench"), 4)
	}
	return scratchSQLite(ctx, "hoso-bench-detect-")
}

// detectEach stores n generated documents one at a time, 500 to a batch,
// runs the detect stage on each and returns the stage's time for each,
// telling Stderr how far it is every 10,000 documents since start.
func (m *Main) detectEach(ctx context.Context, st *sqlstore.Store, n int, start time.Time) ([]time.Duration, error) {
	w := workers.NewDetect(workers.Config{Store: st})
	gen := &detectDocs{r: rand.New(rand.NewPCG(1, 2))}
	var batch *pipeline.Batch
	var detectTime []time.Duration
	for i := range n {
		if i%500 == 0 {
			var err error
			if batch, err = st.BatchCreate(ctx, pipeline.BatchCreateParams{Name: fmt.Sprintf("bench %d", i/500), Department: "construction"}); err != nil {
				return nil, err
			}
		}
		id, err := gen.store(ctx, st, batch.ID, i)
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		if err := w.Work(ctx, &river.Job[pipeline.DetectArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: pipeline.DetectArgs{DocumentID: id}}); err != nil {
			return nil, fmt.Errorf("detect document %d: %w", id, err)
		}
		detectTime = append(detectTime, time.Since(t0))
		if (i+1)%10000 == 0 {
			fmt.Fprintf(m.Stderr, "  %d documents, %.0f s\n", i+1, time.Since(start).Seconds())
		}
	}
	return detectTime, nil
}

// detectDocs writes the detect bench's documents from one seeded source:
// applications on two forms and complaint letters, with planted copies
// of recent applications, shared phone numbers and files uploaded twice.
type detectDocs struct {
	r *rand.Rand
	// recent are the last 200 applicants of construction documents, whom
	// copies and shared phone numbers are taken from.
	recent []sample.Applicant
}

// next is document i: its type, department, text and SHA-256.
func (g *detectDocs) next(i int) (typ, dep, text, sum string) {
	r := g.r
	a := sample.NewApplicant(r)
	typ, dep = "construction", "construction"
	var paras []string
	switch p := r.Float64(); {
	case p < 0.01 && len(g.recent) > 0: // a copy of a recent application
		old := g.recent[r.IntN(len(g.recent))]
		paras = sample.PermitForm(sample.Redate(r, old))
		if r.IntN(2) == 0 {
			paras = strings.Split(sample.OCRNoise(r, strings.Join(paras, "\n\n")), "\n\n")
		}
	case p < 0.015 && len(g.recent) > 0: // someone else's phone number
		a.Phone = g.recent[r.IntN(len(g.recent))].Phone
		paras = sample.PermitForm(a)
	case p < 0.6:
		paras = sample.PermitForm(a)
	default:
		typ, dep = "complaint", "inspection"
		paras = sample.Complaint(a)
	}
	if typ == "construction" {
		g.recent = append(g.recent, a)
		if len(g.recent) > 200 {
			g.recent = g.recent[1:]
		}
	}
	sum = fmt.Sprintf("%064x", r.Uint64())
	if r.Float64() < 0.005 {
		sum = fmt.Sprintf("%064x", i/2) // a file uploaded twice
	}
	return typ, dep, strings.Join(paras, "\n\n"), sum
}

// store stores document i in the batch as extracted and classified,
// ready for the detect stage, and returns its ID.
func (g *detectDocs) store(ctx context.Context, st *sqlstore.Store, batchID int64, i int) (int64, error) {
	typ, dep, text, sum := g.next(i)
	d, err := st.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: batchID, Filename: fmt.Sprintf("doc-%06d.txt", i),
		Path: fmt.Sprintf("doc-%06d.txt", i), SHA256: sum, Size: int64(len(text)), MIME: "text/plain"})
	if err != nil {
		return 0, err
	}
	if err := st.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, MIME: "text/plain", Language: "vi",
		Pages: []pipeline.Page{{Number: 1, Text: text, Quality: 1, Extractor: "text"}}, Quality: 1, Extractor: "text"}); err != nil {
		return 0, err
	}
	if err := st.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID,
		Classification: pipeline.Classification{Type: typ, Department: dep}}); err != nil {
		return 0, err
	}
	return d.ID, nil
}

// meanDuration is the mean of ds, which must not be empty.
func meanDuration(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

// flagKinds counts the flags raised in the whole store by kind.
func flagKinds(ctx context.Context, st *sqlstore.Store) (map[string]int, error) {
	flags, err := st.FlagList(ctx, pipeline.FlagListParams{Scope: pipeline.ScopeAll, Limit: 1 << 30})
	if err != nil {
		return nil, err
	}
	kinds := map[string]int{}
	for _, fl := range flags {
		kinds[fl.Kind]++
	}
	return kinds, nil
}
