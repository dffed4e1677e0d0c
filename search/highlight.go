package search

import (
	"html"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Highlights are built for the page's hits only: the places of the
// query's terms in a document come from the term vectors of its folded,
// stemmed and identifier fields, so every form that matched is marked —
// "Thanh Hoa" and "Thanh Hóa", "permit" and "permits", a phone number
// as it is written — and the fragments are cut around the places where
// most of the query's words are close together.

const (
	fragmentBytes = 220 // about two lines of text
	maxFragments  = 3
)

// span is a matched place in the text.
type span struct {
	start, end int
	word       int // which of the query's atoms matched here
}

// hits builds the page's hits: stored fields, score, highlights, and
// the words each document holds and lacks. The hits of a segment are read
// in document order, so that each term's postings are read once.
func (s *snapshotSearch) hits(hs []hit, byDay bool) ([]Hit, error) {
	out := make([]Hit, len(hs))
	bySeg := map[int][]int{}
	for i, h := range hs {
		bySeg[h.seg] = append(bySeg[h.seg], i)
	}
	// segment by segment, as many at a time as the machine has cores
	err := s.eachSegment(func(si int, sg *segmentSearch) error {
		idx := bySeg[si]
		if len(idx) == 0 {
			return nil
		}
		sort.Slice(idx, func(a, b int) bool { return hs[idx[a]].doc < hs[idx[b]].doc })
		texts := make([]string, len(idx))
		var sc *scorer
		if byDay && s.scores() {
			var err error
			if sc, err = s.newScorer(sg); err != nil {
				return err
			}
		}
		for k, i := range idx {
			h := hs[i]
			hit, text, err := storedHit(sg, h)
			if err != nil {
				return err
			}
			if sc != nil {
				hit.Score = sc.score(h.doc, math.Inf(-1))
			}
			hit.Matched, hit.Missing = s.matchedBy(sg, h.doc)
			out[i], texts[k] = hit, text
		}
		spans, err := s.spans(sg, hs, idx, texts)
		if err != nil {
			return err
		}
		for k, i := range idx {
			out[i].Highlights = fragments(texts[k], spans[k])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// storedHit reads a hit's stored fields and text.
func storedHit(sg *segmentSearch, h hit) (Hit, string, error) {
	out := Hit{ID: h.id, Score: h.score, Highlights: []string{}}
	var text string
	err := sg.ss.VisitDocument(uint64(h.doc), func(field string, _ byte, value []byte, _ []uint64) bool {
		switch field {
		case "filename":
			out.Filename = string(value)
		case "path":
			out.Path = string(value)
		case "type":
			out.Type = string(value)
		case "department":
			out.Department = string(value)
		case "day":
			out.Date = string(value)
		case fieldFold:
			text = string(value)
		}
		return true
	})
	return out, text, err
}

// maxHighlightScan is how much of a hit's text is read for its
// highlights; beyond it, the index's term positions are used.
const maxHighlightScan = 256 << 10

// spans finds where the query's words are in each of a segment's hits
// (idx: the hits, in document order): words and stems by reading the
// text, identifiers (kept in their normalized forms too) from the index's
// term positions, and so words beyond maxHighlightScan.
func (s *snapshotSearch) spans(sg *segmentSearch, hs []hit, idx []int, texts []string) ([][]span, error) {
	out := make([][]span, len(idx))
	long := s.scanSpans(sg, texts, out)
	// Positions: identifiers in every hit, words in the long ones.
	all := make([]int, len(idx))
	for k := range all {
		all[k] = k
	}
	for word, a := range s.q.textWords() {
		if err := s.positionSpans(sg, hs, idx, texts, a.word.id, word, all, out); err != nil {
			return nil, err
		}
	}
	if len(long) > 0 {
		for word, a := range s.q.textWords() {
			for i := range a.word.fold {
				if err := s.positionSpans(sg, hs, idx, texts, a.word.fold[i], word, long, out); err != nil {
					return nil, err
				}
				if err := s.positionSpans(sg, hs, idx, texts, a.word.en[i], word, long, out); err != nil {
					return nil, err
				}
			}
		}
	}
	for k, sp := range out {
		sort.Slice(sp, func(i, j int) bool {
			return sp[i].start < sp[j].start || sp[i].start == sp[j].start && sp[i].end > sp[j].end
		})
		// drop spans inside an earlier one (an identifier and its digits)
		kept := sp[:0]
		for _, x := range sp {
			if n := len(kept); n > 0 && x.start < kept[n-1].end {
				continue
			}
			kept = append(kept, x)
		}
		out[k] = kept
	}
	return out, nil
}

// scanSpans adds to out the places of the query's words and stems found
// by reading the first maxHighlightScan bytes of each text, and returns
// the texts that go past them.
func (s *snapshotSearch) scanSpans(sg *segmentSearch, texts []string, out [][]span) (long []int) {
	folds, stems := map[string]int{}, map[string]int{}
	for word, a := range s.q.textWords() {
		for i := range a.word.fold {
			if t := a.word.fold[i]; t >= 0 {
				folds[s.q.terms[t].text] = word
			}
			if t := a.word.en[i]; t >= 0 && sg.lists[t] != nil {
				stems[s.q.terms[t].text] = word // English documents here hold it
			}
		}
	}
	// the first bytes of the words looked for: most words of a text start
	// otherwise and need no look-up
	first := &[256]bool{}
	for w := range folds {
		first[w[0]] = true
	}
	if len(stems) > 0 {
		first = nil // a stem may start otherwise than the word
	}
	for k, text := range texts {
		scanned := text
		if len(scanned) > maxHighlightScan {
			scanned = scanned[:maxHighlightScan]
			long = append(long, k)
		}
		foldScan(scanned, first, func(start, end int, fo []byte) {
			if w, ok := folds[string(fo)]; ok {
				out[k] = append(out[k], span{start: start, end: end, word: w})
			} else if len(stems) > 0 {
				if w, ok := stems[stem(string(fo))]; ok {
					out[k] = append(out[k], span{start: start, end: end, word: w})
				}
			}
		})
	}
	return long
}

// positionSpans adds to out the places of term t (query word w) in the
// hits which (indexes of idx and texts), from the index's positions:
// all of them for an identifier, those past what was read otherwise.
func (s *snapshotSearch) positionSpans(sg *segmentSearch, hs []hit, idx []int, texts []string, t, w int, which []int, out [][]span) error {
	if t < 0 || sg.lists[t] == nil {
		return nil
	}
	pi := sg.lists[t].Iterator(true, true, true, nil)
	at, started := uint64(0), false
	for _, k := range which {
		doc := uint64(hs[idx[k]].doc)
		if !sg.bms[t].Contains(uint32(doc)) || started && at > doc {
			continue
		}
		p, err := pi.Advance(doc)
		if err != nil || p == nil {
			return err
		}
		at, started = p.Number(), true
		if at != doc {
			continue
		}
		for _, l := range p.Locations() {
			if st, en := int(l.Start()), int(l.End()); en > st && en <= len(texts[k]) && (len(texts[k]) <= maxHighlightScan || st >= maxHighlightScan || s.q.terms[t].field == lenIDs) {
				out[k] = append(out[k], span{start: st, end: en, word: w})
			}
		}
	}
	return nil
}

// fragments cuts up to maxFragments pieces of text around the spans,
// those with the most different words first, and marks the spans. With
// no spans, the text's beginning is the fragment.
func fragments(text string, spans []span) []string {
	if len(spans) == 0 {
		if strings.TrimSpace(text) == "" {
			return []string{}
		}
		return []string{fragment(text, 0, min(len(text), fragmentBytes), nil)}
	}
	used := make([]bool, len(spans))
	type window struct{ from, to int }
	var picked []window
	for len(picked) < maxFragments {
		first, last := bestWindow(spans, used, fragmentBytes*3/4)
		if first < 0 {
			break
		}
		for k := first; k <= last; k++ {
			used[k] = true
		}
		// centre the window on its spans
		mid := (spans[first].start + spans[last].end) / 2
		from := max(0, mid-fragmentBytes/2)
		to := min(len(text), from+fragmentBytes)
		from = max(0, min(from, to-fragmentBytes))
		picked = append(picked, window{min(from, spans[first].start), max(to, spans[last].end)})
	}
	sort.Slice(picked, func(i, j int) bool { return picked[i].from < picked[j].from })
	out := []string{}
	prevTo := -1
	for _, w := range picked {
		w.from = max(w.from, prevTo)
		var marks []span
		for _, sp := range spans {
			if sp.start >= w.from && sp.end <= w.to {
				marks = append(marks, sp)
			}
		}
		if len(marks) == 0 {
			continue
		}
		out = append(out, fragment(text, w.from, w.to, marks))
		prevTo = w.to
	}
	return out
}

// bestWindow slides a window of reach bytes over the spans not yet used
// and returns the first and last span of the one with the most different
// words, then the most spans (a span longer than reach alone); -1 when
// every span is used.
func bestWindow(spans []span, used []bool, reach int) (int, int) {
	best, bestLast, bestWords, bestSpans := -1, -1, 0, 0
	words := map[int]int{}
	n, j := 0, 0
	for i := range spans {
		if j < i {
			j = i
		}
		for ; j < len(spans) && spans[j].end-spans[i].start <= reach; j++ {
			if !used[j] {
				words[spans[j].word]++
				n++
			}
		}
		if !used[i] && (len(words) > bestWords || len(words) == bestWords && n > bestSpans) {
			best, bestLast, bestWords, bestSpans = i, j-1, len(words), n
		}
		if i < j && !used[i] {
			if words[spans[i].word]--; words[spans[i].word] == 0 {
				delete(words, spans[i].word)
			}
			n--
		}
	}
	return best, max(bestLast, best)
}

// fragment renders text[from:to] as HTML, widened to whole words, with
// the spans marked and an ellipsis where the text goes on.
func fragment(text string, from, to int, marks []span) string {
	for from > 0 && !utf8.RuneStart(text[from]) {
		from--
	}
	for to < len(text) && !utf8.RuneStart(text[to]) {
		to++
	}
	// move the ends out of the middle of a word, to a space nearby
	if from > 0 {
		if k := strings.IndexFunc(text[from:min(len(text), from+24)], unicode.IsSpace); k >= 0 && (len(marks) == 0 || from+k <= marks[0].start) {
			from += k + 1
		}
	}
	if to < len(text) {
		if k := strings.LastIndexFunc(text[max(0, to-24):to], unicode.IsSpace); k >= 0 && (len(marks) == 0 || max(0, to-24)+k >= marks[len(marks)-1].end) {
			to = max(0, to-24) + k
		}
	}
	var sb strings.Builder
	if from > 0 {
		sb.WriteString("… ")
	}
	at := from
	for _, m := range marks {
		if m.start < at {
			continue
		}
		sb.WriteString(plain(text[at:m.start]))
		sb.WriteString("<mark>")
		sb.WriteString(plain(text[m.start:m.end]))
		sb.WriteString("</mark>")
		at = m.end
	}
	sb.WriteString(plain(text[at:to]))
	if to < len(text) {
		sb.WriteString(" …")
	}
	return strings.TrimSpace(sb.String())
}

// plain escapes text for HTML and turns line and page breaks into spaces.
func plain(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\f' || r == '\t' {
			return ' '
		}
		return r
	}, s)
	for strings.Contains(s, "  ") {
		s = strings.ReplaceAll(s, "  ", " ")
	}
	return html.EscapeString(s)
}
