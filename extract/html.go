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
	var sb strings.Builder
	skip, pre := 0, 0
	last := func() byte {
		if sb.Len() == 0 {
			return '\n'
		}
		return sb.String()[sb.Len()-1]
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return []PageText{{Text: strings.TrimSpace(sb.String()), Extractor: ExtractorHTML}}, nil
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if skipTags[tag] {
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if tag == "pre" {
				if tt == html.StartTagToken {
					pre++
				} else if tt == html.EndTagToken && pre > 0 {
					pre--
				}
			}
			switch {
			case tag == "td" || tag == "th":
				if c := last(); c != ' ' && c != '\n' {
					sb.WriteByte(' ')
				}
			case blockTags[tag]:
				if c := last(); c == ' ' {
					s := strings.TrimRight(sb.String(), " ")
					sb.Reset()
					sb.WriteString(s)
				}
				if last() != '\n' {
					sb.WriteByte('\n')
				}
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			if pre == 0 {
				t = strings.Join(strings.FieldsFunc(t, isHTMLSpace), " ") + trailingSpace(t)
				if leadingSpace(t) || isHTMLSpaceByte(firstByte(string(z.Raw()))) {
					if c := last(); c != ' ' && c != '\n' {
						sb.WriteByte(' ')
					}
				}
				t = strings.TrimLeft(t, " ")
				if c := last(); c == ' ' || c == '\n' {
					t = strings.TrimLeft(t, " ")
				}
			}
			sb.WriteString(t)
		}
	}
}

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0'
}

func isHTMLSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func firstByte(s string) byte {
	if s == "" {
		return 'x'
	}
	return s[0]
}

func leadingSpace(t string) bool { return t != "" && t[0] == ' ' }

func trailingSpace(t string) string {
	if t != "" && strings.IndexFunc(t[len(t)-1:], isHTMLSpace) == 0 && strings.TrimFunc(t, isHTMLSpace) != "" {
		return " "
	}
	return ""
}
