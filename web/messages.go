package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Messages that reach a page from below the web layer — why a file
// failed, why a form was refused, what is wrong in a rule file — are
// written in English where they are made (pipeline.Errorf), and stored
// that way (a failed document keeps its reason). The pages translate
// them on the way out: i18n/messages/<lang>.json maps each English
// format string, as written in the code, to the same message in another
// language with the same verbs. A message is matched against the
// formats; the parts the verbs stand for are put in the translation,
// translated themselves when they are messages or names the catalog
// knows ("%s The files received before it are in batch %d." holds a
// message of its own). A test keeps every format in the code in the
// catalog.

//go:embed i18n/messages/*.json
var messageFS embed.FS

// verb matches a fmt verb with its flags, width, precision and index.
var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// messageFormat is one English format string ready to match messages.
type messageFormat struct {
	english string
	prefix  string // the literal text before the first verb
	re      *regexp.Regexp
	target  string // the format in the other language
	literal int    // how much of the format is literal text
}

// messageCatalog translates messages into one language.
type messageCatalog struct {
	formats []*messageFormat // most literal text first
	exact   map[string]string
}

var messageCatalogs = loadMessageCatalogs()

func loadMessageCatalogs() map[string]*messageCatalog {
	out := map[string]*messageCatalog{}
	entries, err := messageFS.ReadDir("i18n/messages")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := messageFS.ReadFile("i18n/messages/" + e.Name())
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("message catalog %s: %v", e.Name(), err))
		}
		c, err := newMessageCatalog(m)
		if err != nil {
			panic(fmt.Sprintf("message catalog %s: %v", e.Name(), err))
		}
		out[strings.TrimSuffix(e.Name(), ".json")] = c
	}
	return out
}

func newMessageCatalog(m map[string]string) (*messageCatalog, error) {
	c := &messageCatalog{exact: map[string]string{}}
	for en, target := range m {
		verbs := verb.FindAllStringIndex(en, -1)
		if len(verbs) == 0 {
			c.exact[en] = target
			continue
		}
		f := &messageFormat{english: en, target: target}
		var re strings.Builder
		re.WriteString(`^`)
		last := 0
		n := 0
		for _, v := range verbs {
			lit := en[last:v[0]]
			if last == 0 {
				f.prefix = lit
			}
			f.literal += len(lit)
			re.WriteString(regexp.QuoteMeta(lit))
			switch en[v[1]-1] {
			case '%':
				re.WriteString(`%`)
			case 'q':
				re.WriteString(`("(?:[^"\\]|\\.)*")`)
				n++
			case 'd':
				re.WriteString(`(-?\d+)`)
				n++
			default:
				re.WriteString(`(.*?)`)
				n++
			}
			last = v[1]
		}
		f.literal += len(en) - last
		re.WriteString(regexp.QuoteMeta(en[last:]))
		re.WriteString(`$`)
		if f.literal == 0 {
			continue // "%s" alone says nothing to translate
		}
		var err error
		if f.re, err = regexp.Compile(re.String()); err != nil {
			return nil, err
		}
		if got := countArgs(target); got != n {
			return nil, fmt.Errorf("%q has %d verbs but its translation %q has %d", en, n, target, got)
		}
		c.formats = append(c.formats, f)
	}
	sort.Slice(c.formats, func(i, j int) bool {
		if c.formats[i].literal != c.formats[j].literal {
			return c.formats[i].literal > c.formats[j].literal
		}
		return c.formats[i].english < c.formats[j].english
	})
	return c, nil
}

// countArgs counts the arguments a format uses: its verbs, or the
// highest explicit index.
func countArgs(format string) int {
	n, highest := 0, 0
	for _, m := range verb.FindAllStringSubmatch(format, -1) {
		if strings.HasSuffix(m[0], "%") {
			continue
		}
		n++
		if m[1] != "" {
			i, _ := strconv.Atoi(m[1][1 : len(m[1])-1])
			highest = max(highest, i)
		}
	}
	if highest > 0 {
		return highest
	}
	return n
}

// translate returns msg in the catalog's language, or msg itself when no
// format matches it.
func (c *messageCatalog) translate(msg string, depth int) string {
	if c == nil || msg == "" || depth > 3 {
		return msg
	}
	if t, ok := c.exact[msg]; ok {
		return t
	}
	for _, f := range c.formats {
		if !strings.HasPrefix(msg, f.prefix) {
			continue
		}
		m := f.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		args := m[1:]
		for i, a := range args {
			args[i] = c.translateArg(a, depth)
		}
		out := fill(f.target, args)
		if loc := verb.FindStringIndex(f.target); depth == 0 && loc != nil && loc[0] == 0 {
			out = capitalize(out)
		}
		return out
	}
	return msg
}

// capitalize upper-cases the first letter of a message that begins with
// what a verb stood for ("%s không có chữ nào." with "văn bản Word").
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if unicode.IsLower(r) {
		return string(unicode.ToUpper(r)) + s[n:]
	}
	return s
}

// translateArg translates what a verb stood for: a message or a name the
// catalog knows, kept in its quotes; anything else (a file name, a number)
// as it is.
func (c *messageCatalog) translateArg(a string, depth int) string {
	if len(a) >= 2 && a[0] == '"' && a[len(a)-1] == '"' {
		return a
	}
	return c.translate(a, depth+1)
}

// fill puts args in place of format's verbs, in order or by their
// explicit index.
func fill(format string, args []string) string {
	next := 0
	return verb.ReplaceAllStringFunc(format, func(v string) string {
		if v == "%%" {
			return "%"
		}
		i := next
		if m := verb.FindStringSubmatch(v); m[1] != "" {
			i, _ = strconv.Atoi(m[1][1 : len(m[1])-1])
			i--
		} else {
			next++
		}
		if i < 0 || i >= len(args) {
			return v
		}
		return args[i]
	})
}

// Msg returns a message made below the web layer in the page's language.
func (t translator) Msg(msg string) string {
	return messageCatalogs[t.Lang].translate(msg, 0)
}

// MessageFormats returns the English formats a language's catalog
// translates.
func MessageFormats(lang string) []string {
	c, ok := messageCatalogs[lang]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(c.exact)+len(c.formats))
	for k := range c.exact {
		out = append(out, k)
	}
	for _, f := range c.formats {
		out = append(out, f.english)
	}
	sort.Strings(out)
	return out
}

// TranslateMessage returns msg in lang, as the pages show it.
func TranslateMessage(lang, msg string) string {
	return translator{Lang: lang}.Msg(msg)
}
