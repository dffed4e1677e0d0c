package search

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"golang.org/x/text/unicode/norm"

	"hoso/pipeline"
)

// Request is a search.
type Request struct {
	// Query: words, "phrases", -exclusions, field:value (type, department,
	// tag, batch, year, month, mime, language), date:2024-01-01..2024-06-30,
	// OR between two clauses; AND is the default. Words match with or without diacritics; the exact form
	// ranks first. Identifiers and reference numbers match whole.
	Query      string
	Type       string
	Department string
	Tag        string
	Batch      string
	From, To   time.Time // the document's date
	Sort       string    // "" or "relevance", "date" (newest first), "date-asc"
	After      string    // the Next cursor of the previous page
	Size       int       // default 20, at most 100
	Facets     bool      // count hits per type, department, tag, batch and year
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
}

// FacetTerm is a facet value and how many hits carry it.
type FacetTerm struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}

var facetFields = []string{"type", "department", "tags", "batch", "year", "month", "language", "flags"}

var keywordFields = map[string]string{"type": "type", "department": "department", "tag": "tags", "tags": "tags", "flag": "flags", "flags": "flags",
	"batch": "batch", "year": "year", "month": "month", "mime": "mime", "state": "state", "language": "language", "lang": "language",
	"date": "date"}

// Search runs a request.
func (ix *Index) Search(ctx context.Context, r Request) (*Response, error) {
	q, err := parseQuery(r.Query)
	if err != nil {
		return nil, err
	}
	filters := []query.Query{}
	if !r.Scope.All {
		dq := bleve.NewDisjunctionQuery()
		dq.AddQuery(bleve.NewMatchNoneQuery())
		for _, d := range r.Scope.Departments {
			t := bleve.NewTermQuery(d)
			t.SetField("department")
			dq.AddQuery(t)
		}
		filters = append(filters, dq)
	}
	for field, v := range map[string]string{"type": r.Type, "department": r.Department, "tags": r.Tag, "batch": r.Batch} {
		if v != "" {
			t := bleve.NewTermQuery(v)
			t.SetField(field)
			filters = append(filters, t)
		}
	}
	if !r.From.IsZero() || !r.To.IsZero() {
		incl := true
		dq := bleve.NewDateRangeInclusiveQuery(r.From, r.To, &incl, &incl)
		dq.SetField("date")
		filters = append(filters, dq)
	}
	if len(filters) > 0 {
		bq := bleve.NewBooleanQuery()
		bq.AddMust(append([]query.Query{q}, filters...)...)
		q = bq
	}
	size := r.Size
	if size <= 0 {
		size = 20
	}
	size = min(size, 100)
	req := bleve.NewSearchRequestOptions(q, size, 0, false)
	req.Fields = []string{"filename", "path", "type", "department", "date"}
	req.Highlight = bleve.NewHighlightWithStyle("html")
	req.Highlight.AddField(fieldFold)
	if r.Facets {
		for _, f := range facetFields {
			req.AddFacet(f, bleve.NewFacetRequest(f, 20))
		}
	}
	switch r.Sort {
	case "", "relevance":
		req.SortByCustom(bsearch.SortOrder{&bsearch.SortScore{Desc: true}, &bsearch.SortDocID{}})
	case "date", "date-desc":
		req.SortByCustom(bsearch.SortOrder{&bsearch.SortField{Field: "date", Type: bsearch.SortFieldAsDate, Desc: true}, &bsearch.SortDocID{}})
	case "date-asc":
		req.SortByCustom(bsearch.SortOrder{&bsearch.SortField{Field: "date", Type: bsearch.SortFieldAsDate}, &bsearch.SortDocID{}})
	default:
		return nil, pipeline.Errorf(pipeline.EINVALID, "Sort by relevance, date or date-asc, not %q.", r.Sort)
	}
	if r.After != "" {
		after, err := decodeCursor(r.After)
		if err != nil || len(after) != 2 {
			return nil, pipeline.Errorf(pipeline.EINVALID, "The paging cursor is not valid; start again from the first page.")
		}
		req.SetSearchAfter(after)
	}
	// The read lock holds off a reindex's swap until this search is done.
	ix.mu.RLock()
	res, err := ix.idx.SearchInContext(ctx, req)
	ix.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := &Response{Total: res.Total, Hits: []Hit{}, TookMS: float64(res.Took.Microseconds()) / 1000}
	if r.Facets {
		out.Facets = map[string][]FacetTerm{}
	}
	for _, h := range res.Hits {
		id, _ := strconv.ParseInt(h.ID, 10, 64)
		hit := Hit{ID: id, Score: h.Score, Highlights: h.Fragments[fieldFold]}
		hit.Filename, _ = h.Fields["filename"].(string)
		hit.Path, _ = h.Fields["path"].(string)
		hit.Type, _ = h.Fields["type"].(string)
		hit.Department, _ = h.Fields["department"].(string)
		if d, ok := h.Fields["date"].(string); ok && len(d) >= 10 {
			hit.Date = d[:10]
		}
		if hit.Highlights == nil {
			hit.Highlights = []string{}
		}
		out.Hits = append(out.Hits, hit)
	}
	if n := len(res.Hits); n == size {
		last := res.Hits[n-1]
		cur := append([]string(nil), last.DecodedSort...)
		if len(cur) == 0 {
			cur = append([]string(nil), last.Sort...)
		}
		for i, v := range cur {
			if v == "_score" {
				cur[i] = strconv.FormatFloat(last.Score, 'g', -1, 64)
			}
		}
		out.Next = encodeCursor(cur)
	}
	for name, f := range res.Facets {
		terms := []FacetTerm{}
		if f.Terms != nil {
			for _, t := range f.Terms.Terms() {
				terms = append(terms, FacetTerm{Term: t.Term, Count: t.Count})
			}
		}
		out.Facets[name] = terms
	}
	return out, nil
}

func encodeCursor(v []string) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var v []string
	return v, json.Unmarshal(b, &v)
}

// clause is one part of a parsed query.
type clause struct {
	text    string
	field   string // keyword field for field:value
	phrase  bool
	exclude bool
	or      bool // joined to the previous clause by OR
}

// parseQuery turns the query language into a Bleve query. Only words,
// phrases and exact keyword values reach the index: no wildcards, regular
// expressions or fuzzy expansion, which could stall the server.
func parseQuery(s string) (query.Query, error) {
	clauses, err := lex(norm.NFC.String(s))
	if err != nil {
		return nil, err
	}
	if len(clauses) == 0 {
		return bleve.NewMatchAllQuery(), nil
	}
	if len(clauses) > 50 {
		return nil, pipeline.Errorf(pipeline.EINVALID, "The query has %d parts; 50 is the most.", len(clauses))
	}
	var must, mustNot []query.Query
	var group []query.Query // clauses joined by OR
	flush := func() {
		switch len(group) {
		case 0:
		case 1:
			must = append(must, group[0])
		default:
			must = append(must, bleve.NewDisjunctionQuery(group...))
		}
		group = nil
	}
	for _, c := range clauses {
		q := clauseQuery(c)
		if c.exclude {
			mustNot = append(mustNot, q)
			continue
		}
		if !c.or {
			flush()
		}
		group = append(group, q)
	}
	flush()
	bq := bleve.NewBooleanQuery()
	if len(must) == 0 {
		must = []query.Query{bleve.NewMatchAllQuery()}
	}
	bq.AddMust(must...)
	if len(mustNot) > 0 {
		bq.AddMustNot(mustNot...)
	}
	return bq, nil
}

func clauseQuery(c clause) query.Query {
	if c.field == "date" {
		return dateClause(c.text)
	}
	if c.field != "" {
		t := bleve.NewTermQuery(c.text)
		t.SetField(c.field)
		return t
	}
	var qs []query.Query
	if c.phrase || !oneToken(c.text) {
		folded := bleve.NewMatchPhraseQuery(c.text)
		folded.SetField(fieldFold)
		exact := bleve.NewMatchPhraseQuery(c.text)
		exact.SetField(fieldText)
		exact.SetBoost(2)
		qs = []query.Query{folded, exact}
	} else {
		// One word: a plain term search, far cheaper than a phrase.
		folded := bleve.NewMatchQuery(c.text)
		folded.SetField(fieldFold)
		exact := bleve.NewMatchQuery(c.text)
		exact.SetField(fieldText)
		exact.SetBoost(2)
		stemmed := bleve.NewMatchQuery(c.text)
		stemmed.SetField(fieldEnglish)
		stemmed.SetBoost(0.5)
		qs = []query.Query{folded, exact, stemmed}
	}
	if !c.phrase && looksLikeID(c.text) {
		// Through the identifier analyzer, so that +84912345678 and
		// 84912345678 are the same token.
		id := bleve.NewMatchQuery(c.text)
		id.SetField(fieldIDs)
		id.SetOperator(query.MatchQueryOperatorAnd)
		id.SetBoost(4)
		qs = append(qs, id)
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// dateClause reads date:2024-01-01..2024-06-30 (either end may be left
// out) or date:2024-07-05 (that day). A value it cannot read matches
// nothing rather than everything.
func dateClause(v string) query.Query {
	from, to, isRange := strings.Cut(v, "..")
	if !isRange {
		to = from
	}
	parse := func(s string) (time.Time, bool) {
		if s == "" {
			return time.Time{}, true
		}
		t, err := time.Parse("2006-01-02", s)
		return t, err == nil
	}
	f, ok1 := parse(from)
	t, ok2 := parse(to)
	if !ok1 || !ok2 || (f.IsZero() && t.IsZero()) {
		return bleve.NewMatchNoneQuery()
	}
	if !t.IsZero() {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	incl := true
	q := bleve.NewDateRangeInclusiveQuery(f, t, &incl, &incl)
	q.SetField("date")
	return q
}

// oneToken reports whether the analyzers keep s as a single token.
func oneToken(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	return true
}

func looksLikeID(s string) bool {
	digits := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	return digits >= 6 || strings.ContainsAny(s, "/-.") && digits > 0
}

func lex(s string) ([]clause, error) {
	var out []clause
	or := false
	rs := []rune(s)
	for i := 0; i < len(rs); {
		for i < len(rs) && unicode.IsSpace(rs[i]) {
			i++
		}
		if i >= len(rs) {
			break
		}
		c := clause{or: or}
		or = false
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			c.exclude = true
			i++
		}
		// field:value
		if j := indexRune(rs[i:], ':'); j > 0 && !hasSpace(rs[i:i+j]) {
			if f, ok := keywordFields[strings.ToLower(string(rs[i:i+j]))]; ok {
				c.field = f
				i += j + 1
			}
		}
		if i < len(rs) && rs[i] == '"' {
			j := indexRune(rs[i+1:], '"')
			if j < 0 {
				return nil, pipeline.Errorf(pipeline.EINVALID, "A quotation mark is not closed.")
			}
			c.text, c.phrase = string(rs[i+1:i+1+j]), true
			i += j + 2
		} else {
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) {
				j++
			}
			c.text = string(rs[i:j])
			i = j
		}
		if c.field == "" && !c.phrase && !c.exclude && (c.text == "OR" || c.text == "AND") {
			if c.text == "OR" && len(out) > 0 {
				or = true
			}
			continue // AND is what two clauses mean anyway
		}
		if strings.TrimSpace(c.text) == "" {
			continue
		}
		if c.field == "" {
			c.text = strings.Trim(c.text, ".,;:!?()[]{}«»“”‘’'")
			if c.text == "" {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func indexRune(rs []rune, r rune) int {
	for i, c := range rs {
		if c == r {
			return i
		}
	}
	return -1
}

func hasSpace(rs []rune) bool {
	for _, r := range rs {
		if unicode.IsSpace(r) {
			return true
		}
	}
	return false
}
