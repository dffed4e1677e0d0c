package learn

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"hoso/classify"
	"hoso/pipeline"
)

// ProposedTerm is a word or phrase of a draft rule, with how many
// documents of the type and of the other types hold it.
type ProposedTerm struct {
	Term string `json:"term"`
	In   int    `json:"in"`  // documents of the type that hold it
	Out  int    `json:"out"` // documents of other types that hold it
}

// Proposal is a draft rule for a type, learned from the documents rules
// and people typed, and what it matches among them.
type Proposal struct {
	Type      string         `json:"type"`
	Documents int            `json:"documents"` // of the type
	Others    int            `json:"others"`    // of other types
	Terms     []ProposedTerm `json:"terms"`
	// MatchIn and MatchOut are the documents of the type and of the
	// others the draft rule matches (a dry run with the rule matcher).
	MatchIn  int `json:"match_in"`
	MatchOut int `json:"match_out"`
}

// ProposeConfig tunes a proposal. The zero value gives the defaults.
type ProposeConfig struct {
	MaxTerms     int     // default 8
	MinPrecision float64 // share of a term's documents of the type; default 0.7
	// Body leaves out each document's heading lines (issuer, number,
	// date: what rules usually read already), to draft a rule for
	// documents that arrive without them.
	Body bool
}

// Propose drafts a rule for a type: the words and phrases that best
// separate its documents from the others, chosen one by one for the
// documents of the type they add (each at least MinPrecision of the type).
// Terms with digits are left out: numbers change from one document to the
// next.
func Propose(examples []Example, typ string, cfg ProposeConfig) (*Proposal, error) {
	if cfg.MaxTerms <= 0 {
		cfg.MaxTerms = 8
	}
	if cfg.MinPrecision <= 0 {
		cfg.MinPrecision = 0.7
	}
	if cfg.Body {
		bodies := make([]Example, len(examples))
		for i, e := range examples {
			bodies[i] = e
			if b := body(e.Text); b != "" {
				bodies[i].Text = b
			}
		}
		examples = bodies
	}
	p := &Proposal{Type: typ, Terms: []ProposedTerm{}}
	inDocs, out := p.count(examples)
	if p.Documents == 0 {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "No document of type %q was typed by a rule or a person.", typ)
	}
	minIn := max(2, p.Documents/50)
	candidates := make([]string, 0, len(inDocs))
	for t, docs := range inDocs {
		if len(docs) >= minIn && precision(len(docs), out[t]) >= cfg.MinPrecision {
			candidates = append(candidates, t)
		}
	}
	slices.Sort(candidates)
	covered := make([]bool, p.Documents)
	for len(p.Terms) < cfg.MaxTerms {
		best, bestGain := "", 0.0
		for _, t := range candidates {
			n := 0
			for _, d := range inDocs[t] {
				if !covered[d] {
					n++
				}
			}
			if g := float64(n) * precision(len(inDocs[t]), out[t]); g > bestGain {
				best, bestGain = t, g
			}
		}
		if best == "" {
			break
		}
		for _, d := range inDocs[best] {
			covered[d] = true
		}
		p.Terms = append(p.Terms, ProposedTerm{Term: best, In: len(inDocs[best]), Out: out[best]})
		candidates = slices.DeleteFunc(candidates, func(t string) bool { return t == best })
	}
	return p, nil
}

// count finds the terms of each example (those without digits) and
// returns, for each, the documents of p's type that hold it (numbered
// in order) and how many of the others do; it counts p's documents and
// the others.
func (p *Proposal) count(examples []Example) (map[string][]int, map[string]int) {
	inDocs := map[string][]int{}
	out := map[string]int{}
	feats := parallelFeatures(examples)
	for i, e := range examples {
		terms := map[string]bool{}
		for f := range feats[i] {
			if t := displayTerm(f); !strings.ContainsAny(t, "0123456789") {
				terms[t] = true
			}
		}
		for t := range terms {
			if e.Label == p.Type {
				inDocs[t] = append(inDocs[t], p.Documents)
			} else {
				out[t]++
			}
		}
		if e.Label == p.Type {
			p.Documents++
		} else {
			p.Others++
		}
	}
	return inDocs, out
}

// precision is the share of a term's documents that are of the type,
// with one imagined document of another type so that rare terms do not
// look perfect.
func precision(in, out int) float64 { return float64(in) / float64(in+out+1) }

// RuleID is the draft rule's id.
func (p *Proposal) RuleID() string { return p.Type + "-proposed" }

// Rule returns the draft rule as YAML for the rules section of a rule
// file, with the counts as comments.
func (p *Proposal) Rule() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  - id: %s\n    type: %s\n    priority: 10\n    any:\n", p.RuleID(), p.Type)
	// Counted with their diacritics, terms are matched with them: folded,
	// "bán" (sell) would match "bản" (copy) as well.
	cond := func(t string) string {
		for _, r := range t {
			if r >= utf8.RuneSelf {
				return fmt.Sprintf("{phrase: %q, exact: true}", t)
			}
		}
		return fmt.Sprintf("%q", t)
	}
	width := 0
	for _, t := range p.Terms {
		width = max(width, utf8.RuneCountInString(cond(t.Term)))
	}
	for _, t := range p.Terms {
		c := cond(t.Term)
		fmt.Fprintf(&b, "      - %s%s # in %d of %d %s documents, %d of %d others\n", c, strings.Repeat(" ", width-utf8.RuneCountInString(c)+1), t.In, p.Documents, p.Type, t.Out, p.Others)
	}
	return b.String()
}

// DryRun runs the draft rule, alone, on the examples and counts what it
// matches of the type and of the others (MatchIn, MatchOut).
func (p *Proposal) DryRun(examples []Example) error {
	if len(p.Terms) == 0 {
		return nil
	}
	src := fmt.Sprintf("name: proposal\ntypes:\n  - {id: %s}\nrules:\n%s", p.Type, p.Rule())
	rs, err := classify.Parse([]byte(src))
	if err != nil {
		return fmt.Errorf("draft rule does not parse: %w", err)
	}
	p.MatchIn, p.MatchOut = 0, 0
	for _, e := range examples {
		if rs.Classify(classify.Document{Pages: []string{e.Text}}).Type != p.Type {
			continue
		}
		if e.Label == p.Type {
			p.MatchIn++
		} else {
			p.MatchOut++
		}
	}
	return nil
}
