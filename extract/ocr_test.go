package extract

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"hoso/extract/scanfixture"
)

// ocrTools returns the installed OCR tools; the tests need them (make deps
// installs tesseract-ocr, its Vietnamese and English data, poppler-utils).
func ocrTools(t *testing.T) OCROptions {
	t.Helper()
	o := FindOCR()
	if msg := o.MissingTools(true); msg != "" {
		t.Fatal(msg + " The OCR tests need it; make deps installs it.")
	}
	return o
}

// accuracy is 1 - the character error rate of got against want, both
// with their spacing collapsed.
func accuracy(got, want string) float64 {
	clean := func(s string) []rune {
		return []rune(strings.Join(strings.FieldsFunc(norm.NFC.String(s), unicode.IsSpace), " "))
	}
	a, b := clean(got), clean(want)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return max(0, 1-float64(prev[len(b)])/float64(len(b)))
}

type ocrCase struct {
	class, lang string
	file        string
	want        string
}

// ocrCases writes the fixtures: each class of scan in Vietnamese, the
// main ones in English too.
func ocrCases(t *testing.T, dir string) []ocrCase {
	t.Helper()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var cases []ocrCase
	for _, l := range []struct{ lang, text string }{{"vi", scanfixture.Vietnamese}, {"en", scanfixture.English}} {
		page, err := scanfixture.Render(l.text, 300)
		if err != nil {
			t.Fatal(err)
		}
		add := func(class, name string, b []byte) {
			cases = append(cases, ocrCase{class: class, lang: l.lang, file: write(l.lang+"-"+name, b), want: l.text})
		}
		add("clean", "clean.png", scanfixture.PNG(page))
		add("rotated 90°", "rot90.png", scanfixture.PNG(Rotate(page, 90)))
		half := scanfixture.Downscale(page, 2)
		add("scanned PDF", "scan.pdf", scanfixture.PDF([][]byte{scanfixture.JPEG(half, 70)}, []image.Point{half.Rect.Size()}, 150, ""))
		if l.lang == "en" {
			continue
		}
		add("noisy", "noisy.png", scanfixture.PNG(scanfixture.Speckle(page, 0.03, 7)))
		add("upside down", "rot180.jpg", scanfixture.JPEG(Rotate(page, 180), 80))
		add("low resolution", "lowres.png", scanfixture.PNG(scanfixture.Downscale(page, 3)))
		add("junk text layer", "junk.pdf", scanfixture.PDF([][]byte{scanfixture.JPEG(half, 70)}, []image.Point{half.Rect.Size()}, 150,
			"\x01\x02 ÿþýüûú ÃƒÂ©Ã¢â‚¬ ÿþýüûú ÃƒÂ©Ã¢â‚¬ ÿþýüûú"))
	}
	return cases
}

// Accuracy bars per class, set from the first measurement on these
// fixtures (tesseract 5.3 on Debian 12: clean 0.988 vi / 1.000 en, turned
// 0.988-0.990, scanned PDF 0.996, junk text layer 0.996, TIFF 0.998,
// speckled 0.858, 100 dpi 0.833) less a margin for other machines.
var ocrBars = map[string]float64{
	"clean": 0.95, "rotated 90°": 0.95, "scanned PDF": 0.95, "noisy": 0.80, "upside down": 0.95,
	"low resolution": 0.78, "junk text layer": 0.95, "multi-page TIFF": 0.95,
}

// TestOCRAccuracy reads every fixture class and scores the text against
// its source.
func TestOCRAccuracy(t *testing.T) {
	tools := ocrTools(t)
	dir := t.TempDir()
	cases := ocrCases(t, dir)
	// Two pages, one per language, in one TIFF.
	vi, _ := scanfixture.Render(scanfixture.Vietnamese, 300)
	en, _ := scanfixture.Render(scanfixture.English, 300)
	tiff := filepath.Join(dir, "two-pages.tif")
	if err := os.WriteFile(tiff, scanfixture.TIFF([]*image.Gray{scanfixture.Downscale(vi, 2), scanfixture.Downscale(en, 2)}), 0o600); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, ocrCase{class: "multi-page TIFF", lang: "vi+en", file: tiff, want: scanfixture.Vietnamese + "\f" + scanfixture.English})
	for _, c := range cases {
		t.Run(c.class+" "+c.lang, func(t *testing.T) {
			t.Parallel()
			checkOCR(t, c, tools)
		})
	}
}

func checkOCR(t *testing.T, c ocrCase, tools OCROptions) {
	{
		res, err := FileOCR(context.Background(), c.file, Options{}, tools)
		if err != nil {
			t.Errorf("%s (%s): %v", c.class, c.lang, err)
			return
		}
		var got []string
		var conf float64
		for _, p := range res.Pages {
			got = append(got, p.Text)
			conf += p.Confidence
			if p.Extractor != ExtractorOCR {
				t.Errorf("%s (%s): page read by %s, want ocr", c.class, c.lang, p.Extractor)
			}
		}
		wants := strings.Split(c.want, "\f")
		if len(got) != len(wants) {
			t.Errorf("%s (%s): %d pages, want %d", c.class, c.lang, len(got), len(wants))
			return
		}
		acc := 0.0
		for i := range got {
			acc += accuracy(got[i], wants[i]) / float64(len(got))
		}
		t.Logf("%-16s %-5s accuracy %.3f, confidence %.0f, language %s", c.class, c.lang, acc, conf/float64(len(got)), res.Language)
		if acc < ocrBars[c.class] {
			t.Errorf("%s (%s): character accuracy %.3f, below the bar %.2f", c.class, c.lang, acc, ocrBars[c.class])
		}
		if c.lang != "vi+en" && res.Language != c.lang {
			t.Errorf("%s (%s): language %q", c.class, c.lang, res.Language)
		}
	}
}

// TestOCRMissingTools: without tesseract a scan says what to install.
func TestOCRMissingTools(t *testing.T) {
	page, err := scanfixture.Render(scanfixture.English, 100)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "scan.png")
	os.WriteFile(p, scanfixture.PNG(page), 0o600)
	_, err = FileOCR(context.Background(), p, Options{}, OCROptions{})
	if !errors.Is(err, ErrOCRMissing) || !strings.Contains(err.Error(), "install tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng") {
		t.Errorf("FileOCR without tools: %v", err)
	}
	_, err = FileOCR(context.Background(), p, Options{}, OCROptions{Tesseract: "/usr/bin/tesseract", Languages: []string{"eng"}})
	if !errors.Is(err, ErrOCRMissing) || !strings.Contains(err.Error(), "tesseract-ocr-vie") || strings.Contains(err.Error(), "tesseract-ocr ") {
		t.Errorf("FileOCR without Vietnamese data: %v", err)
	}
}

// TestOCRParallelPages: a scanned PDF's pages read several at once come
// out in their order with the text each page holds, as one at a time.
func TestOCRParallelPages(t *testing.T) {
	tools := ocrTools(t)
	vi, _ := scanfixture.Render(scanfixture.Vietnamese, 300)
	en, _ := scanfixture.Render(scanfixture.English, 300)
	vi, en = scanfixture.Downscale(vi, 2), scanfixture.Downscale(en, 2)
	pdf := writeTemp(t, "scan.pdf", scanfixture.PDF(
		[][]byte{scanfixture.JPEG(vi, 70), scanfixture.JPEG(en, 70), scanfixture.JPEG(vi, 70)},
		[]image.Point{vi.Rect.Size(), en.Rect.Size(), vi.Rect.Size()}, 150, ""))
	wants := []string{scanfixture.Vietnamese, scanfixture.English, scanfixture.Vietnamese}
	for _, parallel := range []int{1, 3} {
		tools.Parallel = parallel
		res, err := FileOCR(t.Context(), pdf, Options{}, tools)
		if err != nil {
			t.Fatalf("parallel %d: %v", parallel, err)
		}
		if len(res.Pages) != len(wants) {
			t.Fatalf("parallel %d: %d pages", parallel, len(res.Pages))
		}
		for i, p := range res.Pages {
			if acc := accuracy(p.Text, wants[i]); acc < 0.9 || p.Extractor != ExtractorOCR {
				t.Errorf("parallel %d, page %d: accuracy %.3f by %s", parallel, i+1, acc, p.Extractor)
			}
		}
	}
}

// TestSandboxOCRProgress: a scan read in the sandbox reports its pages as
// they are done, through the child's protocol, before the result.
func TestSandboxOCRProgress(t *testing.T) {
	tools := ocrTools(t)
	img, _ := scanfixture.Render(scanfixture.Vietnamese, 300)
	img = scanfixture.Downscale(img, 2)
	pdf := writeTemp(t, "scan.pdf", scanfixture.PDF(
		[][]byte{scanfixture.JPEG(img, 70), scanfixture.JPEG(img, 70), scanfixture.JPEG(img, 70)},
		[]image.Point{img.Rect.Size(), img.Rect.Size(), img.Rect.Size()}, 150, ""))
	sb, err := NewSandbox(SandboxConfig{Timeout: 2 * time.Minute, Children: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	var heard []string
	tools.Parallel = 2
	tools.Progress = func(done, total int) { heard = append(heard, fmt.Sprintf("%d/%d", done, total)) }
	res, err := sb.ExtractOCR(t.Context(), pdf, tools)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pages) != 3 {
		t.Fatalf("%d pages", len(res.Pages))
	}
	if got := strings.Join(heard, " "); got != "0/3 1/3 2/3 3/3" {
		t.Errorf("progress heard: %s, want 0/3 1/3 2/3 3/3", got)
	}
	// the child goes on serving: a text file next, without progress
	heard = nil
	if _, err := sb.Extract(t.Context(), writeTemp(t, "note.txt", []byte("Biên bản họp tổ dân phố"))); err != nil {
		t.Fatal(err)
	}
	if len(heard) != 0 {
		t.Errorf("progress for a file without OCR: %v", heard)
	}
}

// TestOCROrientationWherePays: the orientation pass runs only on a page
// read with low confidence, and an upside-down page among upright ones
// and a page turned sideways are still read right.
func TestOCROrientationWherePays(t *testing.T) {
	tools := ocrTools(t)
	vi, _ := scanfixture.Render(scanfixture.Vietnamese, 300)
	vi = scanfixture.Downscale(vi, 2)
	down, side := Rotate(vi, 180), Rotate(vi, 90)
	pdf := writeTemp(t, "scan.pdf", scanfixture.PDF(
		[][]byte{scanfixture.JPEG(vi, 70), scanfixture.JPEG(down, 70), scanfixture.JPEG(side, 70)},
		[]image.Point{vi.Rect.Size(), down.Rect.Size(), side.Rect.Size()}, 150, ""))
	tools.Parallel = 2
	res, err := FileOCR(t.Context(), pdf, Options{}, tools)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range res.Pages {
		if acc := accuracy(p.Text, scanfixture.Vietnamese); acc < 0.9 {
			t.Errorf("page %d: accuracy %.3f, confidence %.0f", i+1, acc, p.Confidence)
		}
	}
	// The orientation pass costs as much as reading a page: it runs on
	// the upside-down page alone (tesseract reads a sideways one by
	// itself, surely).
	r := &ocrRun{opts: tools, dir: t.TempDir()}
	r.opts.DPI = 300
	pages := make([]PageText, 3)
	if err := r.pdfPages(t.Context(), pdf, pages, []int{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if n := r.osdRuns.Load(); n != 1 {
		t.Errorf("%d orientation passes on an upright, an upside-down and a sideways page, want 1", n)
	}
	if acc := accuracy(pages[1].Text, scanfixture.Vietnamese); acc < 0.9 {
		t.Errorf("upside-down page read with accuracy %.3f", acc)
	}
}

// TestParseTSV: tesseract's rows become text — words of a line joined by
// spaces, lines by a newline, paragraphs and blocks by a blank line, a
// page per page number — and the confidence is the mean over the words;
// rows without text or confidence are not words.
func TestParseTSV(t *testing.T) {
	rows := []string{
		"level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
		"1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t",
		"5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\tQuyết",
		"5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t80\tđịnh",
		"5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t70\tsố",
		"5\t1\t1\t1\t2\t2\t0\t0\t1\t1\t-1\t ",
		"5\t1\t1\t2\t1\t1\t0\t0\t1\t1\t60\t42",
		"5\t1\t2\t1\t1\t1\t0\t0\t1\t1\tx\tbỏ",
		"5\t2\t1\t1\t1\t1\t0\t0\t1\t1\t50\tTrang",
		"short\trow",
	}
	pages := parseTSV([]byte(strings.Join(rows, "\n")))
	if len(pages) != 2 {
		t.Fatalf("%d pages, want 2", len(pages))
	}
	if pages[0].Text != "Quyết định\nsố\n\n42" || pages[0].Confidence != 75 || pages[0].Extractor != ExtractorOCR {
		t.Errorf("page 1: %q, confidence %v", pages[0].Text, pages[0].Confidence)
	}
	if pages[1].Text != "Trang" || pages[1].Confidence != 50 {
		t.Errorf("page 2: %q, confidence %v", pages[1].Text, pages[1].Confidence)
	}
}
