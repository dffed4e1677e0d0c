package main

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"time"

	"hoso/extract"
	"hoso/extract/scanfixture"
	"hoso/pipeline"
)

// benchOCR prints OCR pages per second on the project's scan fixtures,
// and the share of time OCR takes when a mixed batch (the born-digital
// sample documents and the scans) goes through hoso process.
func (m *Main) benchOCR(ctx context.Context, args []string) error {
	f := m.newFlags("bench ocr")
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

	// A mixed batch end to end: the share of the time an OCR child works.
	cfg := f.cfg
	cfg.DataDir = filepath.Join(dir, "data")
	rt, err := OpenRuntime(ctx, cfg)
	if err != nil {
		return err
	}
	defer rt.Close()
	rt.OCRSandbox.Record()
	s, err := rt.Ingester().Begin(ctx, "bench ocr")
	if err != nil {
		return err
	}
	for _, p := range []string{filepath.Join("cmd", "hoso", "testdata", "fixtures"), scans} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := s.AddPath(ctx, p); err != nil {
			return err
		}
	}
	start = time.Now()
	q, err := rt.StartWorkers(ctx)
	if err != nil {
		return err
	}
	err = waitTerminal(ctx, rt.Store, []int64{s.Batch.ID}, nil)
	el := time.Since(start)
	stopQueue(ctx, q)
	if err != nil {
		return err
	}
	var busy time.Duration
	for _, iv := range mergeIntervals(rt.OCRSandbox.Recorded()) {
		busy += iv.End.Sub(iv.Start)
	}
	counts, _ := rt.Store.DocumentCountByState(ctx, pipeline.DocumentCountByStateParams{BatchIDs: []int64{s.Batch.ID}})
	fmt.Fprintf(m.Stdout, "Mixed batch (%d documents: %v) through hoso process on SQLite: %.1f s end to end, OCR busy %.1f s = %.0f%% of it\n",
		len(s.Outcomes), counts, el.Seconds(), busy.Seconds(), 100*busy.Seconds()/el.Seconds())
	return nil
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
