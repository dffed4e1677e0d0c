package classify

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// folded is text prepared for matching: lower case, diacritics removed
// (đ becomes d), every run of spaces one space, with the byte offset in the
// original text of each folded byte, so that a match can be reported where
// the officer will see it.
type folded struct {
	text string
	orig []int // orig[i] is the offset in the source of folded byte i
}

// fold prepares s. With exact, diacritics are kept (the text is only NFC
// and lower case), for rule terms marked exact.
func fold(s string, exact bool) folded {
	var sb strings.Builder
	sb.Grow(len(s))
	orig := make([]int, 0, len(s)+1)
	space := true // drop leading spaces
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		start := i
		i += n
		if unicode.IsSpace(r) {
			if !space {
				sb.WriteByte(' ')
				orig = append(orig, start)
				space = true
			}
			continue
		}
		space = false
		var out string
		switch {
		case r < utf8.RuneSelf:
			out = string(unicode.ToLower(r))
		case exact:
			out = strings.ToLower(string(r))
		default:
			out = foldRune(r)
		}
		for j := 0; j < len(out); j++ {
			orig = append(orig, start)
		}
		sb.WriteString(out)
	}
	orig = append(orig, len(s))
	t := sb.String()
	if exact {
		// Combining marks of decomposed input compose here; offsets stay
		// those of the base letters, which is where highlights belong.
		if c := norm.NFC.String(t); len(c) != len(t) {
			return fold(norm.NFC.String(s), true)
		}
	}
	return folded{text: t, orig: orig}
}

// foldTableSize covers the Latin letters with their diacritics, Vietnamese
// included (up to Latin Extended Additional, U+1EFF).
const foldTableSize = 0x2000

// foldTable holds foldRune's answer for the runes below foldTableSize,
// worked out once: decomposing a rune for every letter of a page was most
// of the cost of a rule set whose phrases are looked for in the whole text.
var foldTable = sync.OnceValue(func() []string {
	t := make([]string, foldTableSize)
	for r := range t {
		t[r] = foldRuneSlow(rune(r))
	}
	return t
})

// foldRune lower-cases r and strips its diacritics.
func foldRune(r rune) string {
	if r >= 0 && r < foldTableSize {
		return foldTable()[r]
	}
	return foldRuneSlow(r)
}

func foldRuneSlow(r rune) string {
	switch r {
	case 'đ', 'Đ':
		return "d"
	}
	if unicode.Is(unicode.Mn, r) {
		return ""
	}
	d := norm.NFD.String(string(unicode.ToLower(r)))
	var sb strings.Builder
	for _, c := range d {
		if !unicode.Is(unicode.Mn, c) {
			sb.WriteRune(c)
		}
	}
	return sb.String()
}

// foldQuery folds a rule's term or phrase the same way.
func foldQuery(s string, exact bool) string {
	return strings.TrimSpace(fold(s, exact).text)
}

// span returns the source offsets of folded bytes [i, j).
func (f folded) span(i, j int) (int, int) {
	return f.orig[i], f.orig[j]
}

// isWordByte reports whether the folded byte at i belongs to a word.
func isWordByte(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	if c >= utf8.RuneSelf {
		return true // part of a letter that did not fold to ASCII
	}
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// findWord returns the positions in f.text where q occurs as whole words.
func findWord(text, q string, limit int) []int {
	var out []int
	for off := 0; off < len(text) && len(out) < limit; {
		i := strings.Index(text[off:], q)
		if i < 0 {
			break
		}
		i += off
		left := !isWordByte(q, 0) || !isWordByte(text, i-1)
		right := !isWordByte(q, len(q)-1) || !isWordByte(text, i+len(q))
		if left && right {
			out = append(out, i)
		}
		off = i + 1
	}
	return out
}
