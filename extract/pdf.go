package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ledongthuc/pdf"

	"hoso/pipeline"
)

// PDF reads a PDF page by page with ledongthuc/pdf, laying out each page's
// positioned text itself: the library's GetPlainText glues words together
// (it adds no space for moves and kerning gaps) and does not follow Form
// XObjects. When the library cannot open the file, a page fails, or the
// text scores poorly (broken ToUnicode maps), pdftotext is used instead
// where it is installed, and the better text of each page is kept.
func PDF(ctx context.Context, r io.ReaderAt, size int64, path string, opts Options) ([]PageText, error) {
	pages, repaired, err := pdfPages(r, size, opts)
	if err == nil && repaired && opts.PDFToText != "" {
		// poppler reads damaged files better than a rebuilt table does.
		if alt, err := pdfToText(ctx, path, opts); err == nil && DocumentQuality(alt) > 0 {
			return alt, nil
		}
	}
	if err != nil {
		if pipeline.ErrorCode(err) == pipeline.ETOOLARGE {
			return nil, err
		}
		if opts.PDFToText == "" {
			return nil, err
		}
		alt, altErr := pdfToText(ctx, path, opts)
		if altErr != nil {
			return nil, err // the library's reason is the clearer one
		}
		return alt, nil
	}
	if opts.PDFToText == "" {
		return dropFailed(pages), nil
	}
	var weak []int
	for i := range pages {
		if pages[i].Extractor == "" || Garbled(pages[i].Text) {
			weak = append(weak, i)
		}
	}
	if len(weak) == 0 {
		return pages, nil
	}
	// A few weak pages are read one by one; many, in one run.
	var alt map[int]PageText
	if len(weak) <= 8 {
		alt = map[int]PageText{}
		for _, i := range weak {
			if p, err := pdfToTextPages(ctx, path, opts, i+1, i+1); err == nil && len(p) == 1 {
				alt[i] = p[0]
			}
		}
	} else if all, err := pdfToText(ctx, path, opts); err == nil && len(all) == len(pages) {
		alt = map[int]PageText{}
		for _, i := range weak {
			alt[i] = all[i]
		}
	}
	for _, i := range weak {
		a, ok := alt[i]
		if !ok {
			continue
		}
		pages[i].Quality = Quality(pages[i].Text)
		if pages[i].Extractor == "" || a.Quality > pages[i].Quality+0.05 {
			a.Scan = pages[i].Scan || pages[i].Extractor == ""
			pages[i] = a
		}
	}
	return dropFailed(pages), nil
}

// dropFailed empties pages the library could not read; they keep their
// place so page numbers stay right.
func dropFailed(pages []PageText) []PageText {
	for i := range pages {
		if pages[i].Extractor == "" {
			// Unread: whether it is a scan is unknown, so OCR may try.
			pages[i] = PageText{Extractor: ExtractorPDF, Scan: true}
		}
	}
	return pages
}

// pdfPages runs the library, turning its panics into errors. A page that
// fails comes back with an empty Extractor.
func pdfPages(r io.ReaderAt, size int64, opts Options) (pages []PageText, repaired bool, err error) {
	defer func() {
		if x := recover(); x != nil {
			pages, err = nil, pdfError(fmt.Errorf("%v", x))
		}
	}()
	r, size = pdfView(r, size)
	var rd *pdf.Reader
	if xrefLoops(r, size) {
		// The library would follow the loop for ever; the rebuilt table
		// below has no previous section.
		err = errXrefLoop
	} else {
		rd, err = pdf.NewReader(r, size)
	}
	if err != nil && pipeline.ErrorCode(pdfError(err)) == pipeline.ECORRUPT && size < 256<<20 {
		// A broken or missing cross-reference table: rebuild one from the
		// objects found in the file, as qpdf and poppler do.
		data := make([]byte, size)
		if _, rerr := r.ReadAt(data, 0); rerr == nil || rerr == io.EOF {
			if fixed := repairXref(data); fixed != nil {
				if rd2, err2 := pdf.NewReader(bytes.NewReader(fixed), int64(len(fixed))); err2 == nil {
					rd, err, repaired = rd2, nil, true
				}
			}
		}
	}
	if err != nil {
		return nil, false, pdfError(err)
	}
	if opts.MaxPages <= 0 {
		opts.MaxPages = 5000
	}
	list, err := pageList(rd, opts.MaxPages)
	if err != nil {
		return nil, repaired, err
	}
	pages = make([]PageText, len(list))
	fonts := map[string]*pdfFont{}
	for i, p := range list {
		if !opts.Deadline.IsZero() && time.Now().After(opts.Deadline) {
			return nil, repaired, pipeline.Errorf(pipeline.ETIMEOUT, "Extraction took too long (stopped at page %d of %d).", i+1, len(list))
		}
		text, scan, err := pageText(p, fonts)
		if err != nil {
			continue
		}
		pages[i] = PageText{Text: text, Extractor: ExtractorPDF, Scan: scan}
	}
	return pages, repaired, nil
}

// pdfError turns the library's errors into reasons a clerk can act on.
func pdfError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "256-bit encryption"):
		return pipeline.Errorf(pipeline.EENCRYPTED, "The PDF is encrypted with AES-256, which hoso cannot read. Ask the sender for a copy without protection.")
	case errors.Is(err, pdf.ErrInvalidPassword) || strings.Contains(msg, "password"):
		return pipeline.Errorf(pipeline.EENCRYPTED, "The PDF is protected by a password. Ask the sender for a copy without protection.")
	case strings.Contains(msg, "encrypt"):
		return pipeline.Errorf(pipeline.EENCRYPTED, "The PDF uses an encryption hoso cannot read. Ask the sender for a copy without protection.")
	case strings.Contains(msg, "invalid header"):
		return pipeline.Errorf(pipeline.ECORRUPT, "The file is not a PDF hoso can read: its header is missing or of an unsupported version.")
	case strings.Contains(msg, "EOF") || strings.Contains(msg, "startxref"):
		return pipeline.Errorf(pipeline.ECORRUPT, "The PDF is damaged: it is truncated or its end is malformed.")
	case strings.Contains(msg, "unsupported filter") || strings.Contains(msg, "unknown filter"):
		return pipeline.Errorf(pipeline.EUNSUPPORTED, "The PDF uses a compression hoso cannot read.")
	}
	return pipeline.Errorf(pipeline.ECORRUPT, "The PDF is damaged and cannot be read.")
}

// pageList walks the page tree once (the library's Page(i) walks it from
// the root for every page, which is quadratic). Depth and count are bounded
// so that a looping tree ends.
func pageList(r *pdf.Reader, maxPages int) ([]pdf.Page, error) {
	root := r.Trailer().Key("Root").Key("Pages")
	if root.IsNull() {
		return nil, pipeline.Errorf(pipeline.ECORRUPT, "The PDF is damaged: it has no page tree.")
	}
	var out []pdf.Page
	var tooMany bool
	var walk func(v pdf.Value, depth int)
	walk = func(v pdf.Value, depth int) {
		if depth > 64 || tooMany {
			return
		}
		kids := v.Key("Kids")
		if v.Key("Type").Name() == "Page" || (kids.IsNull() && !v.Key("Contents").IsNull()) {
			if len(out) >= maxPages {
				tooMany = true
				return
			}
			out = append(out, pdf.Page{V: v})
			return
		}
		for i := 0; i < kids.Len() && !tooMany; i++ {
			walk(kids.Index(i), depth+1)
		}
	}
	walk(root, 0)
	if tooMany {
		return nil, pipeline.Errorf(pipeline.ETOOLARGE, "The PDF has more than %d pages; split it into smaller files.", maxPages)
	}
	return out, nil
}

// run is a string of glyphs drawn at one place.
type run struct {
	x0, x1, y float64
	size      float64
	text      string
}

type pdfFont struct {
	enc     pdf.TextEncoding
	alt     pdf.TextEncoding
	twoByte bool
	first   int
	widths  []float64
	cid     map[int]float64
	dw      float64 // default width, thousandths of an em
}

func loadFont(v pdf.Value) *pdfFont {
	f := &pdf.Font{V: v}
	pf := &pdfFont{enc: f.Encoder(), dw: 500}
	if pf.enc == nil {
		pf.enc = nopEncoding{}
	}
	var tu *toUnicode
	if m := v.Key("ToUnicode"); m.Kind() == pdf.Stream {
		rc := m.Reader()
		tu = parseToUnicode(rc)
		rc.Close()
	}
	if tu != nil {
		// The ToUnicode map comes first, as the standard says; the font's
		// own encoding stays as the second choice for maps that are junk.
		pf.enc, pf.alt = tu, pf.enc
	}
	if v.Key("Subtype").Name() == "Type0" {
		pf.twoByte = true
		if v.Key("Encoding").Name() == "Identity-H" {
			if tu == nil {
				pf.enc = ucs2Latin{}
			} else {
				pf.alt = ucs2Latin{} // for a ToUnicode map that decodes to junk
			}
		}
		pf.dw = 1000
		desc := v.Key("DescendantFonts").Index(0)
		if dw := desc.Key("DW"); !dw.IsNull() {
			pf.dw = dw.Float64()
		}
		pf.cid = map[int]float64{}
		w := desc.Key("W")
		for i := 0; i < w.Len() && len(pf.cid) < 70000; {
			c := int(w.Index(i).Int64())
			next := w.Index(i + 1)
			if next.Kind() == pdf.Array {
				for j := 0; j < next.Len(); j++ {
					pf.cid[c+j] = next.Index(j).Float64()
				}
				i += 2
				continue
			}
			last := int(next.Int64())
			wv := w.Index(i + 2).Float64()
			for c2 := c; c2 <= last && c2-c < 70000; c2++ {
				pf.cid[c2] = wv
			}
			i += 3
		}
		return pf
	}
	pf.first = int(v.Key("FirstChar").Int64())
	ws := v.Key("Widths")
	pf.widths = make([]float64, ws.Len())
	for i := range pf.widths {
		pf.widths[i] = ws.Index(i).Float64()
	}
	if fd := v.Key("FontDescriptor"); !fd.Key("MissingWidth").IsNull() {
		pf.dw = fd.Key("MissingWidth").Float64()
	}
	return pf
}

// ucs2Latin decodes two-byte codes of a font with no ToUnicode map as
// UCS-2, which some generators use as their glyph codes. It is trusted
// only when every character lands in Latin script (Vietnamese included);
// otherwise the codes are glyph numbers and the text is left undecoded, to
// score poorly and go to the fallback.
type ucs2Latin struct{}

func (ucs2Latin) Decode(raw string) string {
	var sb strings.Builder
	for i := 0; i+1 < len(raw); i += 2 {
		r := rune(raw[i])<<8 | rune(raw[i+1])
		switch {
		case r == '\t' || r == '\n' || (r >= 0x20 && r < 0x7f), r >= 0xa0 && r <= 0x24f, r >= 0x1ea0 && r <= 0x1eff,
			r >= 0x300 && r <= 0x36f, r >= 0x2010 && r <= 0x20ac:
			sb.WriteRune(r)
		default:
			return raw
		}
	}
	return sb.String()
}

type nopEncoding struct{}

func (nopEncoding) Decode(raw string) string { return raw }

// advance returns the width of raw's glyphs in thousandths of an em and
// the number of single-byte spaces (which get word spacing).
func (f *pdfFont) advance(raw string) (w float64, n int, spaces int) {
	if f.twoByte {
		for i := 0; i+1 < len(raw); i += 2 {
			code := int(raw[i])<<8 | int(raw[i+1])
			cw, ok := f.cid[code]
			if !ok {
				cw = f.dw
			}
			w += cw
			n++
		}
		return w, n, 0
	}
	for i := 0; i < len(raw); i++ {
		c := int(raw[i])
		cw := f.dw
		if j := c - f.first; j >= 0 && j < len(f.widths) && f.widths[j] > 0 {
			cw = f.widths[j]
		}
		w += cw
		n++
		if c == 32 {
			spaces++
		}
	}
	return w, n, spaces
}

type matrix [6]float64 // a b c d e f

var identity = matrix{1, 0, 0, 1, 0, 0}

func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func (m matrix) apply(x, y float64) (float64, float64) {
	return x*m[0] + y*m[2] + m[4], x*m[1] + y*m[3] + m[5]
}

type textState struct {
	ctm                        matrix
	tc, tw, th, tl, tfs, trise float64
	font                       *pdfFont
}

// pageWalker interprets content streams and collects runs.
type pageWalker struct {
	runs  []run
	forms int
	// image is the largest area an image is drawn over, in square points.
	image float64
	// fonts caches parsed fonts for the whole document, keyed by the
	// resource dictionary's text (which names fonts by object number) and
	// the font's name: the library re-reads, and re-inflates, objects on
	// every access, and parsing each font once per page took 40% of the
	// time on a 64-page manual.
	fonts map[string]*pdfFont
}

const maxFormCalls = 2000

// pageText lays out the text of one page; fonts is the document's cache.
// scan reports a page an image covers most of: a scan, whose text (if
// any) only OCR can check.
func pageText(p pdf.Page, fonts map[string]*pdfFont) (text string, scan bool, err error) {
	defer func() {
		if x := recover(); x != nil {
			text, err = "", fmt.Errorf("page: %v", x)
		}
	}()
	contents := p.V.Key("Contents")
	if contents.IsNull() {
		return "", false, nil
	}
	w := &pageWalker{fonts: fonts}
	w.walk(contents, p.Resources(), identity, 0)
	return layout(w.runs), w.image >= 0.3*pageArea(p.V), nil
}

// pageArea is the page's size in square points, from its MediaBox (which
// a page may inherit); A4 when there is none.
func pageArea(v pdf.Value) float64 {
	for range 16 {
		if mb := v.Key("MediaBox"); mb.Len() == 4 {
			w := mb.Index(2).Float64() - mb.Index(0).Float64()
			h := mb.Index(3).Float64() - mb.Index(1).Float64()
			if a := math.Abs(w * h); a > 0 {
				return a
			}
		}
		v = v.Key("Parent")
		if v.IsNull() {
			break
		}
	}
	return 595 * 842
}

// contentRun is the interpretation of one content stream: the page's or
// a form's, with its resources and graphics state.
type contentRun struct {
	w        *pageWalker
	res      pdf.Value
	depth    int
	fonts    map[string]*pdfFont // by resource name, for this stream
	fontDict string
	g        textState
	stack    []textState
	tm, tlm  matrix
}

// pdfOp is how an operator of a content stream is read: the number of
// operands it takes and what it does with them.
type pdfOp struct {
	args int
	do   func(c *contentRun, op string, args []pdf.Value)
}

// pdfOps are the operators that place text, change the text state or
// draw images and forms; the rest (paths, colours) leave the text alone.
var pdfOps = map[string]pdfOp{
	"q":  {0, (*contentRun).save},
	"Q":  {0, (*contentRun).restore},
	"cm": {6, func(c *contentRun, _ string, a []pdf.Value) { c.g.ctm = toMatrix(a).mul(c.g.ctm) }},
	"BT": {0, func(c *contentRun, _ string, _ []pdf.Value) { c.tm, c.tlm = identity, identity }},
	"Tc": {1, func(c *contentRun, _ string, a []pdf.Value) { c.g.tc = a[0].Float64() }},
	"Tw": {1, func(c *contentRun, _ string, a []pdf.Value) { c.g.tw = a[0].Float64() }},
	"Tz": {1, func(c *contentRun, _ string, a []pdf.Value) { c.g.th = a[0].Float64() / 100 }},
	"TL": {1, func(c *contentRun, _ string, a []pdf.Value) { c.g.tl = a[0].Float64() }},
	"Ts": {1, func(c *contentRun, _ string, a []pdf.Value) { c.g.trise = a[0].Float64() }},
	"Tf": {2, (*contentRun).setFont},
	"Td": {2, (*contentRun).moveText},
	"TD": {2, (*contentRun).moveText},
	"Tm": {6, func(c *contentRun, _ string, a []pdf.Value) { c.tm = toMatrix(a); c.tlm = c.tm }},
	"T*": {0, func(c *contentRun, _ string, _ []pdf.Value) { c.nextLine() }},
	"Tj": {1, func(c *contentRun, _ string, a []pdf.Value) { c.show(a[0].RawString()) }},
	"'":  {1, func(c *contentRun, _ string, a []pdf.Value) { c.nextLine(); c.show(a[0].RawString()) }},
	"\"": {3, func(c *contentRun, _ string, a []pdf.Value) {
		c.g.tw, c.g.tc = a[0].Float64(), a[1].Float64()
		c.nextLine()
		c.show(a[2].RawString())
	}},
	"TJ": {1, (*contentRun).showArray},
}

// Do walks into forms, which interpret their content with pdfOps: the
// entry is added at start to break the cycle of initialization.
func init() { pdfOps["Do"] = pdfOp{1, (*contentRun).drawObject} }

func (w *pageWalker) walk(strm pdf.Value, res pdf.Value, ctm matrix, depth int) {
	if w.fonts == nil {
		w.fonts = map[string]*pdfFont{}
	}
	c := &contentRun{w: w, res: res, depth: depth, fonts: map[string]*pdfFont{}, g: textState{ctm: ctm, th: 1}, tm: identity, tlm: identity}
	pdf.Interpret(strm, func(stk *pdf.Stack, op string) {
		n := stk.Len()
		args := make([]pdf.Value, n)
		for i := n - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		if o, ok := pdfOps[op]; ok && len(args) == o.args {
			o.do(c, op, args)
		}
	})
}

func (c *contentRun) save(string, []pdf.Value) {
	if len(c.stack) < 256 {
		c.stack = append(c.stack, c.g)
	}
}

func (c *contentRun) restore(string, []pdf.Value) {
	if len(c.stack) > 0 {
		c.g = c.stack[len(c.stack)-1]
		c.stack = c.stack[:len(c.stack)-1]
	}
}

// setFont selects a font of the resources by name (Tf), parsed once per
// document.
func (c *contentRun) setFont(_ string, args []pdf.Value) {
	name := args[0].Name()
	f, ok := c.fonts[name]
	if !ok {
		if c.fontDict == "" {
			c.fontDict = c.res.Key("Font").String()
		}
		key := c.fontDict + "\x00" + name
		if f, ok = c.w.fonts[key]; !ok {
			f = loadFont(c.res.Key("Font").Key(name))
			if len(c.w.fonts) < 10000 {
				c.w.fonts[key] = f
			}
		}
		c.fonts[name] = f
	}
	c.g.font = f
	c.g.tfs = args[1].Float64()
}

// moveText starts a new line at an offset (Td; TD sets the leading too).
func (c *contentRun) moveText(op string, args []pdf.Value) {
	if op == "TD" {
		c.g.tl = -args[1].Float64()
	}
	c.tlm = matrix{1, 0, 0, 1, args[0].Float64(), args[1].Float64()}.mul(c.tlm)
	c.tm = c.tlm
}

func (c *contentRun) nextLine() {
	c.tlm = matrix{1, 0, 0, 1, 0, -c.g.tl}.mul(c.tlm)
	c.tm = c.tlm
}

// show adds a run of text in the current font at the text position and
// moves the position past it.
func (c *contentRun) show(raw string) {
	g := &c.g
	if g.font == nil {
		g.font = &pdfFont{enc: nopEncoding{}, dw: 500}
	}
	text := g.font.enc.Decode(raw)
	if g.font.alt != nil && strings.ContainsAny(text, "\ufffd\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19") {
		if alt := g.font.alt.Decode(raw); alt != raw {
			text = alt
		}
	}
	wsum, n, spaces := g.font.advance(raw)
	tx := (wsum/1000*g.tfs + float64(n)*g.tc + float64(spaces)*g.tw) * g.th
	trm := c.tm.mul(g.ctm)
	x0, y0 := trm.apply(0, g.trise)
	x1, _ := (matrix{1, 0, 0, 1, tx, 0}).mul(c.tm).mul(g.ctm).apply(0, g.trise)
	size := g.tfs * math.Hypot(trm[2], trm[3])
	if size == 0 {
		size = math.Abs(g.tfs)
	}
	c.w.runs = append(c.w.runs, run{x0: x0, x1: x1, y: y0, size: size, text: text})
	c.tm = matrix{1, 0, 0, 1, tx, 0}.mul(c.tm)
}

// showArray shows strings with kerning between them (TJ).
func (c *contentRun) showArray(_ string, args []pdf.Value) {
	a := args[0]
	for i := 0; i < a.Len(); i++ {
		v := a.Index(i)
		if v.Kind() == pdf.String {
			c.show(v.RawString())
		} else {
			tx := -v.Float64() / 1000 * c.g.tfs * c.g.th
			c.tm = matrix{1, 0, 0, 1, tx, 0}.mul(c.tm)
		}
	}
}

// drawObject notes the area an image covers and reads the text of a form
// (Do), to a bounded depth and number of forms.
func (c *contentRun) drawObject(_ string, args []pdf.Value) {
	if c.depth >= 8 || c.w.forms >= maxFormCalls {
		return
	}
	xo := c.res.Key("XObject").Key(args[0].Name())
	switch xo.Key("Subtype").Name() {
	case "Image":
		// An image fills the unit square mapped by the CTM.
		m := c.g.ctm
		c.w.image = max(c.w.image, math.Abs(m[0]*m[3]-m[1]*m[2]))
	case "Form":
		c.w.forms++
		m := identity
		if mv := xo.Key("Matrix"); mv.Len() == 6 {
			m = toMatrixValue(mv)
		}
		fres := xo.Key("Resources")
		if fres.IsNull() {
			fres = c.res
		}
		c.w.walk(xo, fres, m.mul(c.g.ctm), c.depth+1)
	}
}

func toMatrix(args []pdf.Value) matrix {
	var m matrix
	for i := range m {
		m[i] = args[i].Float64()
	}
	return m
}

func toMatrixValue(v pdf.Value) matrix {
	var m matrix
	for i := range m {
		m[i] = v.Index(i).Float64()
	}
	return m
}

// layout joins runs in drawing order: a new line when the baseline moves
// by more than half the font size, a space when the gap to the previous
// run on the line is wider than 0.15 em (tight justified text sets words
// about 0.19 em apart; kerning inside words stays under 0.1 em).
func layout(runs []run) string {
	var sb strings.Builder
	var prev *run
	for i := range runs {
		r := &runs[i]
		if r.text == "" {
			continue
		}
		if prev != nil {
			h := max(r.size, prev.size, 1)
			dy := math.Abs(r.y - prev.y)
			gap := r.x0 - prev.x1
			switch {
			case dy > h*0.5:
				sb.WriteByte('\n')
			case gap > h*0.15 || gap < -h*1.5:
				if !strings.HasSuffix(prev.text, " ") && !strings.HasPrefix(r.text, " ") {
					sb.WriteByte(' ')
				}
			}
		}
		sb.WriteString(r.text)
		prev = r
	}
	return sb.String()
}

// pdfToText runs poppler's pdftotext on the whole file, pages separated by
// form feeds.
func pdfToText(ctx context.Context, path string, opts Options) ([]PageText, error) {
	return pdfToTextPages(ctx, path, opts, 0, 0)
}

// pdfToTextPages runs pdftotext on pages first to last (0: all).
func pdfToTextPages(ctx context.Context, path string, opts Options, first, last int) ([]PageText, error) {
	if !opts.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, opts.Deadline)
		defer cancel()
	}
	args := []string{"-enc", "UTF-8", "-q"}
	if first > 0 {
		args = append(args, "-f", strconv.Itoa(first), "-l", strconv.Itoa(last))
	}
	var out, stderr bytes.Buffer
	cmd := dieWithParent(exec.CommandContext(ctx, opts.PDFToText, append(args, path, "-")...))
	cmd.Stdout, cmd.Stderr = &limitedWriter{w: &out, n: maxTextSize}, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("pdftotext: %w", err)
	}
	pages := splitFormFeeds(normalize(out.String()), ExtractorPDFToText)
	for i := range pages {
		pages[i].Quality = Quality(pages[i].Text)
	}
	return pages, nil
}

type limitedWriter struct {
	w io.Writer
	n int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, errors.New("output too large")
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}

// pdfView hides two harmless deviations the library refuses: a header
// line that is not exactly "%PDF-1.x" and an end of line (a space before
// the newline, PDF 2.0), and bytes after the last %%EOF. Offsets stay the
// same, so the cross-reference table still points at the right objects.
func pdfView(r io.ReaderAt, size int64) (io.ReaderAt, int64) {
	head := make([]byte, 9)
	if n, _ := r.ReadAt(head, 0); n < 9 || !bytes.HasPrefix(head, []byte("%PDF-")) {
		return r, size
	}
	var patch []byte
	if v := head[5:8]; !(v[0] == '1' && v[1] == '.' && v[2] >= '0' && v[2] <= '7') || (head[8] != '\r' && head[8] != '\n') {
		patch = []byte("%PDF-1.7\n")
		if v[0] == '1' && v[1] == '.' && v[2] >= '0' && v[2] <= '7' {
			copy(patch, head[:8])
		}
	}
	tailLen := min(size, 4096)
	tail := make([]byte, tailLen)
	if n, _ := r.ReadAt(tail, size-tailLen); int64(n) == tailLen {
		if i := bytes.LastIndex(tail, []byte("%%EOF")); i >= 0 {
			if rest := bytes.TrimSpace(tail[i+5:]); len(rest) > 0 {
				size = size - tailLen + int64(i) + 5
			}
		}
	}
	if patch == nil {
		return r, size
	}
	return &patchedReader{r: r, patch: patch}, size
}

type patchedReader struct {
	r     io.ReaderAt
	patch []byte // replaces the bytes at offset 0
}

func (p *patchedReader) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	for i := 0; i < n; i++ {
		if o := off + int64(i); o < int64(len(p.patch)) {
			b[i] = p.patch[o]
		} else {
			break
		}
	}
	return n, err
}

var (
	objRE     = regexp.MustCompile(`(?m)(?:^|[\s>])(\d{1,7})\s+(\d{1,5})\s+obj\b`)
	catalogRE = regexp.MustCompile(`/Type\s*/Catalog\b`)
	infoRE    = regexp.MustCompile(`/Info\s+(\d+)\s+(\d+)\s+R`)
)

// repairXref appends a fresh cross-reference table, built by scanning the
// file for "n g obj", to a PDF whose own table is missing or broken. The
// objects keep their offsets. It returns nil when no catalog is found.
func repairXref(data []byte) []byte {
	offsets := map[int]int{}
	gens := map[int]int{}
	root := -1
	maxNum := 0
	for _, m := range objRE.FindAllSubmatchIndex(data, -1) {
		num, _ := strconv.Atoi(string(data[m[2]:m[3]]))
		gen, _ := strconv.Atoi(string(data[m[4]:m[5]]))
		offsets[num] = m[2]
		gens[num] = gen
		maxNum = max(maxNum, num)
		end := len(data)
		if i := bytes.Index(data[m[1]:], []byte("endobj")); i >= 0 {
			end = m[1] + i
		}
		if catalogRE.Match(data[m[1]:end]) {
			root = num
		}
	}
	if root < 0 || len(offsets) == 0 || maxNum > 10_000_000 {
		return nil
	}
	var b bytes.Buffer
	b.Grow(len(data) + (maxNum+1)*20 + 200)
	b.Write(data)
	b.WriteString("\n")
	xrefAt := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n", maxNum+1)
	for i := 0; i <= maxNum; i++ {
		if off, ok := offsets[i]; ok {
			fmt.Fprintf(&b, "%010d %05d n\r\n", off, gens[i])
		} else {
			b.WriteString("0000000000 65535 f\r\n")
		}
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d %d R", maxNum+1, root, gens[root])
	if m := infoRE.FindSubmatch(data); m != nil {
		if n, _ := strconv.Atoi(string(m[1])); offsets[n] > 0 {
			fmt.Fprintf(&b, " /Info %s %s R", m[1], m[2])
		}
	}
	fmt.Fprintf(&b, " >>\nstartxref\n%d\n%%%%EOF\n", xrefAt)
	return b.Bytes()
}

var (
	startxrefRE = regexp.MustCompile(`startxref\s+(\d+)`)
	prevRE      = regexp.MustCompile(`/Prev\s+(\d+)`)
)

// xrefLoops reports whether the chain of cross-reference sections —
// startxref, then each section's /Prev — comes back to a section already
// read. ledongthuc/pdf follows /Prev without remembering where it has
// been, so such a file (qpdf's append-xref-loop.pdf, issue-149.pdf) kept
// an extraction child busy until its time limit, twice, and was set
// aside, although poppler reads it at once.
func xrefLoops(r io.ReaderAt, size int64) bool {
	tail := make([]byte, min(size, 2048))
	n, _ := r.ReadAt(tail, size-int64(len(tail)))
	tail = tail[:n]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return false
	}
	m := startxrefRE.FindSubmatch(tail[i:])
	if m == nil {
		return false
	}
	off, err := strconv.ParseInt(string(m[1]), 10, 64)
	seen := map[int64]bool{}
	buf := make([]byte, min(size, 1<<20))
	// A file updated a thousand times is not paperwork; its chain is left
	// to the library and the sandbox's limits.
	for hops := 0; err == nil && off >= 0 && off < size && hops < 1000; hops++ {
		if seen[off] {
			return true
		}
		seen[off] = true
		off, err = prevSection(r, buf, off)
	}
	return false
}

// prevSection returns the /Prev entry of the cross-reference section at
// off, read into buf: in the trailer after a table, or in the dictionary
// of a cross-reference stream. A section whose dictionary is not within
// len(buf) of it ends the chain (errNoPrev), as does one without /Prev.
func prevSection(r io.ReaderAt, buf []byte, off int64) (int64, error) {
	n, _ := r.ReadAt(buf, off)
	dict := buf[:n]
	if bytes.HasPrefix(bytes.TrimLeft(dict, " \t\r\n"), []byte("xref")) {
		i := bytes.Index(dict, []byte("trailer"))
		if i < 0 {
			return 0, errNoPrev
		}
		dict = dict[i:]
	}
	for _, end := range []string{"stream", "startxref"} {
		if j := bytes.Index(dict, []byte(end)); j >= 0 {
			dict = dict[:j]
		}
	}
	m := prevRE.FindSubmatch(dict)
	if m == nil {
		return 0, errNoPrev
	}
	return strconv.ParseInt(string(m[1]), 10, 64)
}

var (
	errNoPrev   = errors.New("no previous cross-reference section")
	errXrefLoop = errors.New("malformed PDF: the cross-reference sections loop")
)
