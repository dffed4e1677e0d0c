package search

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"

	"hoso/pipeline"
)

// source is what the index is built from for one document.
type source struct {
	doc    *pipeline.Document
	pages  []pipeline.Page
	idents []pipeline.Identifier
	flags  []string
}

// pageSeparator stands between two pages in a document's indexed text.
const pageSeparator = "\n\f\n"

// docText joins a document's pages, separated by a form feed on a line of
// its own; pageStarts holds each page's first byte.
func docText(pages []pipeline.Page) (text string, pageStarts []int) {
	var sb strings.Builder
	for i, p := range pages {
		if i > 0 {
			sb.WriteString(pageSeparator)
		}
		pageStarts = append(pageStarts, sb.Len())
		sb.WriteString(p.Text)
	}
	return sb.String(), pageStarts
}

// IndexedInFull reports that the index reads the whole text of these
// pages word by word, none of it beyond MaxIndexedText.
func IndexedInFull(pages []pipeline.Page) bool {
	n := 0
	for i, p := range pages {
		if i > 0 {
			n += len(pageSeparator)
		}
		n += len(p.Text)
	}
	return n <= MaxIndexedText
}

// docDate is the document's date: the date classification captured, else
// the upload date.
func docDate(d *pipeline.Document) time.Time {
	if c := d.Classification; c != nil {
		for _, f := range c.Fields {
			if f.Type == "date" && f.Value != "" {
				if t, err := time.Parse("2006-01-02", f.Value); err == nil {
					return t
				}
			}
		}
	}
	return d.CreatedAt.UTC()
}

// lengths are a document's number of terms per text field, kept in the
// document (field "lens") so that the index's totals can be corrected
// when the document changes or leaves.
type lengths [4]int64 // text_fold, text_aux, text_en, ids

func (l lengths) String() string {
	return fmt.Sprintf("%d %d %d %d", l[0], l[1], l[2], l[3])
}

func parseLengths(s string) (lengths, bool) {
	var l lengths
	f := strings.Fields(s)
	if len(f) != len(l) {
		return l, false
	}
	for i, v := range f {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return l, false
		}
		l[i] = n
	}
	return l, true
}

// stats are the index's totals that BM25 needs: how many documents, how
// many of them have English words, and how many terms each text field
// holds in all.
// They are kept in the index (key hoso_stats), written in the same batch
// as the documents they count.
type stats struct {
	Docs    int64    `json:"docs"`
	English int64    `json:"english"`
	Terms   [4]int64 `json:"terms"` // as lengths
}

var statsKey = []byte("hoso_stats")

func readStats(get func([]byte) ([]byte, error)) (stats, error) {
	var s stats
	b, err := get(statsKey)
	if err != nil || len(b) == 0 {
		return s, err
	}
	return s, json.Unmarshal(b, &s)
}

func (s *stats) add(l lengths, english bool, sign int64) {
	s.Docs += sign
	if english {
		s.English += sign
	}
	for i := range l {
		s.Terms[i] += sign * l[i]
	}
}

// avgLength is the mean length of a field in the documents that have it.
func (s stats) avgLength(field int) float64 {
	n := s.Docs
	if field == 2 {
		n = s.English
	}
	if n <= 0 || s.Terms[field] <= 0 {
		return 1
	}
	return float64(s.Terms[field]) / float64(n)
}

// analyzedField is a text field hoso has analyzed before handing the
// document to Bleve: its terms are counted here, on every core while the
// previous batch is written, and Bleve's writer, which would analyze it
// again and walk every term to measure it, finds the work done.
type analyzedField struct {
	*document.TextField
	length int
	freqs  index.TokenFrequencies
	size   int
}

func newAnalyzedField(name string, ts analysis.TokenStream, value string, opts index.FieldIndexingOptions) *analyzedField {
	return &analyzedField{
		TextField: document.NewTextFieldCustom(name, nil, []byte(value), opts, nil),
		length:    len(ts),
		freqs:     analysis.TokenFrequency(ts, nil, opts),
		// what Bleve counts as the memory the field holds, estimated: the
		// text, and each term's place
		size: 128 + len(value) + 64*len(ts),
	}
}

func (f *analyzedField) Analyze()                                         {}
func (f *analyzedField) AnalyzedLength() int                              { return f.length }
func (f *analyzedField) AnalyzedTokenFrequencies() index.TokenFrequencies { return f.freqs }
func (f *analyzedField) Size() int                                        { return f.size }

const (
	optIndexed = index.IndexField
	optStored  = index.StoreField
	optVectors = index.IncludeTermVectors
)

// addFileName adds the words of a file's name ("91_2015_QH13_art156.txt":
// 91, 2015, qh13, art156; the extension left out) to the word fields,
// after the text and apart from it, so that an officer who types a file
// name or a part of it finds the file, and a phrase never runs from the
// text into the name. They point at no place in the text (offsets 0).
func (f *fields) addFileName(name string, english bool) {
	if ext := path.Ext(name); len(ext) > 1 && len(ext) <= 5 {
		name = strings.TrimSuffix(name, ext)
	}
	last := 0
	if n := len(f.fold); n > 0 {
		last = f.fold[n-1].Position
	}
	w := analyze(name, english)
	for _, ts := range []struct{ from, to *analysis.TokenStream }{{&w.fold, &f.fold}, {&w.aux, &f.aux}, {&w.en, &f.en}} {
		for _, t := range *ts.from {
			t.Start, t.End, t.Position = 0, 0, last+nameGap+t.Position
			*ts.to = append(*ts.to, t)
		}
	}
}

// nameGap is the distance in positions between a document's last word and
// its file name's first.
const nameGap = 100

// bleveDocument builds what the index keeps of a document, and its
// lengths.
func bleveDocument(src source) (doc *document.Document, l lengths) {
	d := src.doc
	text, pageStarts := docText(src.pages)
	english := d.Language == "en"
	f := analyze(text, english)
	f.ids = append(f.ids, identifierTokens(text, pageStarts, src.pages, src.idents, len(f.ids))...)
	if name := idTokens(d.Filename); len(name) > 0 {
		for _, t := range name {
			t.Start, t.End, t.Position = 0, 0, len(f.ids)+1
			f.ids = append(f.ids, t)
		}
	}
	f.addFileName(d.Filename, english)
	l = lengths{int64(len(f.fold)), int64(len(f.aux)), int64(len(f.en)), int64(len(f.ids))}

	doc = document.NewDocument(docKey(d.ID))
	addText := func(name string, ts analysis.TokenStream, value string, opts index.FieldIndexingOptions) {
		if len(ts) > 0 || opts&optStored != 0 {
			doc.AddField(newAnalyzedField(name, ts, value, opts))
		}
	}
	addText(fieldFold, f.fold, text, optIndexed|optStored|optVectors)
	addText(fieldAux, f.aux, "", optIndexed)
	addText(fieldEnglish, f.en, "", optIndexed|optVectors)
	addText(fieldIDs, f.ids, "", optIndexed|optVectors)

	date := docDate(d)
	dept := d.Department
	if dept == "" {
		dept = pipeline.DepartmentIntake
	}
	keyword := func(name, value string, stored bool) {
		opts := optIndexed
		if stored {
			opts |= optStored
		}
		doc.AddField(document.NewTextFieldCustom(name, nil, []byte(value), opts, nil))
	}
	for name, v := range map[string]string{"filename": d.Filename, "path": d.Path, "type": d.Type, "department": dept,
		"batch": d.BatchName, "day": date.Format("2006-01-02")} {
		keyword(name, v, true)
	}
	for name, v := range map[string]string{"state": string(pipeline.StateIndexed), "mime": d.MIME, "language": d.Language,
		"year": date.Format("2006"), "month": date.Format("2006-01")} {
		keyword(name, v, false)
	}
	for _, t := range d.Tags {
		keyword("tags", t, false)
	}
	for _, fl := range src.flags {
		keyword("flags", fl, false)
	}
	doc.AddField(document.NewTextFieldCustom("lens", nil, []byte(l.String()), optStored, nil))
	return doc, l
}

// identifierTokens makes the normalized identifiers searchable too: a
// phone written "0912.345.678" is found as 0912345678 and +84912345678.
// Each token points at the identifier's place in the text, for
// highlights.
func identifierTokens(text string, pageStarts []int, pages []pipeline.Page, idents []pipeline.Identifier, pos int) analysis.TokenStream {
	var out analysis.TokenStream
	for _, id := range idents {
		start, end := identifierSpan(text, pageStarts, pages, id)
		values := []string{id.Value}
		if id.Kind == "phone" && strings.HasPrefix(id.Value, "+84") {
			values = append(values, "0"+id.Value[3:], id.Value[1:])
		}
		for _, v := range values {
			pos++
			out = append(out, &analysis.Token{Start: start, End: end, Term: []byte(lowerNFC(v)), Position: pos})
		}
	}
	return out
}

// identifierSpan finds an identifier's bytes in the text: at the page and
// character offset detection recorded, else its first occurrence.
func identifierSpan(text string, pageStarts []int, pages []pipeline.Page, id pipeline.Identifier) (int, int) {
	if id.Raw == "" {
		return 0, 0
	}
	for i, p := range pages {
		if p.Number != id.Page {
			continue
		}
		b, n := 0, 0
		for b < len(p.Text) && n < id.Offset {
			_, size := utf8.DecodeRuneInString(p.Text[b:])
			b += size
			n++
		}
		if start := pageStarts[i] + b; strings.HasPrefix(text[start:], id.Raw) {
			return start, start + len(id.Raw)
		}
	}
	if k := strings.Index(text, id.Raw); k >= 0 {
		return k, k + len(id.Raw)
	}
	return 0, 0
}

func docKey(id int64) string { return strconv.FormatInt(id, 10) }
