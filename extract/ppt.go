package extract

import (
	"encoding/binary"
	"io"
	"strings"
	"unicode/utf16"

	"hoso/pipeline"
)

// PowerPoint 97 record types ([MS-PPT] 2.13.24).
const (
	pptDocument         = 0x03E8
	pptSlide            = 0x03EE
	pptSlideAtom        = 0x03EF
	pptNotes            = 0x03F0
	pptSlidePersistAtom = 0x03F3
	pptSlideListText    = 0x0FF0
	pptTextChars        = 0x0FA0
	pptTextBytes        = 0x0FA8
	pptUserEdit         = 0x0FF5
	pptPersistDirectory = 0x1772
	pptCurrentUser      = 0x0FF6
)

// PPT reads a PowerPoint 97-2003 presentation: the slides in their order
// (as the document's slide list gives it, through the persist directory of
// the last save), each slide's text, then its notes.
func PPT(r io.ReaderAt, size int64) ([]PageText, error) {
	const what = "PowerPoint 97-2003 presentation (.ppt)"
	streams, err := oleStreams(io.NewSectionReader(r, 0, size), what, func(p string) bool {
		return p == "PowerPoint Document" || p == "Current User"
	})
	if err != nil {
		return nil, err
	}
	doc := streams["PowerPoint Document"]
	if doc == nil {
		return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: it has no %s.", what, "PowerPoint Document")
	}
	persist := pptPersist(doc, streams["Current User"])
	var slides []string
	notesByID := map[uint32]string{}
	if off, ok := persist[pptDocPersistID(doc, streams["Current User"])]; ok {
		slides, notesByID = pptSlides(doc, off, persist)
	}
	if len(slides) == 0 {
		// No usable directory: every slide container in stream order.
		for _, rec := range pptRecords(doc, 0, len(doc)) {
			if rec.typ == pptSlide {
				slides = append(slides, pptText(doc, rec)+"\x00"+pptNotesRef(doc, rec))
			}
		}
	}
	var pages []PageText
	for _, s := range slides {
		text, ref, _ := strings.Cut(s, "\x00")
		if n := notesByID[parseU32(ref)]; n != "" {
			text = strings.TrimSpace(text) + "\n\n[notes]\n" + n
		}
		pages = append(pages, PageText{Text: strings.TrimSpace(text), Extractor: ExtractorPPT})
	}
	return pages, nil
}

type pptRecord struct {
	ver      uint16
	instance uint16
	typ      uint16
	body     int // offset of the body in the stream
	end      int
}

// pptRecords lists the records laid one after another in doc[from:to].
func pptRecords(doc []byte, from, to int) []pptRecord {
	var out []pptRecord
	for off := from; off+8 <= to && off >= 0; {
		verInst := binary.LittleEndian.Uint16(doc[off:])
		n := int(binary.LittleEndian.Uint32(doc[off+4:]))
		end := off + 8 + n
		if n < 0 || end > to || end < off {
			end = to
		}
		out = append(out, pptRecord{ver: verInst & 0xF, instance: verInst >> 4, typ: binary.LittleEndian.Uint16(doc[off+2:]), body: off + 8, end: end})
		off = end
	}
	return out
}

// pptRecordAt reads the record that starts at off.
func pptRecordAt(doc []byte, off int) (pptRecord, bool) {
	if off < 0 || off+8 > len(doc) {
		return pptRecord{}, false
	}
	recs := pptRecords(doc, off, min(len(doc), off+8+int(binary.LittleEndian.Uint32(doc[off+4:]))))
	if len(recs) == 0 {
		return pptRecord{}, false
	}
	return recs[0], true
}

// pptText gathers the text atoms of a container and the containers within
// it, one paragraph a line.
func pptText(doc []byte, c pptRecord) string {
	var sb strings.Builder
	var walk func(c pptRecord, depth int)
	walk = func(c pptRecord, depth int) {
		if depth > 32 {
			return
		}
		for _, rec := range pptRecords(doc, c.body, c.end) {
			switch {
			case rec.ver == 0xF:
				walk(rec, depth+1)
			case rec.typ == pptTextChars || rec.typ == pptTextBytes:
				sb.WriteString(pptAtomText(doc[rec.body:rec.end], rec.typ == pptTextChars))
				sb.WriteByte('\n')
			}
		}
	}
	walk(c, 0)
	return sb.String()
}

func pptAtomText(b []byte, wide bool) string {
	var s string
	if wide {
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		s = string(utf16.Decode(u))
	} else {
		rs := make([]rune, len(b))
		for i, c := range b {
			rs[i] = rune(c)
		}
		s = string(rs)
	}
	// Paragraphs end with CR; a vertical tab breaks a line.
	return strings.NewReplacer("\r", "\n", "\v", "\n").Replace(s)
}

// pptPersist maps persist object identifiers to stream offsets, newest
// save first: the chain of user edits starts at the offset the Current
// User stream gives, else at the last UserEditAtom in the stream.
func pptPersist(doc, currentUser []byte) map[uint32]int {
	out := map[uint32]int{}
	edit := pptLastEdit(doc, currentUser)
	for hops := 0; edit > 0 && hops < 1000; hops++ {
		rec, ok := pptRecordAt(doc, edit)
		if !ok || rec.typ != pptUserEdit || rec.end-rec.body < 20 {
			break
		}
		b := doc[rec.body:rec.end]
		last := int(binary.LittleEndian.Uint32(b[8:]))
		dir := int(binary.LittleEndian.Uint32(b[12:]))
		if d, ok := pptRecordAt(doc, dir); ok && d.typ == pptPersistDirectory {
			db := doc[d.body:d.end]
			for i := 0; i+4 <= len(db); {
				h := binary.LittleEndian.Uint32(db[i:])
				start, n := h&0xFFFFF, int(h>>20)
				i += 4
				for k := 0; k < n && i+4 <= len(db); k++ {
					id := start + uint32(k)
					if _, seen := out[id]; !seen {
						out[id] = int(binary.LittleEndian.Uint32(db[i:]))
					}
					i += 4
				}
			}
		}
		if last == edit {
			break
		}
		edit = last
	}
	return out
}

func pptLastEdit(doc, currentUser []byte) int {
	if rec, ok := pptRecordAt(currentUser, 0); ok && rec.typ == pptCurrentUser && rec.end-rec.body >= 12 {
		return int(binary.LittleEndian.Uint32(currentUser[rec.body+8:]))
	}
	last := -1
	for _, rec := range pptRecords(doc, 0, len(doc)) {
		if rec.typ == pptUserEdit {
			last = rec.body - 8
		}
	}
	return last
}

// pptDocPersistID is the persist identifier of the document container,
// from the newest UserEditAtom.
func pptDocPersistID(doc, currentUser []byte) uint32 {
	rec, ok := pptRecordAt(doc, pptLastEdit(doc, currentUser))
	if !ok || rec.typ != pptUserEdit || rec.end-rec.body < 20 {
		return 1
	}
	return binary.LittleEndian.Uint32(doc[rec.body+16:])
}

// pptSlides reads the slide list of the document container at off: each
// slide's text (from its container, else from the list) with its notes
// reference after a NUL, and the notes' text by notes identifier.
func pptSlides(doc []byte, off int, persist map[uint32]int) ([]string, map[uint32]string) {
	container, ok := pptRecordAt(doc, off)
	if !ok || container.typ != pptDocument {
		return nil, nil
	}
	var slides []string
	notes := map[uint32]string{}
	for _, list := range pptRecords(doc, container.body, container.end) {
		if list.typ != pptSlideListText {
			continue
		}
		var cur *strings.Builder
		var texts []*strings.Builder
		var refs []uint32
		var ids []uint32
		for _, rec := range pptRecords(doc, list.body, list.end) {
			switch rec.typ {
			case pptSlidePersistAtom:
				if rec.end-rec.body < 16 {
					continue
				}
				refs = append(refs, binary.LittleEndian.Uint32(doc[rec.body:]))
				ids = append(ids, binary.LittleEndian.Uint32(doc[rec.body+12:]))
				cur = &strings.Builder{}
				texts = append(texts, cur)
			case pptTextChars, pptTextBytes:
				if cur != nil {
					cur.WriteString(pptAtomText(doc[rec.body:rec.end], rec.typ == pptTextChars))
					cur.WriteByte('\n')
				}
			}
		}
		for i, ref := range refs {
			text, notesRef := texts[i].String(), ""
			if c, ok := pptRecordAt(doc, persist[ref]); ok && (c.typ == pptSlide || c.typ == pptNotes) {
				if t := pptText(doc, c); strings.TrimSpace(t) != "" {
					text = t
				}
				notesRef = pptNotesRef(doc, c)
			}
			switch list.instance {
			case 0:
				slides = append(slides, text+"\x00"+notesRef)
			case 2:
				notes[ids[i]] = strings.TrimSpace(text)
			}
		}
	}
	return slides, notes
}

// pptNotesRef is the notes identifier a slide's SlideAtom names, as text.
func pptNotesRef(doc []byte, slide pptRecord) string {
	for _, rec := range pptRecords(doc, slide.body, slide.end) {
		if rec.typ == pptSlideAtom && rec.end-rec.body >= 20 {
			return formatU32(binary.LittleEndian.Uint32(doc[rec.body+16:]))
		}
	}
	return ""
}

func formatU32(v uint32) string {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, v)
	return string(b)
}

func parseU32(s string) uint32 {
	if len(s) != 4 {
		return 0
	}
	return binary.LittleEndian.Uint32([]byte(s))
}
