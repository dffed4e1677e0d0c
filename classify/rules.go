// Package classify gives every document a type, a department and tags from
// rules that supervisors write in YAML and can read, and keeps the reason:
// which rule decided, the words and patterns that matched and where, and
// the runner-up. A document no rule claims is "unclassified", never
// guessed. The package is pure logic: no queue, no SQL.
package classify

import (
	_ "embed"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"hoso/pipeline"
)

// Unclassified is the type of a document no rule claims.
const Unclassified = pipeline.TypeUnclassified

// RuleSet is a parsed, validated rule file.
type RuleSet struct {
	Version  int       `yaml:"-"` // the number given when loaded into the database; 0 for the built-in set
	Name     string    `yaml:"name"`
	Types    []Type    `yaml:"types"`
	Rules    []Rule    `yaml:"rules"`
	Patterns []Pattern `yaml:"patterns"`
	// Fields are captured from every document, whatever rule claims it
	// (or none), after the deciding rule's own; for a name captured
	// already, or captured by an earlier field of the list, nothing more.
	Fields []FieldRule `yaml:"fields"`

	types map[string]*Type
}

// Type is a document type. Department is where documents of the type go
// when their upload names no department; with Reroute, they go there
// whatever department they were uploaded for.
type Type struct {
	ID         string `yaml:"id"`
	Name       string `yaml:"name"`
	NameVI     string `yaml:"name_vi"`
	Department string `yaml:"department"`
	Reroute    bool   `yaml:"reroute"`
	line       int
}

// PatternMessage is a red-flag pattern's message in a language ("vi" or
// "en"); "" for a pattern the rule set does not know.
func (rs *RuleSet) PatternMessage(id, lang string) string {
	for _, p := range rs.Patterns {
		if p.ID == id {
			if lang == "vi" && p.MessageVI != "" {
				return p.MessageVI
			}
			return p.Message
		}
	}
	return ""
}

// TypeName is a type's name in a language ("vi" or "en"); the ID for a
// type the rule set does not know.
func (rs *RuleSet) TypeName(id, lang string) string {
	t := rs.types[id]
	switch {
	case t == nil:
		return id
	case lang == "vi" && t.NameVI != "":
		return t.NameVI
	case t.Name != "":
		return t.Name
	}
	return id
}

// Rule says what a document type looks like and what follows from it. A
// rule's Department moves the documents it claims there, whatever
// department they were uploaded for.
type Rule struct {
	ID         string      `yaml:"id"`
	Type       string      `yaml:"type"`
	Department string      `yaml:"department"`
	Tags       []string    `yaml:"tags"`
	Priority   int         `yaml:"priority"`
	Where      Where       `yaml:"where"`
	All        []Match     `yaml:"all"`
	Any        []Match     `yaml:"any"`
	MinAny     int         `yaml:"min_any"`
	None       []Match     `yaml:"none"`
	Filename   string      `yaml:"filename"`
	Batch      string      `yaml:"batch"`
	Language   string      `yaml:"language"` // vi or en
	Pages      *PageRange  `yaml:"pages"`
	Fields     []FieldRule `yaml:"fields"`
	line       int
}

// Pattern is a red flag: the conditions of a rule, and when they hold the
// document is flagged with the pattern's kind, severity and message.
type Pattern struct {
	ID       string `yaml:"id"`
	Flag     string `yaml:"flag"`     // the flag kind, e.g. "red_flag"
	Severity string `yaml:"severity"` // low, medium, high
	Message  string `yaml:"message"`
	// MessageVI is the message in Vietnamese, for the pages.
	MessageVI string     `yaml:"message_vi"`
	Where     Where      `yaml:"where"`
	All       []Match    `yaml:"all"`
	Any       []Match    `yaml:"any"`
	MinAny    int        `yaml:"min_any"`
	None      []Match    `yaml:"none"`
	Filename  string     `yaml:"filename"`
	Batch     string     `yaml:"batch"`
	Language  string     `yaml:"language"`
	Pages     *PageRange `yaml:"pages"`
	line      int
}

// UnmarshalYAML records the pattern's line.
func (pt *Pattern) UnmarshalYAML(n *yaml.Node) error {
	type plain Pattern
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*pt = Pattern(p)
	pt.line = n.Line
	return nil
}

// rule is the pattern's conditions as a rule, for the matcher.
func (pt *Pattern) rule() *Rule {
	return &Rule{ID: pt.ID, Where: pt.Where, All: pt.All, Any: pt.Any, MinAny: pt.MinAny, None: pt.None,
		Filename: pt.Filename, Batch: pt.Batch, Language: pt.Language, Pages: pt.Pages, line: pt.line}
}

// PageRange bounds the page count; zero means no bound.
type PageRange struct {
	Min int `yaml:"min"`
	Max int `yaml:"max"`
}

// Where limits the text a condition looks at.
type Where struct {
	FirstPage  bool // only the first page
	FirstChars int  // only the first N characters
}

// UnmarshalYAML reads "anywhere", "first_page" or {first_chars: N}.
func (w *Where) UnmarshalYAML(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.ScalarNode && (n.Value == "anywhere" || n.Value == ""):
		*w = Where{}
	case n.Kind == yaml.ScalarNode && n.Value == "first_page":
		*w = Where{FirstPage: true}
	case n.Kind == yaml.MappingNode:
		var m struct {
			FirstChars int `yaml:"first_chars"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		if m.FirstChars <= 0 {
			return fmt.Errorf("line %d: first_chars must be a positive number", n.Line)
		}
		*w = Where{FirstChars: m.FirstChars}
	default:
		return fmt.Errorf("line %d: where must be anywhere, first_page or {first_chars: N}, not %q", n.Line, n.Value)
	}
	return nil
}

func (w Where) String() string {
	switch {
	case w.FirstPage:
		return "first page"
	case w.FirstChars > 0:
		return fmt.Sprintf("first %d characters", w.FirstChars)
	}
	return "anywhere"
}

// Match is one condition on the text: a phrase (one or more words,
// diacritic-insensitive unless Exact), a regular expression (RE2), or a
// fuzzy term within an edit distance. A plain string in YAML is a phrase.
type Match struct {
	Phrase   string `yaml:"phrase"`
	Term     string `yaml:"term"`
	Regex    string `yaml:"regex"`
	Fuzzy    string `yaml:"fuzzy"`
	Distance int    `yaml:"distance"`
	Exact    bool   `yaml:"exact"`
	Where    *Where `yaml:"where"`

	line  int
	re    *regexp.Regexp
	query string // folded phrase, term or fuzzy word
}

// UnmarshalYAML accepts a string (a phrase) or a mapping.
func (m *Match) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*m = Match{Phrase: n.Value, line: n.Line}
		return nil
	}
	type plain Match
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*m = Match(p)
	m.line = n.Line
	return nil
}

// Label names the condition the way an explanation shows it.
func (m *Match) Label() string {
	switch {
	case m.Regex != "":
		return "regex /" + m.Regex + "/"
	case m.Fuzzy != "":
		return fmt.Sprintf("fuzzy %q ~%d", m.Fuzzy, m.Distance)
	case m.Term != "":
		return fmt.Sprintf("term %q", m.Term)
	}
	return fmt.Sprintf("phrase %q", m.Phrase)
}

// FieldRule captures a field with a regular expression: the group named
// "value", or the whole match; Type says how to normalize it.
type FieldRule struct {
	Name  string `yaml:"name"`
	Regex string `yaml:"regex"`
	Type  string `yaml:"type"` // text, date, amount, reference, identifier
	Where *Where `yaml:"where"`
	line  int
	re    *regexp.Regexp
}

// The UnmarshalYAML methods below record where each item starts, for the
// errors; unknown keys are found beforehand by checkKeys, which reports all
// of them with their lines.

// UnmarshalYAML records the field's line.
func (f *FieldRule) UnmarshalYAML(n *yaml.Node) error {
	type plain FieldRule
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*f = FieldRule(p)
	f.line = n.Line
	return nil
}

// UnmarshalYAML records the rule's line.
func (r *Rule) UnmarshalYAML(n *yaml.Node) error {
	type plain Rule
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*r = Rule(p)
	r.line = n.Line
	return nil
}

// UnmarshalYAML records the type's line.
func (t *Type) UnmarshalYAML(n *yaml.Node) error {
	type plain Type
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*t = Type(p)
	t.line = n.Line
	return nil
}

// schema lists the keys each kind of mapping may hold, and the kind of
// what each key holds.
var schema = map[string]map[string]string{
	"root":    {"name": "", "types": "[type", "rules": "[rule", "patterns": "[pattern", "fields": "[field"},
	"pattern": {"id": "", "flag": "", "severity": "", "message": "", "message_vi": "", "where": "where", "all": "[match", "any": "[match", "min_any": "", "none": "[match", "filename": "", "batch": "", "language": "", "pages": "pages"},
	"type":    {"id": "", "name": "", "name_vi": "", "department": "", "reroute": ""},
	"rule":    {"id": "", "type": "", "department": "", "tags": "", "priority": "", "where": "where", "all": "[match", "any": "[match", "min_any": "", "none": "[match", "filename": "", "batch": "", "language": "", "pages": "pages", "fields": "[field"},
	"match":   {"phrase": "", "term": "", "regex": "", "fuzzy": "", "distance": "", "exact": "", "where": "where"},
	"where":   {"first_chars": ""},
	"pages":   {"min": "", "max": ""},
	"field":   {"name": "", "regex": "", "type": "", "where": "where"},
}

// checkKeys reports every key the schema does not know, with its line.
func checkKeys(n *yaml.Node, kind string, errs *Errors) {
	if strings.HasPrefix(kind, "[") {
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				checkKeys(c, kind[1:], errs)
			}
		}
		return
	}
	keys, ok := schema[kind]
	if !ok || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub, known := keys[k.Value]
		if !known {
			var list []string
			for name := range keys {
				list = append(list, name)
			}
			sort.Strings(list)
			*errs = append(*errs, fmt.Sprintf("line %d: unknown key %q in %s (known keys: %s)", k.Line, k.Value, kind, strings.Join(list, ", ")))
			continue
		}
		if sub != "" {
			checkKeys(v, sub, errs)
		}
	}
}

// Errors lists every problem found in a rule file, each with its line.
type Errors []string

func (e Errors) Error() string { return strings.Join(e, "\n") }

// Parse reads and validates a rule file.
func Parse(data []byte) (*RuleSet, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(root.Content) == 0 {
		return nil, Errors{"the rule file is empty"}
	}
	var errs Errors
	checkKeys(root.Content[0], "root", &errs)
	rs := &RuleSet{}
	if err := root.Content[0].Decode(rs); err != nil {
		return nil, append(errs, strings.Split(stripYAMLPrefix(err.Error()), "\n")...)
	}
	errs = append(errs, rs.validate()...)
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return lineOf(errs[i]) < lineOf(errs[j]) })
		return nil, errs
	}
	return rs, nil
}

var validID = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

var fieldTypes = map[string]bool{"": true, "text": true, "date": true, "amount": true, "reference": true, "identifier": true}

func (rs *RuleSet) validate() Errors {
	var errs Errors
	add := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("line %d: %s", line, fmt.Sprintf(format, args...)))
	}
	rs.types = map[string]*Type{}
	for i := range rs.Types {
		t := &rs.Types[i]
		switch {
		case !validID.MatchString(t.ID):
			add(t.line, "type id %q must be lower case letters, digits, '-', '_' or '.'", t.ID)
		case rs.types[t.ID] != nil:
			add(t.line, "type %q is defined twice (first on line %d)", t.ID, rs.types[t.ID].line)
		case t.ID == Unclassified:
			add(t.line, "type %q is reserved for documents no rule claims", t.ID)
		default:
			rs.types[t.ID] = t
		}
	}
	ids := map[string]int{}
	for i := range rs.Patterns {
		pt := &rs.Patterns[i]
		if !validID.MatchString(pt.ID) {
			add(pt.line, "pattern id %q must be lower case letters, digits, '-', '_' or '.'", pt.ID)
		}
		if !validID.MatchString(pt.Flag) {
			add(pt.line, "pattern %q needs a flag kind (lower case letters, digits, '-', '_')", pt.ID)
		}
		switch pt.Severity {
		case "low", "medium", "high":
		default:
			add(pt.line, "pattern %q: severity must be low, medium or high, not %q", pt.ID, pt.Severity)
		}
		if pt.Message == "" {
			add(pt.line, "pattern %q needs a message for the supervisor", pt.ID)
		}
		checkConditions("pattern", pt.rule(), add)
	}
	for i := range rs.Rules {
		r := &rs.Rules[i]
		if !validID.MatchString(r.ID) {
			add(r.line, "rule id %q must be lower case letters, digits, '-', '_' or '.'", r.ID)
		} else if first, ok := ids[r.ID]; ok {
			add(r.line, "rule %q is defined twice (first on line %d)", r.ID, first)
		} else {
			ids[r.ID] = r.line
		}
		if r.Type == "" {
			add(r.line, "rule %q has no type", r.ID)
		} else if rs.types[r.Type] == nil {
			add(r.line, "rule %q names type %q, which the types section does not define", r.ID, r.Type)
		}
		checkConditions("rule", r, add)
		checkFields(fmt.Sprintf("rule %q", r.ID), r.Fields, add)
	}
	checkFields("fields", rs.Fields, add)
	return errs
}

// checkFields validates fields to capture and compiles their expressions.
func checkFields(what string, fields []FieldRule, add func(line int, format string, args ...any)) {
	for j := range fields {
		f := &fields[j]
		if f.Name == "" {
			add(f.line, "%s: a field needs a name", what)
		}
		if !fieldTypes[f.Type] {
			add(f.line, "%s: field %q has unknown type %q (text, date, amount, reference or identifier)", what, f.Name, f.Type)
		}
		re, err := regexp.Compile(f.Regex)
		if err != nil || f.Regex == "" {
			add(f.line, "%s: field %q: bad regular expression: %v", what, f.Name, err)
			continue
		}
		f.re = re
	}
}

// checkConditions validates the conditions rules and patterns share, and
// compiles their matches.
func checkConditions(what string, r *Rule, add func(line int, format string, args ...any)) {
	if len(r.All) == 0 && len(r.Any) == 0 && r.Filename == "" {
		add(r.line, "%s %q has no condition (all, any or filename)", what, r.ID)
	}
	if r.MinAny < 0 || r.MinAny > len(r.Any) {
		add(r.line, "%s %q: min_any is %d but any lists %d conditions", what, r.ID, r.MinAny, len(r.Any))
	}
	for _, g := range []string{r.Filename, r.Batch} {
		if _, err := path.Match(g, ""); err != nil {
			add(r.line, "%s %q: bad pattern %q", what, r.ID, g)
		}
	}
	if r.Language != "" && r.Language != "vi" && r.Language != "en" {
		add(r.line, "%s %q: language must be vi or en, not %q", what, r.ID, r.Language)
	}
	if r.Pages != nil && r.Pages.Max > 0 && r.Pages.Max < r.Pages.Min {
		add(r.line, "%s %q: pages max %d is below min %d", what, r.ID, r.Pages.Max, r.Pages.Min)
	}
	for _, list := range [][]Match{r.All, r.Any, r.None} {
		for j := range list {
			if err := list[j].compile(); err != nil {
				add(list[j].line, "%s %q: %v", what, r.ID, err)
			}
		}
	}
}

func (m *Match) compile() error {
	set := 0
	for _, s := range []string{m.Phrase, m.Term, m.Regex, m.Fuzzy} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		return errors.New("a condition needs exactly one of phrase, term, regex or fuzzy")
	}
	switch {
	case m.Regex != "":
		re, err := regexp.Compile(m.Regex)
		if err != nil {
			return fmt.Errorf("bad regular expression %q: %v", m.Regex, err)
		}
		m.re = re
	case m.Fuzzy != "":
		if m.Distance < 1 || m.Distance > 2 {
			return fmt.Errorf("fuzzy %q needs a distance of 1 or 2", m.Fuzzy)
		}
		m.query = foldQuery(m.Fuzzy, m.Exact)
		if strings.Contains(m.query, " ") {
			return fmt.Errorf("fuzzy %q must be one word", m.Fuzzy)
		}
	default:
		q := m.Phrase + m.Term
		m.query = foldQuery(q, m.Exact)
		if m.query == "" {
			return fmt.Errorf("empty phrase")
		}
	}
	return nil
}

// Type returns the type with the given ID.
func (rs *RuleSet) Type(id string) (*Type, bool) {
	t, ok := rs.types[id]
	return t, ok
}

// ordered returns the rules by precedence: higher priority first, then
// file order.
func (rs *RuleSet) ordered() []*Rule {
	out := make([]*Rule, len(rs.Rules))
	for i := range rs.Rules {
		out[i] = &rs.Rules[i]
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority > out[j].Priority })
	return out
}

//go:embed rules/default.yaml
var defaultRules []byte

// DefaultRules returns the rule set shipped with hoso.
func DefaultRules() *RuleSet {
	rs, err := Parse(defaultRules)
	if err != nil {
		panic("classify: the built-in rule set is invalid: " + err.Error())
	}
	return rs
}

// DefaultRulesYAML returns the text of the built-in rule set.
func DefaultRulesYAML() []byte { return append([]byte(nil), defaultRules...) }

func stripYAMLPrefix(s string) string {
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n")
	s = strings.TrimPrefix(s, "yaml: ")
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	return strings.Join(lines, "\n")
}

func lineOf(s string) int {
	var n int
	fmt.Sscanf(s, "line %d:", &n)
	return n
}
