package extract

import (
	"archive/zip"
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"

	"hoso/pipeline"
)

// maxXMLPart is the most bytes read from one part of an office document
// after decompression: a guard against ZIP bombs dressed as documents.
// (A variable so that fuzz tests can lower it.)
var maxXMLPart int64 = 200 << 20

func openZip(r io.ReaderAt, size int64, what string) (*zip.Reader, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: its ZIP container cannot be read.", what)
	}
	return zr, nil
}

// openZipPart opens one part of a zipped office file, for the formats
// that read a single part.
func openZipPart(r io.ReaderAt, size int64, part, what string) (io.ReadCloser, error) {
	zr, err := openZip(r, size, what)
	if err != nil {
		return nil, err
	}
	return openPart(zr, part, what)
}

func openPart(zr *zip.Reader, name, what string) (io.ReadCloser, error) {
	for _, f := range zr.File {
		if f.Name == name {
			if f.UncompressedSize64 > uint64(maxXMLPart) {
				return nil, pipeline.Errorf(pipeline.ETOOLARGE, "The %s is too large: its text part unpacks to more than %d MB.", what, maxXMLPart>>20)
			}
			rc, err := f.Open()
			if err != nil {
				return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: part of its content cannot be read. Open it in the program that made it and save it again.", what)
			}
			return struct {
				io.Reader
				io.Closer
			}{io.LimitReader(rc, maxXMLPart), rc}, nil
		}
	}
	return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: it has no %s.", what, name)
}

// xmlText walks an XML part and calls fn for each start element, end
// element and run of character data.
func xmlText(r io.Reader, what string, fn func(tok xml.Token)) error {
	d := xml.NewDecoder(r)
	d.Strict = false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: its XML is malformed (%v).", what, err)
		}
		fn(tok)
	}
}

// textBuf is text being gathered that can lose its trailing spaces and
// tabs in place: a table's cells and rows trim them as they end, and a
// strings.Builder would copy all the text so far each time.
type textBuf struct{ b []byte }

func (t *textBuf) Write(p []byte) (int, error)       { t.b = append(t.b, p...); return len(p), nil }
func (t *textBuf) WriteString(s string) (int, error) { t.b = append(t.b, s...); return len(s), nil }
func (t *textBuf) WriteByte(c byte) error            { t.b = append(t.b, c); return nil }
func (t *textBuf) String() string                    { return string(t.b) }
func (t *textBuf) Len() int                          { return len(t.b) }
func (t *textBuf) Reset()                            { t.b = t.b[:0] }

// endsLine reports whether the text is empty or ends with a newline.
func (t *textBuf) endsLine() bool { return len(t.b) == 0 || t.b[len(t.b)-1] == '\n' }

type pageBuilder struct {
	pages     []PageText
	sb        textBuf
	extractor string
}

func (b *pageBuilder) newline() {
	if !b.sb.endsLine() {
		b.sb.WriteByte('\n')
	}
}

func (b *pageBuilder) trimRight(cut string) {
	b.sb.b = bytes.TrimRight(b.sb.b, cut)
}

func (b *pageBuilder) pageBreak() {
	b.pages = append(b.pages, PageText{Text: strings.TrimSpace(b.sb.String()), Extractor: b.extractor})
	b.sb.Reset()
}

func (b *pageBuilder) done() []PageText {
	if strings.TrimSpace(b.sb.String()) != "" || len(b.pages) == 0 {
		b.pageBreak()
	}
	return b.pages
}

// DOCX reads a Word document's body: paragraphs, tables, tabs, breaks and
// text boxes; explicit page breaks start a new page. Headers come first on
// the first page under a "[header]" line; footers, footnotes, endnotes and
// comments close the last page, each under its own marker line.
func DOCX(r io.ReaderAt, size int64) ([]PageText, error) {
	const what = "Word document"
	zr, err := openZip(r, size, what)
	if err != nil {
		return nil, err
	}
	rc, err := openPart(zr, "word/document.xml", what)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := &pageBuilder{extractor: ExtractorDOCX}
	if err := docxPart(rc, what, b); err != nil {
		return nil, err
	}
	pages := b.done()
	parts := map[string][]string{}
	for _, f := range zr.File {
		dir, name := path.Split(f.Name)
		if dir != "word/" {
			continue
		}
		for _, kind := range []string{"header", "footer", "footnotes", "endnotes", "comments"} {
			if strings.HasPrefix(name, kind) && strings.HasSuffix(name, ".xml") {
				parts[kind] = append(parts[kind], f.Name)
			}
		}
	}
	extra := map[string]string{}
	for kind, names := range parts {
		slices.SortFunc(names, func(a, b string) int { return cmp.Compare(partNumber(a), partNumber(b)) })
		var texts []string
		for _, name := range names {
			rc, err := openPart(zr, name, what)
			if err != nil {
				continue
			}
			pb := &pageBuilder{extractor: ExtractorDOCX}
			err = docxPart(rc, what, pb)
			rc.Close()
			if err != nil {
				continue
			}
			var sb strings.Builder
			for _, p := range pb.done() {
				sb.WriteString(p.Text)
				sb.WriteByte('\n')
			}
			if t := strings.TrimSpace(sb.String()); t != "" && !slices.Contains(texts, t) {
				texts = append(texts, t)
			}
		}
		extra[kind] = strings.Join(texts, "\n")
	}
	return withSections(pages, extra), nil
}

// withSections puts a document's header text at the start of its first
// page and its other sections at the end of the last, each under a marker
// line, so a document whose text is all in its header is not empty.
func withSections(pages []PageText, extra map[string]string) []PageText {
	if h := extra["header"]; h != "" {
		pages[0].Text = strings.TrimSpace("[header]\n" + h + "\n\n" + pages[0].Text)
	}
	last := &pages[len(pages)-1]
	for _, kind := range []string{"footer", "footnotes", "endnotes", "comments"} {
		if t := extra[kind]; t != "" {
			last.Text = strings.TrimSpace(last.Text + "\n\n[" + kind + "]\n" + t)
		}
	}
	return pages
}

// partNumber is the number in a part's name (header2.xml → 2).
func partNumber(name string) int {
	n, _ := strconv.Atoi(strings.TrimFunc(path.Base(name), func(r rune) bool { return r < '0' || r > '9' }))
	return n
}

// docxPart reads one WordprocessingML part into b. Of alternate content
// (a text box drawn both as DrawingML and as VML) only the first choice is
// read, so its text comes once.
func docxPart(rc io.Reader, what string, b *pageBuilder) error {
	inText := false
	cell := 0     // inside table cells, paragraphs end with a space, cells with a tab
	fallback := 0 // inside mc:Fallback
	return xmlText(rc, what, func(tok xml.Token) {
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "Fallback" {
				fallback++
			}
			if fallback > 0 {
				return
			}
			switch t.Name.Local {
			case "t":
				inText = true
			case "tab":
				b.sb.WriteByte('\t')
			case "br", "cr":
				if attr(t, "type") == "page" {
					b.pageBreak()
				} else {
					b.sb.WriteByte('\n')
				}
			case "tc":
				cell++
			}
		case xml.EndElement:
			if t.Name.Local == "Fallback" {
				fallback--
				return
			}
			if fallback > 0 {
				return
			}
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				if cell > 0 {
					b.trimRight(" ")
					b.sb.WriteByte(' ')
				} else {
					b.newline()
				}
			case "tc":
				cell--
				b.trimRight(" ")
				b.sb.WriteByte('\t')
			case "tr":
				b.trimRight("\t ")
				b.newline()
			}
		case xml.CharData:
			if inText && fallback == 0 {
				b.sb.Write(t)
			}
		}
	})
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// ODT reads an OpenDocument text: paragraphs and headings, spaces (text:s),
// tabs, line breaks and frames; soft page breaks start a new page.
// Headers and footers (from the master pages in styles.xml), footnotes,
// endnotes and comments are kept as marked sections, as for DOCX.
func ODT(r io.ReaderAt, size int64) ([]PageText, error) {
	const what = "OpenDocument text"
	zr, err := openZip(r, size, what)
	if err != nil {
		return nil, err
	}
	rc, err := openPart(zr, "content.xml", what)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	extra := map[string]*textBuf{}
	b := &pageBuilder{extractor: ExtractorODT}
	if err := odtPart(rc, what, b, extra); err != nil {
		return nil, err
	}
	pages := b.done()
	if rc, err := openPart(zr, "styles.xml", what); err == nil {
		sb := &pageBuilder{extractor: ExtractorODT}
		_ = odtPart(rc, what, sb, extra)
		rc.Close()
	}
	texts := map[string]string{}
	for k, sb := range extra {
		texts[k] = strings.TrimSpace(sb.String())
	}
	return withSections(pages, texts), nil
}

// odtPart reads the text of an ODF part into b, and its headers, footers,
// notes and comments into extra by section name.
func odtPart(rc io.Reader, what string, b *pageBuilder, extra map[string]*textBuf) error {
	r := &odtReader{b: b, extra: extra}
	return xmlText(rc, what, func(tok xml.Token) {
		switch t := tok.(type) {
		case xml.StartElement:
			r.start(t)
		case xml.EndElement:
			r.end(t.Name.Local)
		case xml.CharData:
			if r.depth > 0 && r.skip == 0 {
				r.out().Write(t)
			}
		}
	})
}

// odtReader follows where an ODF part's elements are: the body's text
// goes to b, a header's, footer's, note's or comment's to extra.
type odtReader struct {
	b     *pageBuilder
	extra map[string]*textBuf
	depth int      // inside text:p or text:h
	skip  int      // inside tracked changes and note citations
	cell  int      // inside table cells
	side  []string // the sections being read (nested: a comment in a footnote)
}

// out is where text goes now.
func (r *odtReader) out() *textBuf {
	if len(r.side) == 0 {
		return &r.b.sb
	}
	k := r.side[len(r.side)-1]
	if r.extra[k] == nil {
		r.extra[k] = &textBuf{}
	}
	return r.extra[k]
}

func (r *odtReader) start(t xml.StartElement) {
	switch t.Name.Local {
	case "note-citation", "tracked-changes", "creator", "date":
		r.skip++
	case "annotation":
		r.side = append(r.side, "comments")
	case "note":
		if attr(t, "note-class") == "endnote" {
			r.side = append(r.side, "endnotes")
		} else {
			r.side = append(r.side, "footnotes")
		}
	case "header", "header-left", "header-first":
		r.side = append(r.side, "header")
	case "footer", "footer-left", "footer-first":
		r.side = append(r.side, "footer")
	case "table-cell":
		r.cell++
	case "p", "h":
		r.depth++
	case "s":
		n, _ := strconv.Atoi(attr(t, "c"))
		r.out().WriteString(strings.Repeat(" ", max(1, min(n, 100))))
	case "tab":
		r.out().WriteByte('\t')
	case "line-break":
		r.out().WriteByte('\n')
	case "soft-page-break":
		if len(r.side) == 0 {
			r.b.pageBreak()
		}
	}
}

func (r *odtReader) end(name string) {
	switch name {
	case "note-citation", "tracked-changes", "creator", "date":
		r.skip--
	case "annotation", "note", "header", "header-left", "header-first", "footer", "footer-left", "footer-first":
		if len(r.side) > 0 {
			r.side = r.side[:len(r.side)-1]
		}
	case "p", "h":
		r.depth--
		switch {
		case len(r.side) > 0:
			if s := r.out(); !s.endsLine() {
				s.WriteByte('\n')
			}
		case r.cell > 0:
			r.b.trimRight(" ")
			r.b.sb.WriteByte(' ')
		default:
			r.b.newline()
		}
	case "table-cell":
		r.cell--
		if len(r.side) == 0 {
			r.b.trimRight(" ")
			r.b.sb.WriteByte('\t')
		}
	case "table-row":
		if len(r.side) == 0 {
			r.b.trimRight("\t ")
			r.b.newline()
		}
	}
}
