package search

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"hoso/pipeline"
)

// SearchTimeout bounds every search; one that takes longer ends with an
// error instead of holding the server.
const SearchTimeout = 10 * time.Second

// Request is a search.
type Request struct {
	// Query: words (ranked: enough of them must match, see MinMatch),
	// "phrases", +required, -excluded, OR, AND, field:value (type,
	// department, tag, flag, batch, year, month, mime, language), and
	// date:2024-01-01..2024-06-30. Words match with or without
	// diacritics, the exact form ranking first; identifiers and reference
	// numbers match whole.
	Query      string
	Type       string
	Department string
	Tag        string
	Batch      string
	From, To   time.Time // the document's date
	Sort       string    // "" or "relevance", "date" (newest first), "date-asc"
	Match      string    // "" (enough words) or "all" (every word)
	After      string    // the Next cursor of the previous page
	Size       int       // default 20, at most 100
	Facets     bool      // count hits per type, department, tag, batch, year, month, language and flag
	// Scope limits hits to the departments a reader may see; it is part
	// of the query, so counts, facets and highlights never see past it.
	// The zero Scope finds nothing.
	Scope pipeline.Scope
}

// Response is a page of hits.
type Response struct {
	Total  uint64                 `json:"total"`
	Hits   []Hit                  `json:"hits"`
	Facets map[string][]FacetTerm `json:"facets,omitempty"`
	Next   string                 `json:"next,omitempty"`
	TookMS float64                `json:"took_ms"`
	// Words are the query's words and what became of them.
	Words []QueryWord `json:"words"`
	// MinMatch is how many of the optional words each hit holds at least;
	// Relaxed says it was lowered because too few documents held more.
	MinMatch int  `json:"min_match"`
	Relaxed  bool `json:"relaxed"`
	// Suggestions say what to try when nothing was found.
	Suggestions []Suggestion `json:"suggestions,omitempty"`
}

// QueryWord is a word or phrase of the query.
type QueryWord struct {
	Text     string `json:"text"`
	Stop     bool   `json:"stop,omitempty"`     // a stop word: neither required nor counted
	Required bool   `json:"required,omitempty"` // +word, "phrase", AND
	Excluded bool   `json:"excluded,omitempty"` // -word
	Found    bool   `json:"found"`              // some document holds it
}

// Hit is one document found.
type Hit struct {
	ID         int64    `json:"id"`
	Filename   string   `json:"filename"`
	Path       string   `json:"path"`
	Score      float64  `json:"score"`
	Type       string   `json:"type"`
	Department string   `json:"department"`
	Date       string   `json:"date"`
	Highlights []string `json:"highlights"`
	Matched    []string `json:"matched"` // the query's words the document holds
	Missing    []string `json:"missing"` // those it lacks
}

// FacetTerm is a facet value and how many hits carry it.
type FacetTerm struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}

// Suggestion is something to try when a search finds nothing: a word
// spelt as the index has it ("spelling", Word → Instead), a filter to
// drop ("filter", Word names it), or words no document holds together
// ("fewer_words", Word lists them).
type Suggestion struct {
	Kind    string `json:"kind"`
	Word    string `json:"word"`
	Instead string `json:"instead,omitempty"`
	Total   uint64 `json:"total"` // documents found with the change
}

var facetFields = []string{"type", "department", "tags", "batch", "year", "month", "language", "flags"}

// minMatchFor is how many of n optional words a document must hold: all
// of one or two, half of up to eight, then a third, at most five. Fewer
// when fewer than minHits documents hold that many.
func minMatchFor(n int) int {
	switch {
	case n <= 2:
		return n
	case n <= 8:
		return int(math.Ceil(float64(n) / 2))
	}
	return min(5, int(math.Ceil(float64(n)/3)))
}

// Search runs a request: the query parsed and checked, the documents that
// match counted (and faceted) from bitmaps, the page ranked, and its hits
// read with their highlights.
func (ix *Index) Search(ctx context.Context, r Request) (*Response, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, SearchTimeout)
	defer cancel()
	p, err := parseQuery(r.Query)
	if err != nil {
		return nil, err
	}
	o, err := pageOptionsOf(r)
	if err != nil {
		return nil, err
	}
	// The read lock holds off a reindex's swap until this search is done.
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s, done, err := ix.openSnapshot(ctx, newQuery(p, r.Match == "all"))
	if err != nil {
		return nil, err
	}
	defer done()
	s.plan(r)
	f := filtersOf(r)
	for _, sg := range s.segs {
		sg.prepare(s.q, f)
	}
	total, err := s.matchAll()
	if err != nil {
		return nil, err
	}
	res := &Response{Total: total, Hits: []Hit{}, Words: s.words(), MinMatch: s.q.minMatch, Relaxed: s.q.relaxed}
	if r.Facets {
		res.Facets = s.facets()
	}
	if !s.scores() {
		o.byDay = true // nothing to rank by: newest first
	}
	hits, err := s.rank(o)
	if err != nil {
		return nil, searchError(err)
	}
	if len(hits) > o.size {
		hits = hits[:o.size]
		res.Next = encodeCursor(hits[o.size-1], o.byDay)
	}
	if res.Hits, err = s.hits(hits, o.byDay); err != nil {
		return nil, err
	}
	if total == 0 {
		res.Suggestions = s.suggest(f)
	}
	res.TookMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// pageOptions are how a request wants its page: sorted by relevance or
// by day, how many hits, after which.
type pageOptions struct {
	byDay, oldest bool
	size          int
	after         *cursor
}

// pageOptionsOf checks a request's sort, match, size and cursor.
func pageOptionsOf(r Request) (pageOptions, error) {
	var o pageOptions
	switch r.Sort {
	case "", "relevance":
	case "date", "date-desc":
		o.byDay = true
	case "date-asc":
		o.byDay, o.oldest = true, true
	default:
		return o, pipeline.Errorf(pipeline.EINVALID, "Sort by relevance, date or date-asc, not %q.", r.Sort)
	}
	if r.Match != "" && r.Match != "all" && r.Match != "any" {
		return o, pipeline.Errorf(pipeline.EINVALID, "match is all or left out, not %q.", r.Match)
	}
	o.size = r.Size
	if o.size <= 0 {
		o.size = 20
	}
	o.size = min(o.size, 100)
	if r.After != "" {
		var err error
		if o.after, err = decodeCursor(r.After, o.byDay, o.oldest); err != nil {
			return o, err
		}
	}
	return o, nil
}

// openSnapshot opens a search of the query over the index as it is now;
// done releases it. The caller holds ix.mu for reading.
func (ix *Index) openSnapshot(ctx context.Context, q *query) (*snapshotSearch, func(), error) {
	if ix.closed {
		return nil, nil, pipeline.Errorf(pipeline.EUNSUPPORTED, "The search index is closed.")
	}
	ai, err := ix.idx.Advanced()
	if err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	reader, err := ai.Reader()
	if err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	snap, ok := reader.(*scorch.IndexSnapshot)
	if !ok || snap == nil {
		reader.Close()
		return nil, nil, fmt.Errorf("search: the index is not a scorch index")
	}
	st, err := readStats(snap.GetInternal)
	if err != nil {
		reader.Close()
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	s := &snapshotSearch{ctx: ctx, ix: ix, snap: snap, stats: st, q: q}
	done := func() {
		ix.segments.prune(snap.Segments())
		reader.Close()
	}
	if err := s.open(); err != nil {
		done()
		return nil, nil, err
	}
	return s, done, nil
}

// filtersOf gathers a request's filters apart from the query text.
func filtersOf(r Request) filters {
	f := filters{scope: r.Scope, keyword: map[string]string{}}
	for field, v := range map[string]string{"type": r.Type, "department": r.Department, "tags": r.Tag, "batch": r.Batch} {
		if v != "" {
			f.keyword[field] = v
		}
	}
	if !r.From.IsZero() || !r.To.IsZero() {
		f.hasDates = true
		if !r.From.IsZero() {
			f.from = r.From.Format("2006-01-02")
		}
		if !r.To.IsZero() {
			f.to = r.To.Format("2006-01-02")
		}
	}
	return f
}

// rank returns the best size+1 hits after the cursor, best first: by
// score, with the query's word pairs weighed (proximity.go), or by day.
func (s *snapshotSearch) rank(o pageOptions) ([]hit, error) {
	if !o.byDay {
		if err := s.pairIDF(); err != nil {
			return nil, err
		}
	}
	rk := &ranking{k: o.size + 1, byDay: o.byDay, oldest: o.oldest}
	if o.byDay {
		for i := range s.segs {
			if err := s.rankSegmentByDay(i, rk, o.after); err != nil {
				return nil, err
			}
		}
		return rk.sorted(), nil
	}
	// segments side by side, each into a ranking of its own, then merged
	shared := &sharedFloor{}
	parts := make([]*ranking, len(s.segs))
	err := s.eachSegment(func(i int, _ *segmentSearch) error {
		parts[i] = &ranking{k: rk.k}
		return s.rankSegment(i, parts[i], o.after, shared)
	})
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		for _, h := range p.hits {
			rk.offer(h)
		}
	}
	return rk.sorted(), nil
}

func searchError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return pipeline.Errorf(pipeline.ETIMEOUT, "The search took too long; add words or filters to narrow it down.")
	}
	return err
}

// plan decides which clauses count towards the match and in what order
// ranking takes them.
func (s *snapshotSearch) plan(r Request) {
	q := s.q
	q.optional = nil
	for i := range q.clauses {
		c := &q.clauses[i]
		if c.excluded || c.required {
			continue
		}
		if len(c.atoms) == 1 && c.atoms[0].stop {
			c.ub = 0
			continue
		}
		if q.matchAll {
			c.required = true
			continue
		}
		q.optional = append(q.optional, i)
	}
	sort.SliceStable(q.optional, func(a, b int) bool { return q.clauses[q.optional[a]].ub > q.clauses[q.optional[b]].ub })
	q.minMatch = minMatchFor(len(q.optional))
}

// matchAll finds the matches in every segment. A document must hold
// minMatch of the optional words, fewer when fewer than minHits documents
// hold that many: at least one, or none when a word or phrase of the
// query is required (+word, "phrase", AND), which then carries the match.
func (s *snapshotSearch) matchAll() (uint64, error) {
	q := s.q
	floor := 1
	for _, c := range q.clauses {
		for _, a := range c.atoms {
			if c.required && !c.excluded && (a.kind == atomWord || a.kind == atomPhrase) {
				floor = 0
			}
		}
	}
	err := s.eachSegment(func(_ int, sg *segmentSearch) error {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		sg.base(q)
		return nil
	})
	if err != nil {
		return 0, searchError(err)
	}
	for {
		// the most words that minHits documents hold, before phrases are checked
		for q.minMatch > max(floor, 1) {
			var n uint64
			for _, sg := range s.segs {
				if q.minMatch <= len(sg.levels) {
					n += sg.baseBM.AndCardinality(sg.levels[q.minMatch-1])
				}
			}
			if n >= minHits {
				break
			}
			q.minMatch--
			q.relaxed = true
		}
		err = s.eachSegment(func(_ int, sg *segmentSearch) error {
			sg.matches = sg.match(q.minMatch)
			return s.verify(sg)
		})
		if err != nil {
			return 0, searchError(err)
		}
		var total uint64
		for _, sg := range s.segs {
			total += sg.matches.GetCardinality()
		}
		if total >= minHits || q.minMatch <= floor {
			return total, nil
		}
		q.minMatch--
		q.relaxed = true
	}
}

// scores reports whether the query has anything to rank by.
func (s *snapshotSearch) scores() bool {
	for _, c := range s.q.clauses {
		if c.excluded {
			continue
		}
		for _, a := range c.atoms {
			if (a.kind == atomWord || a.kind == atomPhrase) && !a.stop {
				return true
			}
		}
	}
	return false
}

// words lists the query's words and phrases.
func (s *snapshotSearch) words() []QueryWord {
	out := []QueryWord{}
	for i, c := range s.q.clauses {
		for j, a := range c.atoms {
			if a.kind != atomWord && a.kind != atomPhrase {
				continue
			}
			out = append(out, QueryWord{Text: a.text, Stop: a.stop, Required: c.required, Excluded: c.excluded, Found: s.holds(i, j)})
		}
	}
	return out
}

// facets counts the matches per value of each facet field, the twenty
// most frequent values of each.
func (s *snapshotSearch) facets() map[string][]FacetTerm {
	out := map[string][]FacetTerm{}
	for _, field := range facetFields {
		counts := map[string]int{}
		for _, sg := range s.segs {
			if sg.matches.IsEmpty() {
				continue
			}
			for _, kt := range sg.data.keywords[field] {
				if n := sg.matches.AndCardinality(kt.docs); n > 0 {
					counts[kt.term] += int(n)
				}
			}
		}
		terms := []FacetTerm{}
		for t, n := range counts {
			terms = append(terms, FacetTerm{Term: t, Count: n})
		}
		sort.Slice(terms, func(i, j int) bool {
			if terms[i].Count != terms[j].Count {
				return terms[i].Count > terms[j].Count
			}
			return terms[i].Term < terms[j].Term
		})
		out[field] = terms[:min(len(terms), 20)]
	}
	return out
}

// cursor is where the previous page ended.
type cursor struct {
	last   hit
	byDay  bool
	oldest bool
}

// allows reports whether a hit comes after the cursor.
func (c *cursor) allows(h hit) bool {
	r := ranking{byDay: c.byDay, oldest: c.oldest}
	return r.before(c.last, h)
}

func encodeCursor(h hit, byDay bool) string {
	v := []string{strconv.FormatFloat(h.score, 'g', -1, 64), strconv.FormatInt(h.id, 10)}
	if byDay {
		v[0] = h.day
	}
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, byDay, oldest bool) (*cursor, error) {
	bad := pipeline.Errorf(pipeline.EINVALID, "The paging cursor is not valid; start again from the first page.")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var v []string
	if json.Unmarshal(b, &v) != nil || len(v) != 2 {
		return nil, bad
	}
	c := &cursor{byDay: byDay, oldest: oldest}
	if c.last.id, err = strconv.ParseInt(v[1], 10, 64); err != nil {
		return nil, bad
	}
	if byDay {
		if _, err := time.Parse("2006-01-02", v[0]); err != nil {
			return nil, bad
		}
		c.last.day = v[0]
	} else if c.last.score, err = strconv.ParseFloat(v[0], 64); err != nil {
		return nil, bad
	}
	return c, nil
}

// matchedBy reports which of the query's words a document holds.
func (s *snapshotSearch) matchedBy(sg *segmentSearch, doc uint32) (matched, missing []string) {
	matched, missing = []string{}, []string{}
	for i, c := range s.q.clauses {
		if c.excluded {
			continue
		}
		for j, a := range c.atoms {
			if a.kind != atomWord && a.kind != atomPhrase || a.stop {
				continue
			}
			if bm := sg.atomBM[i][j]; bm != nil && bm.Contains(doc) {
				matched = append(matched, a.text)
			} else if len(c.atoms) == 1 {
				missing = append(missing, a.text)
			}
		}
	}
	return matched, missing
}

// suggest says what to try when nothing was found: a spelling the index
// knows, for words no document holds; the request without a filter; and
// which words no document holds together.
func (s *snapshotSearch) suggest(f filters) []Suggestion {
	out := []Suggestion{}
	for i, c := range s.q.clauses {
		for j, a := range c.atoms {
			if a.kind != atomWord || a.stop || len(a.words) != 1 || c.excluded {
				continue
			}
			if s.holds(i, j) {
				continue
			}
			if alt, n := s.spelling(a.words[0].fold); alt != "" {
				out = append(out, Suggestion{Kind: "spelling", Word: a.text, Instead: alt, Total: n})
			}
		}
	}
	if !f.scope.All || len(f.keyword) > 0 || f.hasDates {
		// Without the request's filters (the scope stays).
		bare := filters{scope: f.scope}
		var total uint64
		for _, sg := range s.segs {
			sg.prepare(s.q, bare)
			sg.base(s.q)
			total += sg.match(s.q.minMatch).GetCardinality()
		}
		if total > 0 {
			for field := range f.keyword {
				out = append(out, Suggestion{Kind: "filter", Word: field, Total: total})
			}
			if f.hasDates {
				out = append(out, Suggestion{Kind: "filter", Word: "date", Total: total})
			}
		}
	}
	var apart []string
	for _, c := range s.q.clauses {
		if c.required && !c.excluded && len(c.atoms) == 1 && (c.atoms[0].kind == atomWord || c.atoms[0].kind == atomPhrase) {
			apart = append(apart, c.atoms[0].text)
		}
	}
	if len(apart) > 1 {
		out = append(out, Suggestion{Kind: "fewer_words", Word: strings.Join(apart, ", ")})
	}
	return out
}

// spelling finds the indexed word closest to a folded word (one or two
// edits away), the most frequent first.
func (s *snapshotSearch) spelling(w string) (string, uint64) {
	if len([]rune(w)) < 3 {
		return "", 0
	}
	fuzzy := 1
	if len([]rune(w)) > 5 {
		fuzzy = 2
	}
	dict, err := s.snap.FieldDictFuzzy(fieldFold, w, fuzzy, "")
	if err != nil {
		return "", 0
	}
	defer dict.Close()
	best, bestN, bestD := "", uint64(0), uint8(255)
	for e, err := dict.Next(); err == nil && e != nil; e, err = dict.Next() {
		if e.Term == w {
			continue
		}
		if e.EditDistance < bestD || e.EditDistance == bestD && e.Count > bestN {
			best, bestN, bestD = e.Term, e.Count, e.EditDistance
		}
	}
	return best, bestN
}

var _ = roaring.New
