package extract

import (
	"archive/zip"
	"encoding/xml"
	"io"
	"path"
	"strings"

	"hoso/pipeline"
)

// Extractor names of the presentation readers.
const (
	ExtractorPPTX = "pptx"
	ExtractorODP  = "odp"
)

// PPTX reads a PowerPoint presentation: one page per slide in the order of
// the presentation's slide list, the slide's text, then its speaker notes
// under a "[notes]" line.
func PPTX(r io.ReaderAt, size int64) ([]PageText, error) {
	const what = "PowerPoint presentation (.pptx)"
	zr, err := openZip(r, size, what)
	if err != nil {
		return nil, err
	}
	rels, err := partRels(zr, "ppt/presentation.xml", what)
	if err != nil {
		return nil, err
	}
	var slides []string
	rc, err := openPart(zr, "ppt/presentation.xml", what)
	if err != nil {
		return nil, err
	}
	err = xmlText(rc, what, func(tok xml.Token) {
		if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "sldId" {
			if target := rels[attrNS(t, "id", "relationships")]; target != "" {
				slides = append(slides, target)
			}
		}
	})
	rc.Close()
	if err != nil {
		return nil, err
	}
	var pages []PageText
	for _, s := range slides {
		text, err := drawingText(zr, s, what)
		if err != nil {
			return nil, err
		}
		srels, _ := partRels(zr, s, what)
		for _, target := range srels {
			if strings.Contains(target, "notesSlide") {
				if notes, err := drawingText(zr, target, what); err == nil && strings.TrimSpace(notes) != "" {
					text = strings.TrimSpace(text) + "\n\n[notes]\n" + strings.TrimSpace(notes)
				}
			}
		}
		pages = append(pages, PageText{Text: strings.TrimSpace(text), Extractor: ExtractorPPTX})
	}
	if len(pages) == 0 {
		return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: it has no %s.", what, "slides")
	}
	return pages, nil
}

// partRels reads the relationships of a package part: ID → target part.
func partRels(zr *zip.Reader, part, what string) (map[string]string, error) {
	name := path.Join(path.Dir(part), "_rels", path.Base(part)+".rels")
	rc, err := openPart(zr, name, what)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	out := map[string]string{}
	err = xmlText(rc, what, func(tok xml.Token) {
		if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "Relationship" && attr(t, "TargetMode") != "External" {
			target := attr(t, "Target")
			if strings.HasPrefix(target, "/") {
				target = strings.TrimPrefix(target, "/")
			} else {
				target = path.Join(path.Dir(part), target)
			}
			out[attr(t, "Id")] = target
		}
	})
	return out, err
}

// attrNS finds an attribute by local name in a namespace whose URL ends
// with space (the r:id of relationships).
func attrNS(e xml.StartElement, local, space string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local && strings.HasSuffix(a.Name.Space, space) {
			return a.Value
		}
	}
	return ""
}

// drawingText is the text of a DrawingML part (a slide, a notes page):
// paragraphs as lines, table cells separated by tabs, slide-number
// fields left out.
func drawingText(zr *zip.Reader, part, what string) (string, error) {
	rc, err := openPart(zr, part, what)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	var sb strings.Builder
	inText, skip := false, 0
	err = xmlText(rc, what, func(tok xml.Token) {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inText = true
			case "br":
				sb.WriteByte('\n')
			case "fld":
				if attr(t, "type") == "slidenum" {
					skip++
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "fld":
				if skip > 0 {
					skip--
				}
			case "p":
				if !strings.HasSuffix(sb.String(), "\n") && sb.Len() > 0 {
					sb.WriteByte('\n')
				}
			case "tc":
				sb.WriteByte('\t')
			}
		case xml.CharData:
			if inText && skip == 0 {
				sb.Write(t)
			}
		}
	})
	return sb.String(), err
}

// ODP reads an OpenDocument presentation: one page per slide (draw:page),
// its text, then its speaker notes under a "[notes]" line.
func ODP(r io.ReaderAt, size int64) ([]PageText, error) {
	const what = "OpenDocument presentation"
	rc, err := openZipPart(r, size, "content.xml", what)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var pages []PageText
	var slide, notes strings.Builder
	inPage, inNotes, depth := false, false, 0
	out := func() *strings.Builder {
		if inNotes {
			return &notes
		}
		return &slide
	}
	err = xmlText(rc, what, func(tok xml.Token) {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "page":
				if t.Name.Space != "" && !strings.Contains(t.Name.Space, "drawing") {
					break
				}
				inPage = true
				slide.Reset()
				notes.Reset()
			case "notes":
				inNotes = true
			case "p", "h":
				depth++
			case "s":
				out().WriteByte(' ')
			case "tab":
				out().WriteByte('\t')
			case "line-break":
				out().WriteByte('\n')
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "page":
				if !inPage {
					break
				}
				inPage = false
				text := strings.TrimSpace(slide.String())
				if n := strings.TrimSpace(notes.String()); n != "" {
					text += "\n\n[notes]\n" + n
				}
				pages = append(pages, PageText{Text: strings.TrimSpace(text), Extractor: ExtractorODP})
			case "notes":
				inNotes = false
			case "p", "h":
				depth--
				out().WriteByte('\n')
			}
		case xml.CharData:
			if inPage && depth > 0 {
				out().Write(t)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return pages, nil
}
