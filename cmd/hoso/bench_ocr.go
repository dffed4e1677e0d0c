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
	"time"

	"hoso/extract"
	"hoso/extract/scanfixture"
	"hoso/pipeline"
)

// benchOCR prints OCR pages per second on the project's scan fixtures,
// and the share of time OCR takes when a mixed batch (the born-digital
// sample documents and the scans) goes through hoso process.
func (m *Main) benchOCR(ctx context.Context, args []string) error {
	f := m.newFlags("bench ocr").extraction().uploads()
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
	os.MkdirAll(scans, 0o750)
	pages := 0
	for _, l := range []struct{ lang, text string }{{"vi", scanfixture.Vietnamese}, {"en", scanfixture.English}} {
		page, err := scanfixture.Render(l.text, 300)
		if err != nil {
			return err
		}
		half := scanfixture.Downscale(page, 2)
		files := map[string][]byte{
			"clean.png":  scanfixture.PNG(page),
			"turned.jpg": scanfixture.JPEG(extract.Rotate(page, 90), 80),
			"noisy.png":  scanfixture.PNG(scanfixture.Speckle(page, 0.03, 7)),
			"scan.pdf":   scanfixture.PDF([][]byte{scanfixture.JPEG(half, 70), scanfixture.JPEG(half, 70)}, []image.Point{half.Rect.Size(), half.Rect.Size()}, 150, ""),
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(scans, l.lang+"-"+name), b, 0o600); err != nil {
				return err
			}
		}
		pages += 5
	}
	// OCR alone, one page after another, as one OCR child works.
	names, _ := filepath.Glob(filepath.Join(scans, "*"))
	sort.Strings(names)
	start := time.Now()
	for _, n := range names {
		if _, err := extract.FileOCR(ctx, n, extract.Options{}, tools); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(n), err)
		}
	}
	ocrTime := time.Since(start)
	fmt.Fprintf(m.Stdout, "OCR of %d fixture pages (%d files), one child: %.1f s, %.2f pages/s\n", pages, len(names), ocrTime.Seconds(), float64(pages)/ocrTime.Seconds())

	// tesseract alone on the same pages (PDF pages rendered first, not
	// counted), one after another, one thread: what OCR costs without hoso.
	alone, err := tesseractAlone(ctx, tools, names, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "tesseract alone on the same %d pages: %.1f s, %.2f pages/s; hoso/tesseract = %.2f\n",
		pages, alone.Seconds(), float64(pages)/alone.Seconds(), alone.Seconds()/ocrTime.Seconds())

	// A mixed batch end to end: one OCR child reading one page at a time,
	// then the configured children and pages (default: a child per core,
	// sharing the cores with extraction).
	var one time.Duration
	for i, setting := range [][2]int{{1, 1}, {f.cfg.OCRChildren, f.cfg.OCRPages}} {
		cfg := f.cfg
		cfg.OCRChildren, cfg.OCRPages = setting[0], setting[1]
		cfg.fill()
		cfg.DataDir = filepath.Join(dir, fmt.Sprintf("data-%d", i))
		el, line, err := m.benchOCRBatch(ctx, cfg, scans)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s; %d OCR child(ren), %d page(s) at once each", line, cfg.OCRChildren, cfg.OCRPages)
		if i == 0 {
			one = el
			fmt.Fprintln(m.Stdout)
		} else {
			fmt.Fprintf(m.Stdout, ": %.2f× faster than one child\n", one.Seconds()/el.Seconds())
		}
	}
	return nil
}

// tesseractAlone times tesseract on each page of the scans, as hoso's
// OCR reads them (one thread, both languages), without hoso.
func tesseractAlone(ctx context.Context, tools extract.OCROptions, names []string, dir string) (time.Duration, error) {
	var imgs []string
	for i, n := range names {
		if !strings.HasSuffix(n, ".pdf") {
			imgs = append(imgs, n)
			continue
		}
		prefix := filepath.Join(dir, fmt.Sprintf("alone-%d", i))
		if out, err := exec.CommandContext(ctx, tools.PDFToPPM, "-r", "300", "-gray", "-png", n, prefix).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("render %s: %v %s", n, err, out)
		}
		rendered, _ := filepath.Glob(prefix + "*.png")
		imgs = append(imgs, rendered...)
	}
	start := time.Now()
	for _, img := range imgs {
		cmd := exec.CommandContext(ctx, tools.Tesseract, img, "-", "-l", strings.Join(tools.Languages, "+"), "--psm", "3", "tsv")
		cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("tesseract %s: %v %s", img, err, out)
		}
	}
	return time.Since(start), nil
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
