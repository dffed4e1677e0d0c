package search

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"hoso/pipeline"
)

// The query language, as an officer types it:
//
//	đất đai thửa 42          words: ranked, enough of them must match
//	"giấy phép xây dựng"     a phrase: required, words in this order
//	+thẩm -nháp              a required word, an excluded word
//	Hanoi OR "Hà Nội"        either
//	đất AND nhà              both required
//	type:decision            a filter on a keyword field
//	date:2024-01-01..2024-06-30
//
// Words match with or without diacritics; stop words ("của", "the") are
// never required. A query is read in one pass; one longer than
// MaxQueryLength characters or of more than MaxQueryParts parts is
// refused before anything else is done with it.

// MaxQueryLength is the longest query read, in characters: a question of
// a few hundred words.
const MaxQueryLength = 4000

// MaxQueryParts is the most words, phrases and filters in a query.
const MaxQueryParts = 400

// QueryError is a query the parser cannot read. Key names the message in
// the pages' catalogs ("query.unclosed_quote"); Arg is what the message
// quotes, if anything.
type QueryError struct {
	Key     string
	Arg     string
	Message string // in English, for the API and the command line
}

func (e *QueryError) Error() string { return e.Message }

// Unwrap makes a QueryError a domain error with code EINVALID, so that
// pipeline.ErrorCode and ErrorMessage read it.
func (e *QueryError) Unwrap() error { return pipeline.Errorf(pipeline.EINVALID, "%s", e.Message) }

func queryErrorf(key, arg, format string, args ...any) *QueryError {
	return &QueryError{Key: key, Arg: arg, Message: pipeline.Errorf(pipeline.EINVALID, format, args...).Message}
}

// atomKind says what an atom matches.
type atomKind int

const (
	atomWord   atomKind = iota // one word as typed
	atomPhrase                 // words in order
	atomField                  // a keyword field's value
	atomDate                   // a range of the document's date
)

// atom is the smallest part of a query: a word, a phrase or a filter.
type atom struct {
	kind  atomKind
	text  string // as typed
	field string // for atomField
	words []word // analyzed words, for atomWord and atomPhrase
	id    string // the word as an identifier ("56/2007/nđ-cp"), if it looks like one
	stop  bool   // a stop word: it neither counts nor drives
	from  time.Time
	to    time.Time // atomDate: inclusive ends; zero is open
}

// clause is a disjunction of atoms ("a OR b" is one clause).
type clause struct {
	atoms    []atom
	required bool // +word, "phrase", AND, field:value
	excluded bool // -word
}

// plan is a parsed query.
type plan struct {
	clauses []clause
	pairs   []queryPair // adjacent words of the query: rank documents that hold them together
	stops   string      // the stop list used: "vi", "en" or ""
}

// keywordFields maps the names a query may use to keyword fields.
var keywordFields = map[string]string{"type": "type", "department": "department", "tag": "tags", "tags": "tags", "flag": "flags", "flags": "flags",
	"batch": "batch", "year": "year", "month": "month", "mime": "mime", "state": "state", "language": "language", "lang": "language",
	"date": "date"}

// lexeme is one part of the query text.
type lexeme struct {
	text     string
	field    string
	phrase   bool
	plus     bool
	minus    bool
	operator string // "OR" or "AND"
}

// lexQuery splits a query into its parts, in one pass.
func lexQuery(s string) ([]lexeme, error) {
	if n := utf8.RuneCountInString(s); n > MaxQueryLength {
		return nil, queryErrorf("query.too_long", "", "The query has %d characters; %d is the most.", n, MaxQueryLength)
	}
	s = norm.NFC.String(s)
	var out []lexeme
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		if len(out) == MaxQueryParts {
			return nil, queryErrorf("query.too_many_parts", "", "The query has more than %d parts.", MaxQueryParts)
		}
		var lx lexeme
		if (s[i] == '-' || s[i] == '+') && i+1 < len(s) && s[i+1] != ' ' {
			lx.minus, lx.plus = s[i] == '-', s[i] == '+'
			i++
		}
		// The word runs to the next space, or, from a quotation mark, to
		// the closing one.
		end := i
		for end < len(s) && s[end] != '"' {
			r, size := utf8.DecodeRuneInString(s[end:])
			if unicode.IsSpace(r) {
				break
			}
			end += size
		}
		if k := strings.IndexByte(s[i:end], ':'); k > 0 {
			if f, ok := keywordFields[strings.ToLower(s[i:i+k])]; ok {
				lx.field = f
				i += k + 1
			}
		}
		if i < len(s) && s[i] == '"' {
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, queryErrorf("query.unclosed_quote", "", "A quotation mark is not closed.")
			}
			lx.text, lx.phrase = s[i+1:i+1+j], true
			i += j + 2
		} else {
			lx.text = s[i:end] // a quotation mark right after it opens a phrase next
			i = end
		}
		if lx.field == "" && !lx.phrase && !lx.plus && !lx.minus && (lx.text == "OR" || lx.text == "AND") {
			lx.operator, lx.text = lx.text, ""
			out = append(out, lx)
			continue
		}
		if lx.field == "" && !lx.phrase {
			lx.text = strings.Trim(lx.text, ".,;:!?()[]{}«»“”‘’'")
		}
		if strings.TrimSpace(lx.text) == "" {
			if lx.field != "" {
				return nil, queryErrorf("query.empty_filter", lx.field, "%s: needs a value, as in %s:%s.", lx.field, lx.field, fieldExample(lx.field))
			}
			continue
		}
		out = append(out, lx)
	}
	return out, nil
}

func fieldExample(field string) string {
	switch field {
	case "date":
		return "2024-01-01..2024-06-30"
	case "year":
		return "2024"
	case "month":
		return "2024-07"
	case "language":
		return "vi"
	}
	return "decision"
}

// parseQuery reads a query into a plan.
func parseQuery(s string) (*plan, error) {
	lexemes, err := lexQuery(s)
	if err != nil {
		return nil, err
	}
	p := &plan{}
	var prev *clause // the clause an OR joins
	join, and := false, false
	for _, lx := range lexemes {
		switch lx.operator {
		case "OR":
			join = prev != nil
			continue
		case "AND":
			if prev != nil && !prev.excluded {
				prev.required = true
				and = true
			}
			continue
		}
		a, err := newAtom(lx)
		if err != nil {
			return nil, err
		}
		required := lx.plus || a.kind != atomWord || and
		if join && !lx.minus && !prev.excluded {
			prev.atoms = append(prev.atoms, a)
			prev.required = prev.required || required && a.kind != atomWord
		} else {
			p.clauses = append(p.clauses, clause{atoms: []atom{a}, required: required, excluded: lx.minus})
			prev = &p.clauses[len(p.clauses)-1]
		}
		join, and = false, false
	}
	p.markStops()
	p.pairUp()
	return p, nil
}

// newAtom reads one part of a query.
func newAtom(lx lexeme) (atom, error) {
	a := atom{text: lx.text}
	switch {
	case lx.field == "date":
		a.kind = atomDate
		from, to, err := dateRange(lx.text)
		if err != nil {
			return a, err
		}
		a.from, a.to = from, to
	case lx.field != "":
		a.kind, a.field = atomField, lx.field
		if lx.field != "month" && lx.field != "year" {
			a.text = strings.ToLower(a.text)
		}
	case lx.phrase:
		a.kind, a.words = atomPhrase, words(lx.text)
		if len(a.words) == 1 {
			a.kind = atomWord
		}
	default:
		a.kind, a.words = atomWord, words(lx.text)
		if looksLikeID(lx.text) {
			if ids := idTokens(lx.text); len(ids) > 0 {
				a.id = string(ids[0].Term)
			}
		}
	}
	if (a.kind == atomWord || a.kind == atomPhrase) && len(a.words) == 0 && a.id == "" {
		a.kind = atomField // nothing to search for: matches nothing
		a.field = ""
	}
	return a, nil
}

// dateRange reads 2024-01-01..2024-06-30 (either end may be left out) or
// 2024-07-05 (that day).
func dateRange(v string) (time.Time, time.Time, error) {
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
	if !ok1 || !ok2 || f.IsZero() && t.IsZero() {
		return f, t, queryErrorf("query.bad_date", v, "date:%s is not a date or a range of dates; write date:2024-07-05 or date:2024-01-01..2024-06-30.", v)
	}
	if !t.IsZero() {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return f, t, nil
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

// markStops marks the stop words among the optional words. The stop list
// is chosen by the query's language: Vietnamese when a word carries
// Vietnamese diacritics, else the list that knows more of its words.
// When every optional word is a stop word, none is one.
func (p *plan) markStops() {
	var opt []*atom
	var at []int // each optional word's clause
	vi, en, viFolded := 0, 0, 0
	marked := false
	for i := range p.clauses {
		c := &p.clauses[i]
		if c.required || c.excluded || len(c.atoms) != 1 || c.atoms[0].kind != atomWord || len(c.atoms[0].words) != 1 || c.atoms[0].id != "" {
			continue
		}
		a := &c.atoms[0]
		opt = append(opt, a)
		at = append(at, i)
		w := a.words[0]
		if w.exact != w.fold {
			marked = true
		}
		if stopVI[w.exact] {
			vi++
		}
		if stopVIFolded[w.exact] {
			viFolded++
		}
		if stopEN[w.exact] {
			en++
		}
	}
	// Question phrases ("bao nhieu", "nhu the nao") side by side.
	inPhrase := make([]bool, len(opt))
	for i := range opt {
		for n, set := range stopPhrases {
			if i+n > len(opt) || at[i+n-1]-at[i] != n-1 {
				continue
			}
			words := make([]string, n)
			for k := range n {
				words[k] = opt[i+k].words[0].fold
			}
			if set[strings.Join(words, " ")] {
				for k := range n {
					inPhrase[i+k] = true
				}
				viFolded++
			}
		}
	}
	var isStop func(w string) bool
	switch {
	case marked || vi > 0 && vi >= en:
		isStop, p.stops = func(w string) bool { return stopVI[w] || stopVIFolded[w] }, "vi"
	case en > viFolded:
		isStop, p.stops = func(w string) bool { return stopEN[w] }, "en"
	case viFolded > 0:
		isStop, p.stops = func(w string) bool { return stopVIFolded[w] }, "vi"
	default:
		return
	}
	stop := func(i int) bool { return isStop(opt[i].words[0].exact) || p.stops == "vi" && inPhrase[i] }
	n := 0
	for i := range opt {
		if stop(i) {
			n++
		}
	}
	if n == len(opt) {
		p.stops = ""
		return
	}
	for i, a := range opt {
		a.stop = stop(i)
	}
}

// queryPair is a pair of adjacent words of the query, folded, and the
// clauses its two words are in.
type queryPair struct {
	first, second string
	left, right   int
}

// pairUp lists the pairs of adjacent words of the query's words and
// phrases, stop words among them (a pair of two stop words is left out).
func (p *plan) pairUp() {
	var prev *word
	prevStop := false
	prevClause := -1
	for ci, c := range p.clauses {
		if c.excluded || len(c.atoms) != 1 {
			prev = nil
			continue
		}
		a := c.atoms[0]
		if a.kind != atomWord && a.kind != atomPhrase || a.id != "" {
			prev = nil
			continue
		}
		for i := range a.words {
			w := &a.words[i]
			stop := a.stop || stopVI[w.exact] || stopEN[w.exact]
			if prev != nil && !(prevStop && stop) {
				p.pairs = append(p.pairs, queryPair{first: prev.fold, second: w.fold, left: prevClause, right: ci})
			}
			prev, prevStop, prevClause = w, stop, ci
		}
	}
}
