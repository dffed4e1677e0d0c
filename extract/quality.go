package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
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

// Plausible is the share of a text's characters that Vietnamese or
// English writing uses: ASCII, letters made of a Latin letter and the
// marks Vietnamese (and common loanwords) put on it, đ, and the usual
// typographic punctuation. A text layer written in the wrong encoding
// ("Æ»ƒY BAN NHˆN DˆN", "Ã¡") scores low even where Quality, which only
// sees letters, does not.
func Plausible(s string) float64 {
	n, ok := 0, 0
	for _, r := range s {
		if unicode.IsSpace(r) {
			continue
		}
		n++
		if plausibleRune(r) {
			ok++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(ok) / float64(n)
}

func plausibleRune(r rune) bool {
	if r < 0x80 || r == 'đ' || r == 'Đ' || strings.ContainsRune("“”‘’–—…•«»°§№€", r) {
		return true
	}
	if !unicode.IsLetter(r) {
		return false
	}
	base := true
	for i, c := range norm.NFD.String(string(r)) {
		if i == 0 {
			base = c < 0x80
			continue
		}
		switch c {
		case 0x300, 0x301, 0x302, 0x303, 0x306, 0x308, 0x309, 0x31B, 0x323, 0x327:
		default:
			return false
		}
	}
	return base
}

// UsableTextLayer reports whether a page's text layer can stand, or OCR
// should read the page again: a scanned page whose text is missing or
// junk. A page with no image is what it is (blank, or drawings).
func UsableTextLayer(p PageText, bar float64) bool {
	return !p.Scan || strings.TrimSpace(p.Text) != "" && p.Quality >= bar && Plausible(p.Text) >= 0.9
}
