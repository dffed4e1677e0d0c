package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"hoso/extract"
	"hoso/ingest"
	"hoso/internal/stats"
	"hoso/pipeline"
	"hoso/pipeline/postgres"
	"hoso/pipeline/sqlite"
	"hoso/pipeline/sqlstore"
	"hoso/workers"
)

// bench measures, on the same PDFs and in one run: pdftotext alone,
// hoso's extraction through the sandbox, and `hoso process` end to end on
// SQLite and (with --postgres) PostgreSQL. Each figure is the median of
// --rounds runs, taken in turn so that a noisy neighbour hits all alike.
func (m *Main) bench(ctx context.Context, args []string) error {
	if len(args) > 0 {
		if sub, ok := m.benchCommands()[args[0]]; ok {
			return sub(ctx, args[1:])
		}
	}
	return m.benchPipeline(ctx, args)
}

// benchCommands are the benchmarks with a name of their own; without
// one, bench measures the pipeline on PDFs.
func (m *Main) benchCommands() map[string]func(context.Context, []string) error {
	return map[string]func(context.Context, []string) error{
		"search":    m.benchSearch,
		"detect":    m.benchDetect,
		"relevance": m.benchRelevance,
		"classify":  m.benchClassify,
		"scale":     m.benchScale,
		"ocr":       m.benchOCR,
	}
}

// benchMeasure is one contender of the pipeline bench, run --rounds
// times.
type benchMeasure struct {
	name string
	run  func() (time.Duration, error)
	runs []time.Duration
}

// benchRun is what the end-to-end contenders record besides their time.
type benchRun struct {
	usable      []string
	children    int
	ingestTimes map[string][]time.Duration
	idles       map[string][]slotIdle
}

// benchPipeline is bench without a name: the pipeline on PDFs, each
// contender timed --rounds times and reported against pdftotext.
func (m *Main) benchPipeline(ctx context.Context, args []string) error {
	f := m.newFlags("bench").extraction().uploads()
	rounds := f.fs.Int("rounds", 3, "runs of each measurement; the median is reported")
	pgURL := f.fs.String("postgres", m.Getenv("HOSO_TEST_DATABASE_URL"), "PostgreSQL URL for the end-to-end run on PostgreSQL (a scratch schema is used and dropped)")
	paths, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		if paths = corpusDirs("pdf-samples", "pdf-expected", "vietnamese"); len(paths) == 0 {
			return usageError{"name the folders of PDFs to measure"}
		}
	}
	files, err := pdfFiles(paths)
	if err != nil {
		return err
	}
	cfg := f.cfg
	cfg.fill()
	tool, _ := exec.LookPath("pdftotext")
	sb, err := extract.NewSandbox(extract.SandboxConfig{Children: cfg.Children, Timeout: cfg.Timeout, Memory: cfg.Memory, PDFToText: tool})
	if err != nil {
		return err
	}
	defer sb.Close()
	fmt.Fprintf(m.Stdout, "%d PDFs from %s; %d extraction processes; median of %d rounds\n", len(files), strings.Join(paths, ", "), cfg.Children, *rounds)

	br := &benchRun{children: cfg.Children, ingestTimes: map[string][]time.Duration{}, idles: map[string][]slotIdle{}}
	pages := br.keepReadable(ctx, sb, files)
	fmt.Fprintf(m.Stdout, "%d of them readable, %d pages\n\n", len(br.usable), pages)
	ms := br.contenders(ctx, cfg, sb, tool, *pgURL)
	if err := timeRounds(ms, *rounds); err != nil {
		return err
	}
	m.benchPipelineReport(ms, br, pages)
	return nil
}

// corpusDirs are those of the named folders of the shared corpus
// (../shared/corpus seen from the working folder) that exist.
func corpusDirs(names ...string) []string {
	var out []string
	for _, name := range names {
		p := filepath.Join("..", "shared", "corpus", name)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// keepReadable keeps, as br.usable, the files that some reader can open,
// so that every contender works on the same set, and returns their pages.
func (br *benchRun) keepReadable(ctx context.Context, sb *extract.Sandbox, files []string) int {
	pages := 0
	for _, p := range files {
		res, err := sb.Extract(ctx, p)
		if err == nil {
			br.usable = append(br.usable, p)
			pages += len(res.Pages)
		}
	}
	return pages
}

// contenders are what the pipeline bench times, in the order it prints
// them: pdftotext alone (when installed), hoso's extraction, and hoso
// process on SQLite and (with pgURL) PostgreSQL, each with the real
// extraction and with it stubbed.
func (br *benchRun) contenders(ctx context.Context, cfg Config, sb *extract.Sandbox, tool, pgURL string) []*benchMeasure {
	var ms []*benchMeasure
	if tool != "" {
		ms = append(ms, &benchMeasure{name: "pdftotext", run: func() (time.Duration, error) {
			return parallel(ctx, br.usable, cfg.Children, func(p string) error {
				return exec.CommandContext(ctx, tool, "-enc", "UTF-8", "-q", p, os.DevNull).Run()
			})
		}})
	}
	ms = append(ms, &benchMeasure{name: "hoso extraction (sandbox)", run: func() (time.Duration, error) {
		return parallel(ctx, br.usable, cfg.Children, func(p string) error {
			_, err := sb.Extract(ctx, p)
			return err
		})
	}})
	ms = append(ms, br.endToEnd(ctx, "SQLite", cfg, func() {}, nil))
	ms = append(ms, br.endToEnd(ctx, "SQLite, no extraction", cfg, func() {}, cannedExtractor{cfg.Timeout}))
	if pgURL != "" {
		schema := scratchSchema("hoso_bench")
		c := cfg
		c.DatabaseURL, c.Schema = pgURL, schema
		drop := func() { _ = postgres.DropSchema(context.WithoutCancel(ctx), pgURL, schema) }
		ms = append(ms, br.endToEnd(ctx, "PostgreSQL", c, drop, nil))
		ms = append(ms, br.endToEnd(ctx, "PostgreSQL, no extraction", c, drop, cannedExtractor{cfg.Timeout}))
	}
	return ms
}

// timeRounds runs every contender once a round, in turn, so that a noisy
// neighbour hits all alike, and records each run's time.
func timeRounds(ms []*benchMeasure, rounds int) error {
	for r := 0; r < rounds; r++ {
		for _, mm := range ms {
			d, err := mm.run()
			if err != nil {
				return fmt.Errorf("%s: %w", mm.name, err)
			}
			mm.runs = append(mm.runs, d)
		}
	}
	return nil
}

// endToEnd is `hoso process` on a fresh data folder, with the real
// extraction or (ex) a stand-in that measures the queue and database
// alone: then the files are stored first and only the queue's work is
// timed.
func (br *benchRun) endToEnd(ctx context.Context, name string, c Config, cleanup func(), ex workers.Extractor) *benchMeasure {
	return &benchMeasure{name: "hoso process on " + name, run: func() (time.Duration, error) {
		dir, err := os.MkdirTemp("", "hoso-bench-")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		defer cleanup()
		c.DataDir = dir
		start := time.Now()
		rt, err := OpenRuntime(ctx, c)
		if err != nil {
			return 0, err
		}
		defer rt.Close()
		rt.Sandbox.Record()
		rt.Extractor = ex
		upload := func() (*ingest.Upload, error) {
			s, err := rt.Ingester().Begin(ctx, "bench")
			if err != nil {
				return nil, err
			}
			for _, p := range br.usable {
				if err := s.AddPath(ctx, p); err != nil {
					return nil, err
				}
			}
			return s, nil
		}
		var s *ingest.Upload
		if ex != nil {
			if s, err = upload(); err != nil {
				return 0, err
			}
			start = time.Now()
		}
		workStart := time.Now()
		q, err := rt.StartWorkers(ctx)
		if err != nil {
			return 0, err
		}
		if ex == nil {
			if s, err = upload(); err != nil {
				return 0, err
			}
			br.ingestTimes[name] = append(br.ingestTimes[name], time.Since(start))
		}
		err = waitTerminal(ctx, rt.Store, []int64{s.Batch.ID}, nil)
		el := time.Since(start)
		stopQueue(ctx, q)
		if err != nil {
			return 0, err
		}
		br.idles[name] = append(br.idles[name], childIdle(rt.Sandbox.Recorded(), c.Children, workStart, start.Add(el)))
		return el, nil
	}}
}

// benchPipelineReport prints each contender's median against
// pdftotext's, and for each database what the queue costs and how long
// the extraction processes stood idle.
func (m *Main) benchPipelineReport(ms []*benchMeasure, br *benchRun, pages int) {
	med := func(ds []time.Duration) time.Duration { return stats.Quantile(ds, 0.5) }
	var base, extraction time.Duration
	fmt.Fprintf(m.Stdout, "%-30s %10s %10s %12s %10s\n", "", "seconds", "pages/s", "documents/s", "vs pdftotext")
	for _, mm := range ms {
		d := med(mm.runs)
		if mm.name == "pdftotext" {
			base = d
		}
		if strings.HasPrefix(mm.name, "hoso extraction") {
			extraction = d
		}
		ratio := "-"
		if base > 0 {
			ratio = fmt.Sprintf("%.2f×", float64(d)/float64(base))
		}
		fmt.Fprintf(m.Stdout, "%-30s %10.2f %10.1f %12.1f %10s\n", mm.name, d.Seconds(), float64(pages)/d.Seconds(), float64(len(br.usable))/d.Seconds(), ratio)
	}
	fmt.Fprintln(m.Stdout)
	if base > 0 {
		fmt.Fprintf(m.Stdout, "extraction speed: %.2f× pdftotext's (target ≥ 0.9)\n", float64(base)/float64(extraction))
	}
	runs := map[string]time.Duration{}
	for _, mm := range ms {
		runs[strings.TrimPrefix(mm.name, "hoso process on ")] = med(mm.runs)
	}
	for _, name := range []string{"SQLite", "PostgreSQL"} {
		d, ok := runs[name]
		if !ok {
			continue
		}
		is := append([]slotIdle(nil), br.idles[name]...)
		sort.Slice(is, func(i, j int) bool { return is[i].between < is[j].between })
		mid := is[len(is)/2]
		frac := func(x time.Duration) float64 { return 100 * x.Seconds() / d.Seconds() / float64(br.children) }
		fmt.Fprintf(m.Stdout, "%s: end to end %.2f s (files stored after %.2f s)", name, d.Seconds(), med(br.ingestTimes[name]).Seconds())
		if base > 0 {
			fmt.Fprintf(m.Stdout, ", %.2f× pdftotext alone (target ≤ 2)", float64(d)/float64(base))
		}
		q := runs[name+", no extraction"]
		fmt.Fprintf(m.Stdout, "\n  the queue and database alone (stored files through three stages, extraction stubbed): %.2f s, %.1f%% of the end-to-end time (target < 5%%)\n", q.Seconds(), 100*q.Seconds()/d.Seconds())
		fmt.Fprintf(m.Stdout, "  extraction processes idle: %.1f%% between files, %.1f%% before the first, %.1f%% after the last\n",
			frac(mid.between), frac(mid.start), frac(mid.tail))
	}
}

// slotIdle is the time extraction children stood idle, summed over
// children: before their first file, between files (waiting on the queue
// and the database) and after their last file (while the last documents
// finished elsewhere).
type slotIdle struct {
	start, between, tail time.Duration
}

// childIdle replays the sandbox's spans onto its children: each span goes
// to the child that became free last before it started.
func childIdle(spans []extract.Interval, children int, begin, end time.Time) slotIdle {
	free := make([]time.Time, children)
	used := make([]bool, children)
	for i := range free {
		free[i] = begin
	}
	var out slotIdle
	for _, sp := range spans {
		best := -1
		for i := range free {
			if !free[i].After(sp.Start) && (best < 0 || free[i].After(free[best])) {
				best = i
			}
		}
		if best < 0 {
			continue // the sandbox never runs more spans at once than children
		}
		gap := sp.Start.Sub(free[best])
		if used[best] {
			out.between += gap
		} else {
			out.start += gap
			used[best] = true
		}
		free[best] = sp.End
	}
	for i := range free {
		out.tail += max(0, end.Sub(free[i]))
	}
	return out
}

// cannedExtractor returns the same page for every file at once, so that
// a run measures what the queue and the database cost alone.
type cannedExtractor struct{ timeout time.Duration }

func (c cannedExtractor) Extract(ctx context.Context, path string) (*extract.Result, error) {
	return &extract.Result{MIME: extract.MIMEPDF, Quality: 1, Pages: []extract.PageText{{
		Text: "Quyết định số 12/2024/QĐ-UBND về việc cấp giấy phép xây dựng", Quality: 1, Extractor: extract.ExtractorPDF,
	}}}, nil
}

func (c cannedExtractor) Timeout() time.Duration { return c.timeout }

func pdfFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if strings.EqualFold(filepath.Ext(fp), ".pdf") {
				out = append(out, fp)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, pipeline.Errorf(pipeline.EINVALID, "No PDF files under %s.", strings.Join(paths, ", "))
	}
	return out, nil
}

// parallel runs fn on every file with n at a time and returns the time
// taken. Errors from fn count as work done: a file a reader refuses costs
// what it costs.
func parallel(ctx context.Context, files []string, n int, fn func(string) error) (time.Duration, error) {
	start := time.Now()
	work := make(chan string)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				_ = fn(p)
			}
		}()
	}
	for _, p := range files {
		select {
		case work <- p:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	return time.Since(start), ctx.Err()
}

// scratchSchema names a PostgreSQL schema for one bench run: prefix and
// the time, so that runs side by side do not meet.
func scratchSchema(prefix string) string {
	return fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
}

// scratchPostgres opens a store on the new schema at url (maxConns 0
// keeps the pool's default); done closes the pool and drops the schema.
func scratchPostgres(ctx context.Context, url, schema string, maxConns int32) (st *sqlstore.Store, done func(), err error) {
	st, db, err := postgres.OpenStore(ctx, postgres.Config{URL: url, Schema: schema, MaxConns: maxConns})
	if err != nil {
		return nil, nil, err
	}
	return st, func() {
		db.Close()
		_ = postgres.DropSchema(context.WithoutCancel(ctx), url, schema)
	}, nil
}

// scratchSQLite opens a store on SQLite in a new temporary folder named
// from prefix; done closes it and removes the folder.
func scratchSQLite(ctx context.Context, prefix string) (st *sqlstore.Store, done func(), err error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, nil, err
	}
	st, _, err = sqlite.OpenStore(ctx, filepath.Join(dir, "hoso.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return st, func() {
		st.Close()
		os.RemoveAll(dir)
	}, nil
}
