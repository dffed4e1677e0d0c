package classify

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"hoso/pipeline"
)

// Document is what classification looks at.
type Document struct {
	Filename string
	Batch    string
	// Department is the one the document was uploaded for; "" or intake
	// when the upload named none.
	Department string
	Language   string // vi, en or "" (from extraction)
	Pages      []string
}

// Result is a document's classification with its reason.
type Result = pipeline.Classification

// Field is a value a rule captured.
type Field = pipeline.Field

// Explanation says why a document got its type.
type Explanation = pipeline.Explanation

// Evidence is one condition that held, and where.
type Evidence = pipeline.Evidence

// RunnerUp is the best rule of another type.
type RunnerUp = pipeline.RunnerUp

// page is one page prepared for matching.
type page struct {
	text   string // NFC
	loose  *folded
	strict *folded
}

func (p *page) folded(exact bool) folded {
	if exact {
		if p.strict == nil {
			f := fold(p.text, true)
			p.strict = &f
		}
		return *p.strict
	}
	if p.loose == nil {
		f := fold(p.text, false)
		p.loose = &f
	}
	return *p.loose
}

type prepared struct {
	doc   Document
	pages []*page
}

// Classify runs the rules on a document.
func (rs *RuleSet) Classify(doc Document) Result {
	p := &prepared{doc: doc}
	for _, t := range doc.Pages {
		p.pages = append(p.pages, &page{text: norm.NFC.String(t)})
	}
	type outcome struct {
		rule     *Rule
		matched  bool
		share    float64
		evidence []Evidence
	}
	var outcomes []outcome
	for _, r := range rs.ordered() {
		ok, share, ev := p.evaluate(r)
		outcomes = append(outcomes, outcome{r, ok, share, ev})
	}
	res := Result{RuleSetVersion: rs.Version, Type: Unclassified, Tags: []string{}, Fields: []Field{}}
	var win *outcome
	for i := range outcomes {
		if outcomes[i].matched {
			win = &outcomes[i]
			break
		}
	}
	// The runner-up: the next rule of another type that matched, else the
	// rule of another type that came closest (at least half its conditions).
	var runner *outcome
	for i := range outcomes {
		o := &outcomes[i]
		if o == win || (win != nil && o.rule.Type == win.rule.Type) {
			continue
		}
		if o.matched {
			runner = o
			break
		}
		if o.share >= 0.5 && (runner == nil || o.share > runner.share) {
			runner = o
		}
	}
	if runner != nil {
		res.Explanation.RunnerUp = &RunnerUp{Rule: runner.rule.ID, Type: runner.rule.Type, Matched: runner.matched, Share: round2(runner.share)}
	}
	if win == nil {
		res.Explanation.Matches = []Evidence{}
		res.Explanation.Summary = "No rule matched; the document is unclassified."
		res.Department, res.Explanation.DepartmentFrom = route(doc.Department, "", nil)
		res.Fields = p.commonFields(rs, res.Fields)
		return res
	}
	r := win.rule
	t := rs.types[r.Type]
	res.Type, res.Rule = r.Type, r.ID
	res.Department, res.Explanation.DepartmentFrom = route(doc.Department, r.Department, t)
	if r.Tags != nil {
		res.Tags = append([]string{}, r.Tags...)
	}
	res.Explanation.Rule, res.Explanation.Priority, res.Explanation.Matches = r.ID, r.Priority, win.evidence
	name := t.Name
	if name == "" {
		name = t.ID
	}
	res.Explanation.Summary = fmt.Sprintf("Rule %q (priority %d) classified the document as %s: %s.", r.ID, r.Priority, name, describe(win.evidence))
	res.Fields = p.commonFields(rs, p.fields(r))
	return res
}

// route decides a document's department: the deciding rule's, if it names
// one; its type's, if the type is rerouted; else the department it was
// uploaded for; else (an upload for no department) its type's; else
// intake. It says which of these decided.
func route(uploaded, rule string, t *Type) (department, from string) {
	if uploaded == pipeline.DepartmentIntake {
		uploaded = ""
	}
	switch {
	case rule != "":
		return rule, pipeline.DepartmentFromRule
	case t != nil && t.Reroute && t.Department != "":
		return t.Department, pipeline.DepartmentFromType
	case uploaded != "":
		return uploaded, pipeline.DepartmentFromUpload
	case t != nil && t.Department != "":
		return t.Department, pipeline.DepartmentFromType
	}
	return pipeline.DepartmentIntake, pipeline.DepartmentFromUpload
}

func describe(ev []Evidence) string {
	var parts []string
	for _, e := range ev {
		if strings.HasPrefix(e.Condition, "none:") {
			continue
		}
		if e.Text != "" {
			parts = append(parts, fmt.Sprintf("%q on page %d", e.Text, e.Page))
		} else {
			parts = append(parts, e.Condition)
		}
		if len(parts) == 4 {
			parts = append(parts, "…")
			break
		}
	}
	return "found " + strings.Join(parts, ", ")
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// evaluate reports whether every condition of r holds, the share of its
// conditions that held, and the evidence.
func (p *prepared) evaluate(r *Rule) (bool, float64, []Evidence) {
	ev := []Evidence{}
	total, held := 0, 0
	ok := true
	check := func(cond bool, e Evidence) {
		total++
		if cond {
			held++
			ev = append(ev, e)
		} else {
			ok = false
		}
	}
	if r.Filename != "" {
		m, _ := path.Match(foldQuery(r.Filename, false), foldQuery(p.doc.Filename, false))
		check(m, Evidence{Condition: "filename " + r.Filename, Text: p.doc.Filename})
	}
	if r.Batch != "" {
		m, _ := path.Match(foldQuery(r.Batch, false), foldQuery(p.doc.Batch, false))
		check(m, Evidence{Condition: "batch " + r.Batch, Text: p.doc.Batch})
	}
	if r.Language != "" {
		check(r.Language == p.doc.Language, Evidence{Condition: "language " + r.Language, Text: p.doc.Language})
	}
	if r.Pages != nil {
		n := len(p.pages)
		check(n >= r.Pages.Min && (r.Pages.Max == 0 || n <= r.Pages.Max), Evidence{Condition: fmt.Sprintf("pages %d (between %d and %d)", n, r.Pages.Min, r.Pages.Max)})
	}
	for i := range r.All {
		e, found := p.find(&r.All[i], r.Where)
		e.Condition = "all: " + e.Condition
		check(found, e)
	}
	if len(r.Any) > 0 {
		need := max(1, r.MinAny)
		hits := 0
		var anyEv []Evidence
		for i := range r.Any {
			if e, found := p.find(&r.Any[i], r.Where); found {
				hits++
				e.Condition = "any: " + e.Condition
				anyEv = append(anyEv, e)
			}
		}
		total++
		if hits >= need {
			held++
			ev = append(ev, anyEv...)
		} else {
			ok = false
		}
	}
	// "none" conditions count for the match, not for how close a rule came:
	// a rule whose words are all missing did not come close.
	for i := range r.None {
		e, found := p.find(&r.None[i], r.Where)
		if found {
			ok = false
		} else {
			ev = append(ev, Evidence{Condition: "none: " + e.Condition})
		}
	}
	share := 0.0
	if total > 0 {
		share = float64(held) / float64(total)
	}
	return ok, share, ev
}

// find looks for one condition in its scope and returns where it matched.
func (p *prepared) find(m *Match, ruleWhere Where) (Evidence, bool) {
	e := Evidence{Condition: m.Label()}
	where := ruleWhere
	if m.Where != nil {
		where = *m.Where
	}
	budget := where.FirstChars // characters left to look at; 0 means no limit
	for i, pg := range p.pages {
		if where.FirstPage && i > 0 {
			break
		}
		text := pg.text
		if where.FirstChars > 0 {
			if budget <= 0 {
				break
			}
			text = prefixRunes(text, budget)
			budget -= utf8.RuneCountInString(text)
		}
		if start, end, found := p.findIn(m, pg, text); found {
			// A pattern may take in the line breaks around a heading.
			for start < end && strings.ContainsRune(" \t\r\n\f", rune(text[start])) {
				start++
			}
			for end > start && strings.ContainsRune(" \t\r\n\f", rune(text[end-1])) {
				end--
			}
			e.Text = text[start:end]
			e.Page = i + 1
			e.Offset = utf8.RuneCountInString(text[:start])
			return e, true
		}
	}
	return e, false
}

func prefixRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// findIn finds m in text, a prefix of pg's text, and returns byte offsets
// in the original text.
func (p *prepared) findIn(m *Match, pg *page, text string) (int, int, bool) {
	if m.re != nil {
		loc := m.re.FindStringIndex(text)
		if loc == nil {
			return 0, 0, false
		}
		return loc[0], loc[1], true
	}
	f := pg.folded(m.Exact)
	// Only the part of the folded text that comes from the prefix.
	limit := sort.Search(len(f.orig), func(i int) bool { return f.orig[i] >= len(text) })
	ft := f.text[:min(limit, len(f.text))]
	if m.Fuzzy != "" {
		return fuzzyFind(f, ft, m.query, m.Distance)
	}
	hits := findWord(ft, m.query, 1)
	if len(hits) == 0 {
		return 0, 0, false
	}
	s, e := f.span(hits[0], hits[0]+len(m.query))
	return s, e, true
}

// fuzzyFind finds a word within distance edits of q.
func fuzzyFind(f folded, text, q string, dist int) (int, int, bool) {
	qr := []rune(q)
	for i := 0; i < len(text); {
		for i < len(text) && !isWordByte(text, i) {
			i++
		}
		j := i
		for j < len(text) && isWordByte(text, j) {
			j++
		}
		if j > i {
			w := []rune(text[i:j])
			if d := len(w) - len(qr); d <= dist && d >= -dist && levenshtein(w, qr, dist) <= dist {
				s, e := f.span(i, j)
				return s, e, true
			}
		}
		i = j
	}
	return 0, 0, false
}

// levenshtein is the edit distance of a and b, or more than limit once it
// is known to exceed it.
func levenshtein(a, b []rune, limit int) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// PatternMatch is a red-flag pattern that held on a document.
type PatternMatch struct {
	ID       string
	Flag     string
	Severity string
	Message  string
	Evidence []Evidence
}

// RedFlags runs the rule set's red-flag patterns on a document.
func (rs *RuleSet) RedFlags(doc Document) []PatternMatch {
	if len(rs.Patterns) == 0 {
		return nil
	}
	p := &prepared{doc: doc}
	for _, t := range doc.Pages {
		p.pages = append(p.pages, &page{text: norm.NFC.String(t)})
	}
	var out []PatternMatch
	for i := range rs.Patterns {
		pt := &rs.Patterns[i]
		if ok, _, ev := p.evaluate(pt.rule()); ok {
			out = append(out, PatternMatch{ID: pt.ID, Flag: pt.Flag, Severity: pt.Severity, Message: pt.Message, Evidence: ev})
		}
	}
	return out
}
