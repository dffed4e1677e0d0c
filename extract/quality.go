package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Quality scores extracted text from 0 (junk or nothing) to 1 (clean): it
// falls with replacement and control characters, private-use glyph codes,
// mojibake (UTF-8 read as Windows-1252: "Ã©", "áº"), a low share of letters
// and digits, and words glued into runs far longer than any real word.
func Quality(s string) float64 {
	return measure(s).score()
}

// textStats are the counts behind Quality.
type textStats struct {
	n, good, bad, glued int
}

func (t textStats) score() float64 {
	if t.n == 0 {
		return 0
	}
	score := 1 - min(1, float64(t.bad)*5/float64(t.n))
	if ratio := float64(t.good) / float64(t.n); ratio < 0.5 {
		score *= ratio / 0.5
	}
	score *= 1 - float64(t.glued)/float64(t.n)
	return max(0, score)
}

// Garbled reports text that a reader decoded wrongly, as opposed to text
// that is merely poor in letters (tables of contents, formulas, listings):
// more than 1% broken characters, or more than 5% of it in glued words.
func Garbled(s string) bool {
	t := measure(s)
	return t.n > 0 && (t.bad*100 > t.n || t.glued*20 > t.n)
}

func measure(s string) textStats {
	var n, good, bad, glued, word int
	var prev rune
	flush := func() {
		if word > 30 {
			glued += word
		}
		word = 0
	}
	for _, r := range s {
		if unicode.IsSpace(r) {
			flush()
			prev = r
			continue
		}
		n++
		switch {
		case r == utf8.RuneError:
			bad++
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			bad++
		case r >= 0xe000 && r <= 0xf8ff:
			bad++
		case (prev == 'Ã' || prev == 'Â' || prev == 'Ä' || prev == 'Å') && r >= 0x80 && r <= 0xbf:
			bad += 2
		case prev == 'á' && (r == 'º' || r == '»'):
			bad += 2
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			good++
			word++
		default:
			flush()
		}
		prev = r
	}
	flush()
	return textStats{n: n, good: good, bad: bad, glued: glued}
}

// DocumentQuality is the mean page quality weighted by each page's length.
func DocumentQuality(pages []PageText) float64 {
	var sum, weight float64
	for _, p := range pages {
		w := float64(utf8.RuneCountInString(strings.TrimSpace(p.Text)))
		sum += p.Quality * w
		weight += w
	}
	if weight == 0 {
		return 0
	}
	return sum / weight
}
