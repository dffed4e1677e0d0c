package main

import (
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"hoso/extract"
	"hoso/extract/scanfixture"
	"hoso/internal/stats"
	"hoso/pipeline"
)

// benchOCR prints OCR pages per second on the project's scan fixtures,
// and the share of time OCR takes when a mixed batch (the born-digital
// sample documents and the scans) goes through hoso process.
func (m *Main) benchOCR(ctx context.Context, args []string) error {
	f := m.newFlags("bench ocr").extraction().uploads()
	rounds := f.fs.Int("rounds", 3, "rounds of each comparison, back to back (hoso's OCR and tesseract alone; the mixed batch with one OCR child and with all)")
	batch := f.fs.Bool("batch", true, "also run the mixed batch with one OCR child and with all")
	if _, err := f.parse(args); err != nil {
		return err
	}
	tools := extract.FindOCR(f.cfg.Tesseract)
	if msg := tools.MissingTools(true); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	dir, err := os.MkdirTemp("", "hoso-bench-ocr-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	scans := filepath.Join(dir, "scans")
	pages, err := writeScans(scans)
	if err != nil {
		return err
	}
	if err := m.benchOCRPerCore(ctx, tools, scans, dir, pages, *rounds); err != nil {
		return err
	}
	if !*batch {
		return nil
	}
	return m.benchOCRBatches(ctx, f.cfg, scans, dir, *rounds)
}

// writeScans writes the scan fixtures (a clean, a turned, a noisy page
// and a two-page scanned PDF, in Vietnamese and in English) into dir and
// says how many pages they hold.
func writeScans(dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, err
	}
	pages := 0
	for _, l := range []struct{ lang, text string }{{"vi", scanfixture.Vietnamese}, {"en", scanfixture.English}} {
		page, err := scanfixture.Render(l.text, 300)
		if err != nil {
			return 0, err
		}
		half := scanfixture.Downscale(page, 2)
		files := map[string][]byte{
			"clean.png":  scanfixture.PNG(page),
			"turned.jpg": scanfixture.JPEG(extract.Rotate(page, 90), 80),
			"noisy.png":  scanfixture.PNG(scanfixture.Speckle(page, 0.03, 7)),
			"scan.pdf":   scanfixture.PDF([][]byte{scanfixture.JPEG(half, 70), scanfixture.JPEG(half, 70)}, []image.Point{half.Rect.Size(), half.Rect.Size()}, 150, ""),
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, l.lang+"-"+name), b, 0o600); err != nil {
				return 0, err
			}
		}
		pages += 5
	}
	return pages, nil
}

// benchOCRPerCore compares hoso's OCR with tesseract alone on the same
// pages, one page after another on one core, back to back and
// interleaved: the machine may be shared, so each round's ratio compares
// runs of the same moment. CPU seconds (this process and its tools) are
// reported beside the wall clock: other processes' load does not inflate
// them.
func (m *Main) benchOCRPerCore(ctx context.Context, tools extract.OCROptions, scans, dir string, pages, rounds int) error {
	names, _ := filepath.Glob(filepath.Join(scans, "*"))
	sort.Strings(names)
	imgs, err := renderAlone(ctx, tools, names, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "OCR of %d fixture pages (%d files), one page at a time; tesseract alone on the same pages (PDF pages rendered beforehand, not counted), one thread\n", pages, len(names))
	var wallRatios, cpuRatios []float64
	for round := 1; round <= rounds; round++ {
		load := loadAverage()
		hoso, err := measure(func() error {
			for _, n := range names {
				if _, err := extract.FileOCR(ctx, n, extract.Options{}, tools); err != nil {
					return fmt.Errorf("%s: %w", filepath.Base(n), err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		alone, err := measure(func() error { return tesseractAlone(ctx, tools, imgs) })
		if err != nil {
			return err
		}
		wallRatios = append(wallRatios, alone.wall.Seconds()/hoso.wall.Seconds())
		cpuRatios = append(cpuRatios, alone.cpu.Seconds()/hoso.cpu.Seconds())
		fmt.Fprintf(m.Stdout, "round %d (load %s): hoso %.1f s wall, %.1f s CPU, %.2f pages/s; tesseract alone %.1f s wall, %.1f s CPU, %.2f pages/s; hoso/tesseract %.2f wall, %.2f CPU\n",
			round, load, hoso.wall.Seconds(), hoso.cpu.Seconds(), float64(pages)/hoso.wall.Seconds(),
			alone.wall.Seconds(), alone.cpu.Seconds(), float64(pages)/alone.wall.Seconds(), wallRatios[round-1], cpuRatios[round-1])
	}
	fmt.Fprintf(m.Stdout, "hoso/tesseract alone per core, median of %d rounds: %.2f by wall clock, %.2f by CPU\n", rounds, stats.Median(wallRatios), stats.Median(cpuRatios))
	return nil
}

// benchOCRBatches runs a mixed batch end to end with one OCR child
// reading one page at a time, then with the configured children and pages
// (default: a child per core, sharing the cores with extraction), round
// after round: a shared machine's speed drifts by a quarter from minute
// to minute, so the figure is the median of the rounds' ratios.
func (m *Main) benchOCRBatches(ctx context.Context, cfg Config, scans, dir string, rounds int) error {
	var ratios []float64
	for round := 1; round <= max(1, rounds); round++ {
		var one time.Duration
		for i, setting := range [][2]int{{1, 1}, {cfg.OCRChildren, cfg.OCRPages}} {
			c := cfg
			c.OCRChildren, c.OCRPages = setting[0], setting[1]
			c.fill()
			c.DataDir = filepath.Join(dir, fmt.Sprintf("data-%d-%d", round, i))
			el, line, err := m.benchOCRBatch(ctx, c, scans)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "round %d: %s; %d OCR child(ren), %d page(s) at once each (load %s)", round, line, c.OCRChildren, c.OCRPages, loadAverage())
			if i == 0 {
				one = el
				fmt.Fprintln(m.Stdout)
				continue
			}
			ratios = append(ratios, one.Seconds()/el.Seconds())
			fmt.Fprintf(m.Stdout, ": %.2f× faster than one child\n", ratios[len(ratios)-1])
		}
	}
	fmt.Fprintf(m.Stdout, "Mixed batch, all OCR children against one, median of %d rounds: %.2f× faster\n", len(ratios), stats.Median(ratios))
	return nil
}

// renderAlone gives the page images tesseract alone reads: the image
// files as they are, and each PDF's pages rendered at 300 dpi as raw PGM
// (the cheapest for tesseract to read).
func renderAlone(ctx context.Context, tools extract.OCROptions, names []string, dir string) ([]string, error) {
	var imgs []string
	for i, n := range names {
		if !strings.HasSuffix(n, ".pdf") {
			imgs = append(imgs, n)
			continue
		}
		prefix := filepath.Join(dir, fmt.Sprintf("alone-%d", i))
		if out, err := exec.CommandContext(ctx, tools.PDFToPPM, "-r", "300", "-gray", n, prefix).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("render %s: %v %s", n, err, out)
		}
		rendered, _ := filepath.Glob(prefix + "*.pgm")
		imgs = append(imgs, rendered...)
	}
	return imgs, nil
}

// tesseractAlone runs tesseract on each image as hoso's OCR reads a page
// (one thread, both languages), without hoso.
func tesseractAlone(ctx context.Context, tools extract.OCROptions, imgs []string) error {
	for _, img := range imgs {
		cmd := exec.CommandContext(ctx, tools.Tesseract, img, "-", "-l", strings.Join(tools.Languages, "+"), "--psm", "3", "tsv")
		cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("tesseract %s: %v %s", img, err, out)
		}
	}
	return nil
}

// cost is what a piece of work took: wall clock, and CPU time of this
// process and the children it waited for.
type cost struct{ wall, cpu time.Duration }

func measure(fn func() error) (cost, error) {
	cpu := func() time.Duration {
		var d time.Duration
		for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
			var ru syscall.Rusage
			if syscall.Getrusage(who, &ru) == nil {
				d += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			}
		}
		return d
	}
	c0, start := cpu(), time.Now()
	err := fn()
	return cost{wall: time.Since(start), cpu: cpu() - c0}, err
}

// loadAverage is the machine's load over the last 1, 5 and 15 minutes.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// benchOCRBatch runs the fixtures and the scans through the pipeline and
// says how long it took and how busy OCR was.
func (m *Main) benchOCRBatch(ctx context.Context, cfg Config, scans string) (time.Duration, string, error) {
	rt, err := OpenRuntime(ctx, cfg)
	if err != nil {
		return 0, "", err
	}
	defer rt.Close()
	rt.OCRSandbox.Record()
	s, err := rt.Ingester().Begin(ctx, "bench ocr")
	if err != nil {
		return 0, "", err
	}
	for _, p := range []string{filepath.Join("cmd", "hoso", "testdata", "fixtures"), scans} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := s.AddPath(ctx, p); err != nil {
			return 0, "", err
		}
	}
	start := time.Now()
	q, err := rt.StartWorkers(ctx)
	if err != nil {
		return 0, "", err
	}
	err = waitTerminal(ctx, rt.Store, []int64{s.Batch.ID}, nil)
	el := time.Since(start)
	stopQueue(ctx, q)
	if err != nil {
		return 0, "", err
	}
	var busy time.Duration
	for _, iv := range mergeIntervals(rt.OCRSandbox.Recorded()) {
		busy += iv.End.Sub(iv.Start)
	}
	counts, _ := rt.Store.DocumentCountByState(ctx, pipeline.DocumentCountByStateParams{BatchIDs: []int64{s.Batch.ID}})
	return el, fmt.Sprintf("Mixed batch (%d documents: %v) through hoso process on SQLite: %.1f s end to end, OCR busy %.1f s = %.0f%% of it",
		len(s.Outcomes), counts, el.Seconds(), busy.Seconds(), 100*busy.Seconds()/el.Seconds()), nil
}

// mergeIntervals joins overlapping busy intervals.
func mergeIntervals(in []extract.Interval) []extract.Interval {
	sort.Slice(in, func(i, j int) bool { return in[i].Start.Before(in[j].Start) })
	var out []extract.Interval
	for _, iv := range in {
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}
