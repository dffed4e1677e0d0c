package learn

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// maxTokens bounds the syllables read from one document: the opening of a
// document says what it is, and a 300-page annex must not cost 300 times
// as much to classify.
const maxTokens = 4000

// syllables splits text into lower-case syllables (runs of letters and
// digits), NFC-normalized; digits become "0" so that numbers weigh as a
// shape, not as values. A break in the text (punctuation other than a
// hyphen or apostrophe, a line end) is marked by an empty string, so that
// no syllable pair spans two sentences.
func syllables(text string) []string {
	text = norm.NFC.String(text)
	var out []string
	var b strings.Builder
	var digit bool
	flush := func() {
		digit = false
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	brk := func() {
		flush()
		if n := len(out); n > 0 && out[n-1] != "" {
			out = append(out, "")
		}
	}
	for _, r := range text {
		if len(out) >= maxTokens {
			break
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsMark(r):
			b.WriteRune(r)
			digit = false
		case unicode.IsDigit(r):
			if !digit {
				b.WriteByte('0')
			}
			digit = true
		case r == ' ' || r == '\t' || r == '-' || r == '\'' || r == '/':
			flush()
		default:
			brk()
		}
	}
	flush()
	return out
}

// Features returns the features of a text with their counts: every
// syllable ("quyết") and every pair of adjacent syllables in one sentence
// ("quyết định"), which is how most Vietnamese words are written and which
// holds English phrases too. Feature names are what a person reads in an
// explanation.
func Features(text string) map[string]int {
	syl := syllables(text)
	out := make(map[string]int, 3*len(syl))
	prev, prevUp, prevUp2 := "", "", ""
	opening := 0
	for _, s := range syl {
		if s == "" {
			prev, prevUp, prevUp2 = "", "", ""
			continue
		}
		low := strings.ToLower(s)
		out[low]++
		if prev != "" {
			out[prev+" "+low]++
		}
		if opening < 4 {
			out["^"+low]++
			if prev != "" {
				out["^"+prev+" "+low]++
			}
			opening++
		}
		up := ""
		if low != s && strings.ToUpper(s) == s && len(s) > 1 {
			up = s
			out[up]++
			if prevUp != "" {
				out[prevUp+" "+up]++
				if prevUp2 != "" {
					out[prevUp2+" "+prevUp+" "+up]++
				}
			}
		}
		prev, prevUp, prevUp2 = low, up, prevUp
	}
	return out
}
