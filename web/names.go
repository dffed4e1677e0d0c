package web

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"hoso/classify"
	"hoso/extract"
	"hoso/pipeline"
)

// Pages show names, never codes: a type by its name in the page's language
// (the rule file's name_vi or name), a department by its name (the
// catalog's for the built-in ones, else the one an admin gave it), a tag
// by the catalog's name if it has one. Codes stay in URLs and the API.

// names looks names up for one page, in its language.
type names struct {
	t     translator
	rules *classify.RuleSet
	depts map[string]string // code → name as stored
}

// TypeName is a type's name.
func (n *names) TypeName(id string) string {
	switch id {
	case "":
		return "—"
	case pipeline.TypeUnclassified:
		return n.t.T("type.unclassified")
	}
	if n.rules == nil {
		return id
	}
	return n.rules.TypeName(id, n.t.Lang)
}

// Dept is a department's name.
func (n *names) Dept(code string) string {
	if code == "" {
		code = pipeline.DepartmentIntake
	}
	if msg, ok := n.t.cat["department."+code]; ok {
		return msg
	}
	if name, ok := n.depts[code]; ok && name != "" {
		return name
	}
	return code
}

// Tag is a tag's name.
func (n *names) Tag(code string) string {
	if msg, ok := n.t.cat["tag."+code]; ok {
		return msg
	}
	return code
}

// Lang is a language's name ("vi", "en"; "" is unknown).
func (n *names) LangName(code string) string {
	if code == "" {
		return n.t.T("language.unknown")
	}
	if msg, ok := n.t.cat["language."+code]; ok {
		return msg
	}
	return code
}

// When is a moment as the page's readers write it: 20/03/2024 14:05 in
// Vietnamese, 2024-03-20 14:05 in English.
func (n *names) When(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if n.t.Lang == "vi" {
		return t.Local().Format("02/01/2006 15:04")
	}
	return t.Local().Format("2006-01-02 15:04")
}

// Day is a date as the page's readers write it.
func (n *names) Day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if n.t.Lang == "vi" {
		return t.Format("02/01/2006")
	}
	return t.Format("2006-01-02")
}

// DayOf rewrites a date given as 2006-01-02.
func (n *names) DayOf(s string) string {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s
	}
	return n.Day(t)
}

// nameSource gives pages the rule set in force and the departments, read
// again at most every few seconds.
type nameSource struct {
	store pipeline.Store
	rules *classify.Current

	mu      sync.Mutex
	depts   map[string]string
	list    []pipeline.Department
	checked time.Time
}

func newNameSource(st pipeline.Store) *nameSource {
	return &nameSource{store: st, rules: &classify.Current{Store: st}}
}

// departments returns the departments, by code and in order.
func (ns *nameSource) departments(ctx context.Context) (map[string]string, []pipeline.Department) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.depts == nil || time.Since(ns.checked) > 5*time.Second {
		if list, err := ns.store.DepartmentList(ctx); err == nil {
			ns.list = list
			ns.depts = map[string]string{}
			for _, d := range list {
				ns.depts[d.Code] = d.Name
			}
			ns.checked = time.Now()
		} else if ns.depts == nil {
			ns.depts = map[string]string{}
		}
	}
	return ns.depts, ns.list
}

// forPage returns the names for a page in a language.
func (ns *nameSource) forPage(ctx context.Context, t translator) *names {
	n := &names{t: t}
	if ns == nil || ns.store == nil {
		return n
	}
	n.depts, _ = ns.departments(ctx)
	if rs, err := ns.rules.Get(ctx); err == nil {
		n.rules = rs
	}
	return n
}

// FacetLabel is how a search facet's value reads.
func (n *names) FacetLabel(facet, term string) string {
	switch facet {
	case "type":
		return n.TypeName(term)
	case "department":
		return n.Dept(term)
	case "tags":
		return n.Tag(term)
	case "language":
		return n.LangName(term)
	case "flags":
		return n.t.T("kind." + term)
	}
	return term
}

// FieldName is a captured field's name: the catalog's for the names the
// built-in rules use, else as the rule file writes it.
func (n *names) FieldName(name string) string {
	if msg, ok := n.t.cat["field."+name]; ok {
		return msg
	}
	return name
}

// condition is a rule's condition as the page reads it: which list it is
// in (all, any, none), what kind it is (a phrase, a pattern…), and its
// value as the rule file writes it.
type condition struct {
	Group, Kind, Value string
}

// Cond reads a condition of the explanation ("any: phrase \"tố cáo\"",
// "language vi", "pages 3 (between 1 and 0)") into its parts, the first
// two in the page's language.
func (n *names) Cond(s string) condition {
	var c condition
	for _, g := range []string{"all", "any", "none"} {
		if rest, ok := strings.CutPrefix(s, g+": "); ok {
			c.Group, s = n.t.T("cond."+g), rest
			break
		}
	}
	kind, value, _ := strings.Cut(s, " ")
	if msg, ok := n.t.cat["cond."+kind]; ok {
		c.Kind, c.Value = msg, value
		if kind == "pages" {
			if num, _, ok := strings.Cut(value, " "); ok {
				c.Value = num
			}
		}
	} else {
		c.Value = s
	}
	return c
}

// Stored flag titles are English sentences written by detection; the
// pages say the same in their language from the flag's kind and key and
// the figures the sentence holds.
var (
	flagCountsRE = regexp.MustCompile(`\d+(?:\.\d+)?`)
	// written by learn.Disagreement
	flagDisagreeRE = regexp.MustCompile(`^Rule says (\S+), model says (\S+)$`)
)

// FlagTitle is a flag's title in the page's language.
func (n *names) FlagTitle(f *pipeline.Flag) string {
	nums := flagCountsRE.FindAllString(f.Title, -1)
	switch f.Kind {
	case pipeline.FlagExactDuplicate:
		if len(nums) >= 1 {
			return n.t.T("flagtitle.exact_duplicate", nums[0])
		}
	case pipeline.FlagNearDuplicate:
		if len(nums) >= 1 {
			return n.t.T("flagtitle.near_duplicate", nums[0])
		}
	case pipeline.FlagRecurringIdentifier:
		kind, value, ok := strings.Cut(f.Key, ":")
		if i := strings.LastIndex(value, "|"); i >= 0 {
			value = value[:i] // the department's share
		}
		if at := strings.Index(f.Title, value); ok && at >= 0 {
			counts := flagCountsRE.FindAllString(f.Title[at+len(value):], -1)
			if len(counts) >= 2 {
				return n.t.T("flagtitle.recurring_identifier", n.t.T("idkind."+kind), value, counts[0], counts[1])
			}
		}
	case pipeline.FlagModelDisagrees:
		if m := flagDisagreeRE.FindStringSubmatch(f.Title); m != nil {
			return n.t.T("flagtitle.model_disagrees", n.TypeName(m[1]), n.TypeName(m[2]))
		}
	case pipeline.FlagVolumeSpike:
		parts := strings.SplitN(f.Key, ":", 3)
		if len(parts) == 3 && len(nums) >= 2 {
			return n.t.T("flagtitle.volume_spike", nums[0], n.TypeName(parts[0]), n.Dept(parts[1]), n.DayOf(parts[2]), nums[len(nums)-2])
		}
	default:
		// a red-flag pattern: its message in the page's language
		if id, _, ok := strings.Cut(f.Key, ":"); ok && n.rules != nil {
			if msg := n.rules.PatternMessage(id, n.t.Lang); msg != "" {
				return msg
			}
		}
	}
	return f.Title
}

// Evidence details are English sentences written by detection; the pages
// say them in their language.
var (
	evidenceSimilarityRE = regexp.MustCompile(`^similarity ([\d.]+) to document (\d+)$`)
	evidenceAtRE         = regexp.MustCompile(`^("(?:[^"\\]|\\.)*") on page (\d+), character (\d+)$`)
	evidenceUploadedRE   = regexp.MustCompile(`^uploaded on (\d{4}-\d{2}-\d{2})$`)
	// written by learn.Disagreement
	evidenceDisagreeRE = regexp.MustCompile(`^rule "([^"]*)" says (\S+); model version (\d+) says (\S+) \(([\d.]+)\)(?:: (.*))?$`)
)

// EvidenceDetail is a flag's evidence detail in the page's language.
func (n *names) EvidenceDetail(s string) string {
	if m := evidenceSimilarityRE.FindStringSubmatch(s); m != nil {
		return n.t.T("evidence.similarity", m[1], m[2])
	}
	if m := evidenceAtRE.FindStringSubmatch(s); m != nil {
		text, err := strconv.Unquote(m[1])
		if err != nil {
			text = m[1]
		}
		return n.t.T("evidence.at", text, m[2], m[3])
	}
	if m := evidenceUploadedRE.FindStringSubmatch(s); m != nil {
		return n.t.T("evidence.uploaded", n.DayOf(m[1]))
	}
	if m := evidenceDisagreeRE.FindStringSubmatch(s); m != nil {
		return n.t.T("evidence.model_disagrees", m[1], n.TypeName(m[2]), m[3], n.TypeName(m[4]), m[5], m[6])
	}
	if s == "in the same cluster" {
		return n.t.T("evidence.cluster")
	}
	return s
}

// number writes x with one decimal, with the page's decimal mark.
func (n *names) number(x float64) string {
	s := strconv.FormatFloat(x, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if n.t.Lang == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Dur is a duration as people read it; "—" when nothing was measured.
func (n *names) Dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return n.t.T("unit.seconds", n.number(d.Seconds()))
	case d < time.Hour:
		return n.t.T("unit.minutes", n.number(d.Minutes()))
	}
	return n.t.T("unit.hours", n.number(d.Hours()))
}

// Pct is a as a share of b; "—" when b is nothing.
func (n *names) Pct(a, b int) string {
	if b == 0 {
		return "—"
	}
	return n.number(100*float64(a)/float64(b)) + "%"
}

// Extractor names the way a page's text was read.
func (n *names) Extractor(code string) string {
	if msg, ok := n.t.cat["extractor."+code]; ok {
		return msg
	}
	return code
}

// Kind names a kind of file ("application/pdf" → "tệp PDF").
func (n *names) Kind(mime string) string {
	return n.t.Msg(extract.Describe(mime))
}
