package extract

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"io"
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

func openPart(zr *zip.Reader, name, what string) (io.ReadCloser, error) {
	for _, f := range zr.File {
		if f.Name == name {
			if f.UncompressedSize64 > uint64(maxXMLPart) {
				return nil, pipeline.Errorf(pipeline.ETOOLARGE, "The %s is too large: its text part unpacks to more than %d MB.", what, maxXMLPart>>20)
			}
			rc, err := f.Open()
			if err != nil {
				return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: %s cannot be read.", what, name)
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

type pageBuilder struct {
	pages     []PageText
	sb        strings.Builder
	extractor string
}

func (b *pageBuilder) newline() {
	s := b.sb.String()
	if s != "" && !strings.HasSuffix(s, "\n") {
		b.sb.WriteByte('\n')
	}
}

func (b *pageBuilder) trimRight(cut string) {
	s := b.sb.String()
	if t := strings.TrimRight(s, cut); len(t) != len(s) {
		b.sb.Reset()
		b.sb.WriteString(t)
	}
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

// DOCX reads a Word document's body: paragraphs, tables, tabs and breaks;
// explicit page breaks start a new page.
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
	inText := false
	cell := 0 // inside table cells, paragraphs end with a space, cells with a tab
	err = xmlText(rc, what, func(tok xml.Token) {
		switch t := tok.(type) {
		case xml.StartElement:
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
			if inText {
				b.sb.Write(t)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return b.done(), nil
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
// tabs and line breaks; soft page breaks start a new page.
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
	b := &pageBuilder{extractor: ExtractorODT}
	depth := 0 // inside text:p or text:h
	skip := 0  // inside annotations and other non-body text
	cell := 0  // inside table cells
	err = xmlText(rc, what, func(tok xml.Token) {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "annotation", "note-citation", "tracked-changes":
				skip++
			case "table-cell":
				cell++
			case "p", "h":
				depth++
			case "s":
				n, _ := strconv.Atoi(attr(t, "c"))
				b.sb.WriteString(strings.Repeat(" ", max(1, min(n, 100))))
			case "tab":
				b.sb.WriteByte('\t')
			case "line-break":
				b.sb.WriteByte('\n')
			case "soft-page-break":
				b.pageBreak()
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "annotation", "note-citation", "tracked-changes":
				skip--
			case "p", "h":
				depth--
				if cell > 0 {
					b.trimRight(" ")
					b.sb.WriteByte(' ')
				} else {
					b.newline()
				}
			case "table-cell":
				cell--
				b.trimRight(" ")
				b.sb.WriteByte('\t')
			case "table-row":
				b.trimRight("\t ")
				b.newline()
			}
		case xml.CharData:
			if depth > 0 && skip == 0 {
				b.sb.Write(t)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return b.done(), nil
}
