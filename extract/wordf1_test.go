package extract

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// words splits text into lower-cased NFC words of letters, digits and marks.
func words(s string) map[string]int {
	out := map[string]int{}
	for _, w := range strings.FieldsFunc(norm.NFC.String(strings.ToLower(s)), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
	}) {
		out[w]++
	}
	return out
}

// wordF1 is the F1 score of got's words against want's, as multisets.
func wordF1(got, want string) (f1, precision, recall float64) {
	g, w := words(got), words(want)
	var tp, ng, nw int
	for k, n := range g {
		ng += n
		tp += min(n, w[k])
	}
	for _, n := range w {
		nw += n
	}
	if ng == 0 && nw == 0 {
		return 1, 1, 1
	}
	if ng == 0 || nw == 0 || tp == 0 {
		return 0, 0, 0
	}
	precision = float64(tp) / float64(ng)
	recall = float64(tp) / float64(nw)
	return 2 * precision * recall / (precision + recall), precision, recall
}
