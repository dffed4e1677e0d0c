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
	"hoso/pipeline"
	"hoso/pipeline/postgres"
)

// bench measures, on the same PDFs and in one run: pdftotext alone,
// hoso's extraction through the sandbox, and `hoso process` end to end on
// SQLite and (with --postgres) PostgreSQL. Each figure is the median of
// --rounds runs, taken in turn so that a noisy neighbour hits all alike.
func (m *Main) bench(ctx context.Context, args []string) error {
	f := m.newFlags("bench")
	rounds := f.fs.Int("rounds", 3, "runs of each measurement; the median is reported")
	pgURL := f.fs.String("postgres", m.Getenv("HOSO_TEST_DATABASE_URL"), "PostgreSQL URL for the end-to-end run on PostgreSQL (a scratch schema is used and dropped)")
	paths, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		for _, d := range []string{"pdf-samples", "pdf-expected", "vietnamese"} {
			p := filepath.Join("..", "shared", "corpus", d)
			if _, err := os.Stat(p); err == nil {
				paths = append(paths, p)
			}
		}
		if len(paths) == 0 {
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

	// Keep the files that some reader can open, so that every contender
	// works on the same set.
	var usable []string
	pages := 0
	for _, p := range files {
		res, err := sb.Extract(ctx, p)
		if err == nil {
			usable = append(usable, p)
			pages += len(res.Pages)
		}
	}
	fmt.Fprintf(m.Stdout, "%d of them readable, %d pages\n\n", len(usable), pages)

	type measure struct {
		name string
		run  func() (time.Duration, error)
		runs []time.Duration
	}
	var ms []*measure
	if tool != "" {
		ms = append(ms, &measure{name: "pdftotext", run: func() (time.Duration, error) {
			return parallel(ctx, usable, cfg.Children, func(p string) error {
				return exec.CommandContext(ctx, tool, "-enc", "UTF-8", "-q", p, os.DevNull).Run()
			})
		}})
	}
	ms = append(ms, &measure{name: "hoso extraction (sandbox)", run: func() (time.Duration, error) {
		return parallel(ctx, usable, cfg.Children, func(p string) error {
			_, err := sb.Extract(ctx, p)
			return err
		})
	}})
	ingestTimes := map[string][]time.Duration{}
	e2e := func(name string, c Config, cleanup func()) *measure {
		return &measure{name: "hoso process on " + name, run: func() (time.Duration, error) {
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
			s, err := rt.Ingester().Begin(ctx, "bench")
			if err != nil {
				return 0, err
			}
			for _, p := range usable {
				if err := s.AddPath(ctx, p); err != nil {
					return 0, err
				}
			}
			ingestTimes[name] = append(ingestTimes[name], time.Since(start))
			q, err := rt.StartWorkers(ctx)
			if err != nil {
				return 0, err
			}
			err = waitTerminal(ctx, rt.Store, []int64{s.Batch.ID})
			el := time.Since(start)
			stopQueue(ctx, q)
			return el, err
		}}
	}
	ms = append(ms, e2e("SQLite", cfg, func() {}))
	if *pgURL != "" {
		schema := fmt.Sprintf("hoso_bench_%d", time.Now().UnixNano())
		c := cfg
		c.DatabaseURL, c.Schema = *pgURL, schema
		ms = append(ms, e2e("PostgreSQL", c, func() { _ = postgres.DropSchema(context.WithoutCancel(ctx), *pgURL, schema) }))
	}
	for r := 0; r < *rounds; r++ {
		for _, mm := range ms {
			d, err := mm.run()
			if err != nil {
				return fmt.Errorf("%s: %w", mm.name, err)
			}
			mm.runs = append(mm.runs, d)
		}
	}
	med := func(ds []time.Duration) time.Duration {
		s := append([]time.Duration(nil), ds...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[len(s)/2]
	}
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
		fmt.Fprintf(m.Stdout, "%-30s %10.2f %10.1f %12.1f %10s\n", mm.name, d.Seconds(), float64(pages)/d.Seconds(), float64(len(usable))/d.Seconds(), ratio)
	}
	fmt.Fprintln(m.Stdout)
	if base > 0 {
		fmt.Fprintf(m.Stdout, "extraction speed: %.2f× pdftotext's (target ≥ 0.9)\n", float64(base)/float64(extraction))
	}
	for _, mm := range ms {
		if !strings.HasPrefix(mm.name, "hoso process on ") {
			continue
		}
		name := strings.TrimPrefix(mm.name, "hoso process on ")
		d, in := med(mm.runs), med(ingestTimes[name])
		queue := d - in - extraction
		line := fmt.Sprintf("%s: end to end %.2f s = ingest %.2f s + extraction %.2f s + queue and database %.2f s (%.1f%% of the time)",
			name, d.Seconds(), in.Seconds(), extraction.Seconds(), queue.Seconds(), 100*float64(queue)/float64(d))
		if base > 0 {
			line += fmt.Sprintf("; %.2f× pdftotext alone (target ≤ 2)", float64(d)/float64(base))
		}
		fmt.Fprintln(m.Stdout, line)
	}
	return nil
}

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
