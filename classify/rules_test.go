package classify

import (
	"strings"
	"testing"
)

func TestDefaultRulesParse(t *testing.T) {
	rs := DefaultRules()
	if len(rs.Types) < 15 {
		t.Errorf("%d default types, want at least 15", len(rs.Types))
	}
}

func TestParseErrors(t *testing.T) {
	src := `name: broken
types:
  - {id: letter, name: Letter}
  - {id: letter, name: Again}
rules:
  - id: a
    type: letter
    all: ["x"]
    colour: blue
  - id: a
    type: nope
    all: [{regex: '(unclosed'}]
  - id: b
    type: letter
    any: [{fuzzy: "two words", distance: 1}, {phrase: "x", regex: "y"}]
    fields:
      - {name: n, type: money, regex: 'x'}
  - id: c
    type: letter
`
	_, err := Parse([]byte(src))
	if err == nil {
		t.Fatal("Parse accepted a broken file")
	}
	got := err.Error()
	for _, want := range []string{
		`line 9: unknown key "colour" in rule`,
		`line 4: type "letter" is defined twice (first on line 3)`,
		`line 10: rule "a" is defined twice (first on line 6)`,
		`line 10: rule "a" names type "nope"`,
		`line 12: rule "a": bad regular expression "(unclosed"`,
		`line 15: rule "b": fuzzy "two words" must be one word`,
		`line 15: rule "b": a condition needs exactly one of phrase, term, regex or fuzzy`,
		`line 17: rule "b": field "n" has unknown type "money"`,
		`line 18: rule "c" has no condition`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q; got:\n%s", want, got)
		}
	}
}
