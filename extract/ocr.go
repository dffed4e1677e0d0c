package extract

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // scans arrive as JPEG
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hoso/pipeline"
)

// OCR reads the text of scans: images (PNG, JPEG, TIFF with any number of
// pages) and the pages of PDFs that have no text layer or a junk one. It
// drives Debian's tesseract, with pdftoppm rendering PDF pages; both run as
// children of the extraction child, so the sandbox's memory and CPU limits
// hold for them too.

// ExtractorOCR names pages read by OCR.
const ExtractorOCR = "ocr"

// OCROptions say where the tools are and how to use them.
type OCROptions struct {
	Tesseract string // path of tesseract; "" when not installed
	PDFToPPM  string // path of pdftoppm; "" when not installed
	// Languages are the tesseract data installed, among "vie" and "eng".
	Languages []string
	// DPI is the resolution PDF pages are rendered at. Default 300.
	DPI int
	// TextLayerBar is the quality under which a PDF page's text layer is
	// read again by OCR. Default 0.5.
	TextLayerBar float64
	// Parallel is how many pages of one PDF are rendered and read at once
	// (each tesseract runs one thread): OCR children × Parallel ≈ cores.
	// Default 1.
	Parallel int
	// Progress, when set, hears how many of the pages to be read by OCR
	// are done: first (0, total), then after each page. Through the
	// sandbox it is called in the parent, from the child's reports.
	Progress func(done, total int) `json:"-"`
}

// progress reports pages done of total, if anyone listens.
func (o OCROptions) progress(done, total int) {
	if o.Progress != nil {
		o.Progress(done, total)
	}
}

// NeedsReviewConfidence is the mean word confidence (0–100) under which
// an OCR page needs a person to check it. Tesseract is sure of itself:
// on hoso's fixtures clean pages score 95-96 (accuracy 0.99), speckled
// ones 85 (0.86), faded and speckled ones 81 (0.82).
const NeedsReviewConfidence = 88

// NeedsReviewQuality is the text quality under which an OCR page needs a
// person to check it.
const NeedsReviewQuality = 0.6

// ErrOCRMissing is wrapped by OCR errors that say a tool or its language
// data is not installed: the document waits rather than fails.
var ErrOCRMissing = errors.New("OCR is not installed")

// MissingTools says what of OCR is missing, as a clerk's sentence with
// the Debian packages to install; "" when everything is there.
func (o OCROptions) MissingTools(needPDF bool) string {
	var pkgs []string
	if o.Tesseract == "" {
		pkgs = append(pkgs, "tesseract-ocr")
	}
	has := map[string]bool{}
	for _, l := range o.Languages {
		has[l] = true
	}
	if !has["vie"] {
		pkgs = append(pkgs, "tesseract-ocr-vie")
	}
	if !has["eng"] {
		pkgs = append(pkgs, "tesseract-ocr-eng")
	}
	if needPDF && o.PDFToPPM == "" {
		pkgs = append(pkgs, "poppler-utils")
	}
	if len(pkgs) == 0 {
		return ""
	}
	return "OCR is not installed: install " + strings.Join(pkgs, " ") + " (apt-get install " + strings.Join(pkgs, " ") + ")."
}

// FindOCR looks for tesseract (at the given path, or on the PATH when it
// is ""), its languages and pdftoppm.
func FindOCR(tesseract ...string) OCROptions {
	var o OCROptions
	if len(tesseract) > 0 && tesseract[0] != "" {
		if st, err := os.Stat(tesseract[0]); err == nil && !st.IsDir() {
			o.Tesseract = tesseract[0]
		}
	} else {
		o.Tesseract, _ = exec.LookPath("tesseract")
	}
	o.PDFToPPM, _ = exec.LookPath("pdftoppm")
	if o.Tesseract != "" {
		out, err := exec.Command(o.Tesseract, "--list-langs").CombinedOutput()
		if err == nil {
			for _, line := range strings.Split(string(out), "\n") {
				if l := strings.TrimSpace(line); l == "vie" || l == "eng" {
					o.Languages = append(o.Languages, l)
				}
			}
		}
	}
	return o
}

// FileOCR extracts a file like File, then reads by OCR what File could
// not: every page of an image, and each PDF page without a usable text
// layer. Per page the better text by quality wins, and the page records
// which extractor produced it.
func FileOCR(ctx context.Context, path string, opts Options, ocr OCROptions) (*Result, error) {
	if ocr.DPI <= 0 {
		ocr.DPI = 300
	}
	if ocr.TextLayerBar <= 0 {
		ocr.TextLayerBar = 0.5
	}
	res, err := File(ctx, path, opts)
	if err != nil && pipeline.ErrorCode(err) != pipeline.ENEEDSOCR {
		return res, err
	}
	// A PDF without any text is read whole, whatever its pages look like.
	noText := pipeline.ErrorCode(err) == pipeline.ENEEDSOCR
	if res == nil {
		return nil, err
	}
	isImage := res.MIME == MIMEPNG || res.MIME == MIMEJPEG || res.MIME == MIMETIFF
	if !isImage && res.MIME != MIMEPDF {
		return res, err
	}
	if msg := ocr.MissingTools(res.MIME == MIMEPDF); msg != "" {
		return res, fmt.Errorf("%w: %s", ErrOCRMissing, msg)
	}
	tmp, terr := os.MkdirTemp("", "hoso-ocr-")
	if terr != nil {
		return res, terr
	}
	defer os.RemoveAll(tmp)
	r := &ocrRun{opts: ocr, dir: tmp, deadline: opts.Deadline}
	if isImage {
		ocr.progress(0, 1)
		pages, err := r.image(ctx, path, res.MIME)
		if err != nil {
			return res, err
		}
		res.Pages = pages
		ocr.progress(1, 1)
	} else {
		var todo []int
		for i := range res.Pages {
			if i >= opts.MaxPages && opts.MaxPages > 0 {
				break
			}
			if !noText && UsableTextLayer(res.Pages[i], ocr.TextLayerBar) {
				continue
			}
			todo = append(todo, i)
		}
		if err := r.pdfPages(ctx, path, res.Pages, todo); err != nil {
			return res, err
		}
	}
	res.Quality = DocumentQuality(res.Pages)
	res.Language = documentLanguage(res.Pages)
	if res.Quality == 0 {
		return res, pipeline.Errorf(pipeline.EEMPTY, "OCR found no text in this %s: its pages are blank, or the text is too faint or small to read.", Describe(res.MIME))
	}
	return res, nil
}

type ocrRun struct {
	opts     OCROptions
	dir      string
	deadline time.Time
	n        atomic.Int64
	osdRuns  atomic.Int64 // orientation passes run
	mu       sync.Mutex
	lang     string // chosen after the first page
}

// pdfPages reads the pages todo (indexes into pages) by OCR, keeping the
// better text of each: the first alone (it chooses the language), the
// rest opts.Parallel at a time.
func (r *ocrRun) pdfPages(ctx context.Context, path string, pages []PageText, todo []int) error {
	var mu sync.Mutex
	done := 0
	read := func(i int) error {
		o, err := r.pdfPage(ctx, path, i+1)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		// The better text wins; a blank scan page stays blank.
		if p := &pages[i]; o.Quality*Plausible(o.Text) > p.Quality*Plausible(p.Text) {
			*p = o
		}
		done++
		r.opts.progress(done, len(todo))
		return nil
	}
	if len(todo) == 0 {
		return nil
	}
	r.opts.progress(0, len(todo))
	if err := read(todo[0]); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, max(1, r.opts.Parallel))
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for _, i := range todo[1:] {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := read(i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	return first
}

func (r *ocrRun) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if !r.deadline.IsZero() {
		return context.WithDeadline(ctx, r.deadline)
	}
	return context.WithCancel(ctx)
}

// pdfPage renders one page and reads it.
func (r *ocrRun) pdfPage(ctx context.Context, pdf string, page int) (PageText, error) {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	n := r.n.Add(1)
	prefix := filepath.Join(r.dir, fmt.Sprintf("p%d", n))
	// -gray without -png writes a PGM (pgm.go says why).
	cmd := exec.CommandContext(ctx, r.opts.PDFToPPM, "-r", strconv.Itoa(r.opts.DPI), "-gray", "-f", strconv.Itoa(page), "-l", strconv.Itoa(page),
		"-singlefile", pdf, prefix)
	dieWithParent(cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return PageText{}, pipeline.Errorf(pipeline.ETIMEOUT, "OCR took longer than allowed (page %d was being rendered).", page)
		}
		return PageText{}, pipeline.Errorf(pipeline.ECORRUPT, "Page %d of the PDF could not be rendered for OCR: %s", page, lastLines(string(out), 2))
	}
	img := prefix + ".pgm"
	defer os.Remove(img) // 8.7 MB a page at 300 dpi
	pages, err := r.recognize(ctx, img)
	if err != nil || len(pages) == 0 {
		return PageText{}, err
	}
	return pages[0], nil
}

// image reads every page of an image file.
func (r *ocrRun) image(ctx context.Context, path, mime string) ([]PageText, error) {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	if mime == MIMETIFF {
		// tesseract reads every page of a TIFF in one run; their
		// orientation is left to it.
		lang := strings.Join(r.opts.Languages, "+")
		return r.tesseract(ctx, path, lang)
	}
	return r.recognize(ctx, path)
}

// orientationBelow is the mean word confidence under which a page is
// checked for being upside down. On hoso's fixtures an upside-down page
// reads at 40-63 (speckled too), an upright speckled one at 85 and a
// clean one at 96.
const orientationBelow = 75

// recognize reads a page and, when tesseract is unsure of its reading,
// asks tesseract's orientation detection whether the page is turned and
// reads it again upright, keeping the surer reading. Tesseract reads a
// page turned a quarter by itself (it finds vertical lines of text); an
// upside-down page is what it reads as junk, at low confidence. The
// orientation pass costs as much as reading the page, so it runs only
// where the reading says it may pay.
func (r *ocrRun) recognize(ctx context.Context, img string) ([]PageText, error) {
	pages, err := r.read(ctx, img)
	if err != nil || len(pages) != 1 || pages[0].Confidence >= orientationBelow {
		r.chooseLanguage(pages)
		return pages, err
	}
	r.osdRuns.Add(1)
	upright := r.upright(ctx, img)
	if upright != img {
		defer os.Remove(upright)
		again, err := r.read(ctx, upright)
		if err == nil && len(again) == 1 && again[0].Confidence > pages[0].Confidence {
			pages = again
		}
	}
	r.chooseLanguage(pages)
	return pages, nil
}

// upright returns the page turned upright by tesseract's orientation
// detection, or img itself.
func (r *ocrRun) upright(ctx context.Context, img string) string {
	if rot := r.orientation(ctx, img); rot != 0 {
		if rotated, err := rotateImage(img, rot, filepath.Join(r.dir, fmt.Sprintf("r%d.pgm", r.n.Add(1)))); err == nil {
			return rotated
		}
	}
	return img
}

// read reads a page image with the document's language, once known.
func (r *ocrRun) read(ctx context.Context, img string) ([]PageText, error) {
	r.mu.Lock()
	lang := r.lang
	r.mu.Unlock()
	if lang == "" {
		lang = strings.Join(r.opts.Languages, "+")
	}
	return r.tesseract(ctx, img, lang)
}

// chooseLanguage lets the first page read say which language the
// document is in; the rest are read with that language's data alone,
// faster and surer. It is given the page's final reading (upright), not
// the junk of a page read upside down.
func (r *ocrRun) chooseLanguage(pages []PageText) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lang != "" || len(r.opts.Languages) < 2 {
		return
	}
	var all strings.Builder
	for _, p := range pages {
		all.WriteString(p.Text)
	}
	switch Language(all.String()) {
	case "vi":
		r.lang = "vie"
	case "en":
		r.lang = "eng"
	}
}

// orientation asks tesseract how far the page is turned (0, 90, 180, 270
// degrees clockwise to put it upright); 0 when it cannot tell.
func (r *ocrRun) orientation(ctx context.Context, img string) int {
	cmd := dieWithParent(exec.CommandContext(ctx, r.opts.Tesseract, img, "-", "--psm", "0", "-l", "osd"))
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	out, err := cmd.Output()
	if err != nil {
		return 0
	}
	rotate, conf := 0, 0.0
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Rotate":
			rotate, _ = strconv.Atoi(v)
		case "Orientation confidence":
			conf, _ = strconv.ParseFloat(v, 64)
		}
	}
	if conf < 1.5 {
		return 0
	}
	return rotate
}

// tesseract reads an image and returns its pages with the mean word
// confidence of each.
func (r *ocrRun) tesseract(ctx context.Context, img, lang string) ([]PageText, error) {
	cmd := dieWithParent(exec.CommandContext(ctx, r.opts.Tesseract, img, "-", "-l", lang, "--psm", "3", "tsv"))
	// One thread: hoso runs several OCR children, each on its own core.
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, pipeline.Errorf(pipeline.ETIMEOUT, "OCR took longer than allowed.")
		}
		msg := lastLines(stderr.String(), 2)
		if strings.Contains(msg, "pixRead") || strings.Contains(msg, "Error in read") {
			return nil, pipeline.Errorf(pipeline.ECORRUPT, "The image is damaged or incomplete: OCR could not open it. Scan the page again.")
		}
		return nil, pipeline.Errorf(pipeline.ECORRUPT, "The image could not be read by OCR: %s", msg)
	}
	return parseTSV(out), nil
}

// parseTSV rebuilds the text of tesseract's TSV output: words joined by
// spaces in lines, lines by newlines, paragraphs and blocks by blank
// lines; the page's confidence is the mean over its words.
func parseTSV(tsv []byte) []PageText {
	var t tsvText
	sc := bufio.NewScanner(bytes.NewReader(tsv))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue // header
		}
		t.row(strings.Split(sc.Text(), "\t"))
	}
	t.flush()
	for i := range t.pages {
		p := &t.pages[i]
		p.Text = normalize(p.Text)
		p.Quality = Quality(p.Text)
		p.Language = Language(p.Text)
	}
	return t.pages
}

// tsvText gathers the pages of tesseract's TSV rows.
type tsvText struct {
	pages   []PageText
	sb      strings.Builder
	confSum float64
	words   int
	page    int // the page being read, 0 before the first
	last    tsvKey
}

// tsvKey is where a word is: its block, paragraph and line.
type tsvKey struct{ block, par, line int }

// row takes one row: level, page, block, paragraph, line, word, four
// box numbers, confidence, text. Only words (level 5) carry text.
func (t *tsvText) row(f []string) {
	if len(f) < 12 {
		return
	}
	level, _ := strconv.Atoi(f[0])
	pg, _ := strconv.Atoi(f[1])
	if pg != t.page {
		t.flush()
		t.page = pg
		t.last = tsvKey{}
	}
	if level != 5 {
		return
	}
	text := strings.TrimSpace(f[11])
	conf, err := strconv.ParseFloat(f[10], 64)
	if text == "" || err != nil || conf < 0 {
		return
	}
	b, _ := strconv.Atoi(f[2])
	pa, _ := strconv.Atoi(f[3])
	li, _ := strconv.Atoi(f[4])
	k := tsvKey{b, pa, li}
	switch {
	case t.sb.Len() == 0:
	case k.block != t.last.block || k.par != t.last.par:
		t.sb.WriteString("\n\n")
	case k.line != t.last.line:
		t.sb.WriteString("\n")
	default:
		t.sb.WriteString(" ")
	}
	t.sb.WriteString(text)
	t.last = k
	t.confSum += conf
	t.words++
}

// flush ends the page being read.
func (t *tsvText) flush() {
	if t.page == 0 {
		return
	}
	p := PageText{Text: strings.TrimSpace(t.sb.String()), Extractor: ExtractorOCR}
	if t.words > 0 {
		p.Confidence = t.confSum / float64(t.words)
	}
	t.pages = append(t.pages, p)
	t.sb.Reset()
	t.confSum, t.words = 0, 0
}

// Rotate turns a gray image by 90, 180 or 270 degrees clockwise.
func Rotate(src *image.Gray, degrees int) *image.Gray {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	var dst *image.Gray
	switch ((degrees % 360) + 360) % 360 {
	case 90:
		dst = image.NewGray(image.Rect(0, 0, h, w))
		for y := range h {
			for x := range w {
				dst.Pix[x*dst.Stride+(h-1-y)] = src.Pix[(y)*src.Stride+x]
			}
		}
	case 180:
		dst = image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				dst.Pix[(h-1-y)*dst.Stride+(w-1-x)] = src.Pix[y*src.Stride+x]
			}
		}
	case 270:
		dst = image.NewGray(image.Rect(0, 0, h, w))
		for y := range h {
			for x := range w {
				dst.Pix[(w-1-x)*dst.Stride+y] = src.Pix[y*src.Stride+x]
			}
		}
	default:
		return src
	}
	return dst
}
