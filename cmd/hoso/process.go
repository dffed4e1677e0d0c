package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"syscall"
	"time"

	"hoso/extract"
	"hoso/ingest"
	"hoso/pipeline"
	"hoso/workers"
)

// summary is what `hoso process` reports; with --json it is the last line.
type summary struct {
	BatchID            int64                  `json:"batch_id,omitempty"`
	Documents          int                    `json:"documents"`
	States             map[pipeline.State]int `json:"states"`
	Waiting            []failure              `json:"waiting,omitempty"`
	Pages              int                    `json:"pages"`
	Rejected           int                    `json:"rejected"`
	ElapsedSeconds     float64                `json:"elapsed_seconds"`
	DocumentsPerSecond float64                `json:"documents_per_second"`
	PagesPerSecond     float64                `json:"pages_per_second"`
	PeakRSSMB          float64                `json:"peak_rss_mb"`
	PeakChildRSSMB     float64                `json:"peak_child_rss_mb"`
	Failures           []failure              `json:"failures"`
	Rejections         []ingest.Outcome       `json:"rejections"`

	docs []*pipeline.Document
}

type failure struct {
	DocumentID int64  `json:"document_id"`
	Path       string `json:"path"`
	Stage      string `json:"stage"`
	Code       string `json:"code"`
	Reason     string `json:"reason"`
}

func (m *Main) process(ctx context.Context, args []string) error {
	f := m.newFlags("process").extraction().uploads()
	batchName := f.fs.String("batch", "", "batch name (default: process and the date)")
	asJSON := f.fs.Bool("json", false, "print the summary as one JSON object on the last line")
	memProfile := f.fs.String("memprofile", "", "write the heap profile taken at the peak of this process's Go memory to `file` (go tool pprof)")
	paths, err := f.parse(args)
	if err != nil {
		return err
	}
	if *memProfile != "" {
		defer m.profilePeak(*memProfile)()
	}
	start := time.Now()
	rt, err := OpenRuntime(ctx, f.cfg)
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := rt.OpenIndex(); err != nil {
		return err
	}
	sum := summary{States: map[pipeline.State]int{}}
	batchIDs, err := m.processRun(ctx, rt, *batchName, paths)
	if err != nil {
		return err
	}
	if len(batchIDs) > 0 {
		sum.BatchID = batchIDs[0]
	}
	if err := sum.collect(ctx, rt.Store, batchIDs); err != nil {
		return err
	}
	sum.Rejected = len(sum.Rejections)
	el := time.Since(start).Seconds()
	sum.ElapsedSeconds = el
	if el > 0 {
		sum.DocumentsPerSecond = float64(sum.Documents) / el
		sum.PagesPerSecond = float64(sum.Pages) / el
	}
	sum.PeakRSSMB, sum.PeakChildRSSMB = peakRSS(rt)
	m.printSummary(sum)
	if *asJSON {
		b, _ := json.Marshal(sum)
		fmt.Fprintln(m.Stdout, string(b))
	}
	return nil
}

// profilePeak starts keeping the heap profile at the peak of the Go
// memory; the function it returns writes it to file and says so.
func (m *Main) profilePeak(file string) func() {
	prof := startPeakProfiler(file, 50*time.Millisecond)
	return func() {
		peak, live, err := prof.Stop()
		if err != nil {
			fmt.Fprintf(m.Stderr, "memory profile: %v\n", err)
			return
		}
		fmt.Fprintf(m.Stderr, "Go memory at its peak %.0f MB, live heap then %.0f MB; profile in %s\n", peak, live, file)
	}
}

// processRun uploads paths as one batch (none: only what is waiting),
// runs the workers until every document is done, sweeps the patterns
// and indexes what is left, and returns the batch's ID.
func (m *Main) processRun(ctx context.Context, rt *Runtime, batchName string, paths []string) ([]int64, error) {
	// The workers start first, so that extraction begins while the rest
	// of the files are still being stored.
	q, err := rt.StartWorkers(ctx)
	if err != nil {
		return nil, err
	}
	// Documents become searchable as they are checked, as under serve:
	// one stuck upstream holds no other out of the index.
	stopIndexer := rt.RunIndexer(ctx)
	defer stopIndexer()
	var batchIDs []int64
	if len(paths) > 0 {
		id, err := processUpload(ctx, rt, batchName, paths)
		if err != nil {
			stopQueue(ctx, q)
			return nil, err
		}
		batchIDs = []int64{id}
	}
	prog := newProgress(m.Stderr)
	prog.stalled = func() string { return stalledJobs(ctx, rt.Store) }
	waitErr := waitTerminal(ctx, rt.Store, nil, prog.update)
	prog.finish()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = q.Stop(stopCtx)
	cancel()
	if waitErr != nil {
		return nil, waitErr
	}
	// The workers sweep patterns as documents finish; whatever a sweep
	// had not reached when they stopped is checked here.
	if err := workers.SweepPatterns(ctx, rt.WorkersConfig(nil)); err != nil {
		return nil, err
	}
	// What is left of the feed goes into the index before the summary.
	stopIndexer()
	return batchIDs, rt.Indexer().DrainCommitted(ctx)
}

// processUpload stores the files as one batch, audited as an upload, and
// returns the batch's ID.
func processUpload(ctx context.Context, rt *Runtime, name string, paths []string) (int64, error) {
	if name == "" {
		name = "process " + time.Now().Format("2006-01-02 15:04:05")
	}
	s, err := rt.Ingester().Begin(ctx, name)
	if err != nil {
		return 0, err
	}
	for _, p := range paths {
		if err := s.AddPath(ctx, p); err != nil {
			return 0, err
		}
	}
	accepted := 0
	for _, o := range s.Outcomes {
		if o.Accepted() {
			accepted++
		}
	}
	err = cliAudit(ctx, rt.Store, pipeline.AuditUpload, fmt.Sprintf("batch:%d", s.Batch.ID),
		map[string]any{"name": s.Batch.Name, "documents": accepted, "rejected": len(s.Outcomes) - accepted})
	return s.Batch.ID, err
}

// collect counts the batches' documents (all of them, with none given)
// by state, with their pages, failures and waits, and lists the files
// refused: at upload, and among e-mails' attachments. It streams the
// documents: memory for the failures and the waiting, not for the batch.
func (sum *summary) collect(ctx context.Context, st pipeline.Store, batchIDs []int64) error {
	err := eachDocument(ctx, st, batchIDs, func(d *pipeline.Document) {
		sum.Documents++
		if len(sum.docs) <= 50 {
			sum.docs = append(sum.docs, d)
		}
		if d.Waiting() {
			sum.States[pipeline.StateWaiting]++
			sum.Waiting = append(sum.Waiting, failure{DocumentID: d.ID, Path: d.Path, Stage: string(d.Stage), Code: d.ErrorCode, Reason: d.Error})
		} else {
			sum.States[d.State]++
		}
		sum.Pages += d.Pages
		if d.State == pipeline.StateFailed {
			sum.Failures = append(sum.Failures, failure{DocumentID: d.ID, Path: d.Path, Stage: string(d.Stage), Code: d.ErrorCode, Reason: d.Error})
		}
	})
	if err != nil {
		return err
	}
	for _, id := range batchIDs {
		rejs, err := st.RejectionListByBatch(ctx, id)
		if err != nil {
			return err
		}
		for _, r := range rejs {
			sum.Rejections = append(sum.Rejections, ingest.Outcome{Path: r.Path, Code: r.Code, Reason: r.Reason})
		}
	}
	return nil
}

func (m *Main) printSummary(s summary) {
	w := m.Stderr
	fmt.Fprintf(w, "%d documents", s.Documents)
	if s.BatchID != 0 {
		fmt.Fprintf(w, " in batch %d", s.BatchID)
	}
	fmt.Fprintf(w, ", %d pages, %d files refused\n", s.Pages, s.Rejected)
	for _, st := range append(pipeline.States, pipeline.StateWaiting) {
		if n := s.States[st]; n > 0 {
			fmt.Fprintf(w, "  %-10s %d\n", st, n)
		}
	}
	if s.Documents <= 50 {
		for _, d := range s.docs {
			if d.State != pipeline.StateFailed && !d.Waiting() {
				fmt.Fprintf(w, "  %-9s %s (%s, %s)\n", d.State, d.Path, extract.Describe(d.MIME), pagesText(d.Pages))
			}
		}
	}
	if len(s.Waiting) > 0 {
		fmt.Fprintln(w, "Waiting:")
		for _, f := range s.Waiting {
			fmt.Fprintf(w, "  %s: %s\n", f.Path, f.Reason)
		}
	}
	if len(s.Failures) > 0 {
		fmt.Fprintln(w, "Failed:")
		for _, f := range s.Failures {
			fmt.Fprintf(w, "  %s: %s\n", f.Path, f.Reason)
		}
	}
	if len(s.Rejections) > 0 {
		fmt.Fprintln(w, "Refused:")
		for _, r := range s.Rejections {
			fmt.Fprintf(w, "  %s: %s\n", r.Path, r.Reason)
		}
	}
	fmt.Fprintf(w, "%.1f s, %.1f documents/s, %.1f pages/s, peak memory %.0f MB (extraction processes %.0f MB)\n",
		s.ElapsedSeconds, s.DocumentsPerSecond, s.PagesPerSecond, s.PeakRSSMB, s.PeakChildRSSMB)
}

// waitTerminal waits until no document (of the batches, or at all) is
// still on its way through the queue.
func waitTerminal(ctx context.Context, st pipeline.Store, batchIDs []int64, each func(map[pipeline.State]int)) error {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		counts, err := st.DocumentCountByState(ctx, pipeline.DocumentCountByStateParams{BatchIDs: batchIDs})
		if err != nil {
			return err
		}
		if each != nil {
			each(counts)
		}
		pending := 0
		for state, n := range counts {
			if !state.Settled() {
				pending += n
			}
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func listDocuments(ctx context.Context, st pipeline.Store, batchIDs []int64) ([]*pipeline.Document, error) {
	if len(batchIDs) > 0 {
		var out []*pipeline.Document
		for _, id := range batchIDs {
			docs, err := st.DocumentListByBatch(ctx, id)
			if err != nil {
				return nil, err
			}
			out = append(out, docs...)
		}
		return out, nil
	}
	var out []*pipeline.Document
	var after int64
	for {
		docs, err := st.DocumentList(ctx, pipeline.DocumentListParams{AfterID: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		if len(docs) == 0 {
			sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
			return out, nil
		}
		out = append(out, docs...)
		after = docs[len(docs)-1].ID
	}
}

// eachDocument calls fn for every document of the batches (of all batches
// when batchIDs is empty), in ID order, reading them a page at a time.
func eachDocument(ctx context.Context, st pipeline.Store, batchIDs []int64, fn func(*pipeline.Document)) error {
	in := map[int64]bool{}
	for _, id := range batchIDs {
		in[id] = true
	}
	var after int64
	for {
		docs, err := st.DocumentList(ctx, pipeline.DocumentListParams{AfterID: after, Limit: 500})
		if err != nil {
			return err
		}
		if len(docs) == 0 {
			return nil
		}
		for _, d := range docs {
			if len(in) == 0 || in[d.BatchID] {
				fn(d)
			}
		}
		after = docs[len(docs)-1].ID
	}
}

// peakRSS returns the peak resident memory of this process and of its
// largest extraction or OCR child (or a program the child ran), in MB.
// The children report their own: the kernel's count for children charges
// each one this process's size when it started.
func peakRSS(rt *Runtime) (self, children float64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		self = float64(ru.Maxrss) / 1024
	}
	return self, float64(max(rt.Sandbox.PeakRSS(), rt.OCRSandbox.PeakRSS())) / (1 << 20)
}

// pagesText is "1 page" or "N pages".
func pagesText(n int) string {
	if n == 1 {
		return "1 page"
	}
	return fmt.Sprintf("%d pages", n)
}
