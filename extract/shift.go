package extract

import (
	"strings"
	"unicode"
)

// commonWords are frequent words of English and (without marks)
// Vietnamese: a text layer read right holds many of them.
var commonWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the of and to in for on is with by this that are be from at as it or an was
		which not have has its their can will all one may other more these any such been were
		shall under each than also into but if only who use used
		va cua cac la co nhung duoc cho trong ngay thang nam tai ve theo so viec nguoi khong mot de
		nay khi da tu voi cong ban hoac phai can`) {
		commonWords[w] = true
	}
}

// wordHits counts the common words among text's words, and how many
// different ones there are.
func wordHits(text string) (hits, words, distinct int) {
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		words++
		if commonWords[w] {
			hits++
			if !seen[w] {
				seen[w] = true
				distinct++
			}
		}
	}
	return hits, words, distinct
}

// shiftRunes moves every printable ASCII character of s by k code points.
func shiftRunes(s string, k int) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' {
			return r
		}
		r += rune(k)
		if r <= ' ' || r > '~' {
			return '\uFFFD'
		}
		return r
	}, s)
}

// Unshift recognises a text layer whose glyph codes are shifted by a
// constant (a subset font without a Unicode map whose codes are glyph
// numbers: pdftotext prints ")RXQGDWLRQ" for "Foundation") and decodes it:
// the shift that turns the most words into common words of English or
// Vietnamese wins, when it makes a quarter of the words (at least five,
// four of them different) common, pushes no character out of the
// printable range and the text as read makes almost none common. Short texts (under ten
// words) are left as they are: a shift may make anything of them. It returns s unchanged otherwise.
func Unshift(s string) (string, bool) {
	sample := s
	if len(sample) > 4000 {
		sample = sample[:4000]
	}
	// A shifted layer is printable ASCII: a page with letters beyond it
	// (Vietnamese marks) is text as it is.
	ascii, other := 0, 0
	for _, r := range sample {
		switch {
		case r > '~' && unicode.IsLetter(r):
			other++
		case r > ' ' && r <= '~':
			ascii++
		}
	}
	if other*20 > ascii {
		return s, false
	}
	hits, words, _ := wordHits(sample)
	if words < 10 || hits*20 > words {
		return s, false
	}
	best, bestHits, bestDistinct := 0, hits, 0
	for k := -94; k <= 94; k++ {
		if k == 0 {
			continue
		}
		shifted := shiftRunes(sample, k)
		if strings.Count(shifted, "\uFFFD")*50 > len(sample) {
			continue // characters pushed out of the printable range: not this shift
		}
		if h, _, d := wordHits(shifted); h > bestHits {
			best, bestHits, bestDistinct = k, h, d
		}
	}
	if best == 0 || bestHits < 5 || bestDistinct < 4 || bestHits*4 < words {
		return s, false
	}
	return shiftRunes(s, best), true
}
