package extract

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// blockTags end a line of text in HTML.
var blockTags = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "br": true, "dd": true,
	"div": true, "dl": true, "dt": true, "fieldset": true, "figcaption": true, "figure": true,
	"footer": true, "form": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true,
	"h6": true, "header": true, "hr": true, "li": true, "main": true, "nav": true, "ol": true,
	"p": true, "pre": true, "section": true, "table": true, "tr": true, "ul": true, "title": true,
	"td": true, "th": true, "caption": true,
}

// skipTags hold no readable text.
var skipTags = map[string]bool{"script": true, "style": true, "noscript": true, "template": true, "svg": true, "object": true}

// HTML reads a web page's text: the character set from the BOM, the meta
// tag or a guess, scripts and styles dropped, blocks on their own lines.
func HTML(r io.Reader) ([]PageText, error) {
	b, err := readAllLimited(r, maxTextSize, "web page")
	if err != nil {
		return nil, err
	}
	cr, err := charset.NewReader(bytes.NewReader(b), "text/html")
	if err != nil {
		cr = bytes.NewReader(b)
	}
	z := html.NewTokenizer(cr)
	var w htmlText
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return []PageText{{Text: strings.TrimSpace(string(w.out)), Extractor: ExtractorHTML}}, nil
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			w.tag(tt, string(name))
		case html.TextToken:
			if w.skip == 0 {
				w.text(string(z.Text()), z.Raw())
			}
		}
	}
}

// htmlText gathers a page's text as its tokens come.
type htmlText struct {
	out       []byte
	skip, pre int // inside script/style…, inside pre
}

// last is the last byte written, a newline at the start.
func (w *htmlText) last() byte {
	if len(w.out) == 0 {
		return '\n'
	}
	return w.out[len(w.out)-1]
}

// space writes a space unless the text ends in one or a newline.
func (w *htmlText) space() {
	if c := w.last(); c != ' ' && c != '\n' {
		w.out = append(w.out, ' ')
	}
}

func (w *htmlText) tag(tt html.TokenType, tag string) {
	if skipTags[tag] {
		if tt == html.StartTagToken {
			w.skip++
		} else if tt == html.EndTagToken && w.skip > 0 {
			w.skip--
		}
		return
	}
	if tag == "pre" {
		if tt == html.StartTagToken {
			w.pre++
		} else if tt == html.EndTagToken && w.pre > 0 {
			w.pre--
		}
	}
	switch {
	case tag == "td" || tag == "th":
		w.space()
	case blockTags[tag]:
		w.out = bytes.TrimRight(w.out, " ")
		if w.last() != '\n' {
			w.out = append(w.out, '\n')
		}
	}
}

// text writes a text token; outside pre its white space is folded to
// single spaces, and a space the raw text starts with is kept.
func (w *htmlText) text(t string, raw []byte) {
	if w.pre == 0 {
		t = strings.Join(strings.FieldsFunc(t, isHTMLSpace), " ") + trailingSpace(t)
		if leadingSpace(t) || len(raw) > 0 && isHTMLSpaceByte(raw[0]) {
			w.space()
		}
		t = strings.TrimLeft(t, " ")
	}
	w.out = append(w.out, t...)
}

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0'
}

func isHTMLSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func leadingSpace(t string) bool { return t != "" && t[0] == ' ' }

func trailingSpace(t string) string {
	if t != "" && strings.IndexFunc(t[len(t)-1:], isHTMLSpace) == 0 && strings.TrimFunc(t, isHTMLSpace) != "" {
		return " "
	}
	return ""
}
