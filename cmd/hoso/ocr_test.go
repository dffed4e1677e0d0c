package main

import (
	"context"
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hoso/extract"
	"hoso/extract/scanfixture"
	"hoso/pipeline"
)

// openRuntime opens the backend's database for a test to look into.
func openRuntime(t *testing.T, b backend) *Runtime {
	t.Helper()
	f := (&Main{Getenv: b.getenv, Stderr: &strings.Builder{}}).newFlags("test")
	if _, err := f.parse(nil); err != nil {
		t.Fatal(err)
	}
	rt, err := OpenRuntime(context.Background(), f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

// TestOCRBatch processes a mixed batch — a born-digital PDF, a scanned
// PDF, a photograph turned sideways, a PDF with a junk text layer and a
// poor scan — first on a machine without tesseract (the scans wait and
// say what to install, nothing fails), then with it (they finish): each
// page records its extractor and confidence, and the poor scan's page is
// marked for review.
func TestOCRBatch(t *testing.T) {
	b := backends(t)[0]
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	permit, err := os.ReadFile(filepath.Join("testdata", "fixtures", "permit-application.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	write("born-digital.pdf", permit)
	page, err := scanfixture.Render(scanfixture.Vietnamese, 300)
	if err != nil {
		t.Fatal(err)
	}
	half := scanfixture.Downscale(page, 2)
	write("scanned.pdf", scanfixture.PDF([][]byte{scanfixture.JPEG(half, 70)}, []image.Point{half.Rect.Size()}, 150, ""))
	write("photo.jpg", scanfixture.JPEG(extract.Rotate(page, 90), 75))
	// Broken scanning software wrote the text layer in the wrong
	// encoding: it reads as mojibake.
	write("junk-layer.pdf", scanfixture.PDF([][]byte{scanfixture.JPEG(half, 70)}, []image.Point{half.Rect.Size()}, 150, scanfixture.Vietnamese[:400]))
	write("poor.png", scanfixture.PNG(scanfixture.Speckle(scanfixture.Fade(page, 150), 0.03, 3)))

	noOCR := backend{name: b.name, env: map[string]string{}}
	for k, v := range b.env {
		noOCR.env[k] = v
	}
	noOCR.env["HOSO_TESSERACT"] = "/nonexistent/tesseract"
	_, errs, code := run(t, noOCR, "process", "--batch", "quầy một cửa", dir)
	if code != 0 {
		t.Fatalf("process without OCR: exit %d\n%s", code, errs)
	}
	for _, want := range []string{"indexed    1", "waiting    4", "Waiting:", "scanned.pdf: OCR is not installed: install tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng"} {
		if !strings.Contains(errs, want) {
			t.Errorf("summary without OCR lacks %q:\n%s", want, errs)
		}
	}
	// OCR is installed now: the next run finishes them.
	_, errs, code = run(t, b, "process")
	if code != 0 {
		t.Fatalf("process with OCR: exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, "indexed    5") {
		t.Errorf("summary with OCR:\n%s", errs)
	}
	rt := openRuntime(t, b)
	ctx := context.Background()
	docs, err := rt.Store.DocumentList(ctx, pipeline.DocumentListParams{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		extractor string
		review    bool
	}{
		"born-digital.pdf": {"pdf", false}, "scanned.pdf": {"ocr", false}, "photo.jpg": {"ocr", false},
		"junk-layer.pdf": {"ocr", false}, "poor.png": {"ocr", true},
	}
	for _, d := range docs {
		pages, err := rt.Store.PageListByDocument(ctx, d.ID)
		if err != nil || len(pages) == 0 {
			t.Fatalf("%s: pages %v, %v", d.Filename, pages, err)
		}
		p := pages[0]
		w := want[d.Filename]
		b, _ := json.Marshal(p)
		if p.Extractor != w.extractor || p.NeedsReview != w.review || (w.extractor == "ocr" && (p.Confidence <= 0 || p.Language == "")) {
			t.Errorf("%s: page %.300s; want extractor %s, review %v", d.Filename, b, w.extractor, w.review)
		}
		if d.Filename == "photo.jpg" && !strings.Contains(p.Text, "giấy phép xây dựng") {
			t.Errorf("the sideways photo reads %.200q", p.Text)
		}
	}
	// the OCR child reported each document's pages as it read them
	if len(docs) > 0 {
		progress, err := rt.Store.OCRProgressByBatch(ctx, docs[0].BatchID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			p, ok := progress[d.ID]
			if w := want[d.Filename]; (w.extractor == "ocr") != ok || ok && (p.Total != 1 || p.Done != 1) {
				t.Errorf("%s: OCR progress %v (recorded %v)", d.Filename, p, ok)
			}
		}
	}
}

// TestDoctor: hoso doctor passes on a machine with everything, and on one
// without tesseract says so and what to install.
func TestDoctor(t *testing.T) {
	b := backends(t)[0]
	out, errs, code := run(t, b, "doctor")
	if code != 0 || !strings.Contains(out, "Everything hoso needs is here.") {
		t.Errorf("doctor: exit %d\n%s%s", code, out, errs)
	}
	b.env["HOSO_TESSERACT"] = "/nonexistent/tesseract"
	out, errs, code = run(t, b, "doctor")
	if code != 1 || !strings.Contains(out, "FAIL  tesseract") || !strings.Contains(out, "apt-get install tesseract-ocr") || !strings.Contains(errs, "problems found") {
		t.Errorf("doctor without tesseract: exit %d\n%s%s", code, out, errs)
	}
}
