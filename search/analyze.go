package search

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
	"golang.org/x/text/unicode/norm"
)

// The index and the queries read text through one analyzer, written for
// Vietnamese and English: words are runs of letters, digits and marks
// (Han, Hiragana and Katakana characters are words of their own), lower
// case, NFC. From one pass over the text it gives every field its terms:
//
//   - text_fold: each word without diacritics ("quyết" → "quyet", "đ" →
//     "d"), with positions and offsets, for matching, phrases and
//     highlights;
//   - text_aux: the exact form of each word that has diacritics, and, in
//     documents that are not English, each pair of adjacent words
//     ("quyet dinh"): Vietnamese words are mostly two syllables, and a pair
//     says more than its syllables apart;
//   - text_en: in English documents, each word stemmed ("permits" →
//     "permit");
//   - ids: reference numbers and identifiers whole ("56/2007/nđ-cp",
//     "079203001234").
//
// Positions jump at the end of a sentence, so neither phrases nor pairs
// reach across one.

// maxTokenBytes is the longest word kept; longer runs are encoded data,
// not words.
const maxTokenBytes = 80

// word is one word of a text.
type word struct {
	exact      string // lower case, NFC
	fold       string // without diacritics
	start, end int    // bytes in the text
	pos        int    // 1-based position; jumps after a sentence
}

// words splits text into words. It reads the text once and allocates
// only for words that are not plain ASCII lower case.
func words(text string) []word {
	out := make([]word, 0, len(text)/6)
	pos := 0
	gap := false
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if !isWordRune(r) {
			if isSentenceEnd(r) && (r != '.' || i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n' || text[i+1] == '\r' || text[i+1] == '\t') {
				gap = true
			}
			i += size
			continue
		}
		start := i
		if isIdeograph(r) {
			i += size
		} else {
			for i < len(text) {
				r, size = rune(text[i]), 1
				if r >= utf8.RuneSelf {
					r, size = utf8.DecodeRuneInString(text[i:])
				}
				if !isWordRune(r) || isIdeograph(r) {
					break
				}
				i += size
			}
		}
		if i-start > maxTokenBytes {
			continue
		}
		pos++
		if gap && pos > 1 {
			pos++
		}
		gap = false
		exact := lowerNFC(text[start:i])
		out = append(out, word{exact: exact, fold: fold(exact), start: start, end: i, pos: pos})
	}
	return out
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc)
}

func isIdeograph(r rune) bool {
	return r >= 0x2e80 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// isSentenceEnd reports the characters after which positions jump: the
// ends of sentences and clauses, and page breaks. A full stop counts only
// before a space ("TP.HCM" and "3.5" go on).
func isSentenceEnd(r rune) bool {
	switch r {
	case '.', '!', '?', ';', '\f', '…', '。':
		return true
	}
	return false
}

// lowerNFC lower-cases s and composes its marks; ASCII lower case comes
// back as it is.
func lowerNFC(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	if !norm.NFC.IsNormal(b) {
		b = norm.NFC.Bytes(b)
	}
	return string(b)
}

// foldTable maps the Latin letters with diacritics (U+00C0 to U+024F and
// U+1E00 to U+1EFF, Vietnamese among them) to ASCII, as Bleve's ASCII
// folding does, and đ to d.
var foldTable = func() map[rune]string {
	f := asciifolding.New()
	t := map[rune]string{}
	add := func(lo, hi rune) {
		for r := lo; r <= hi; r++ {
			if s := string(f.Filter([]byte(string(r)))); s != string(r) {
				t[r] = s
			}
		}
	}
	add(0xc0, 0x24f)
	add(0x1e00, 0x1eff)
	t['đ'], t['Đ'] = "d", "d"
	return t
}()

// fold takes the diacritics off a lower-case NFC word.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			b = append(b, byte(r))
		} else if f, ok := foldTable[r]; ok {
			b = append(b, f...)
		} else if unicode.In(r, unicode.Mn, unicode.Me) {
			continue // a mark left over after NFC
		} else {
			b = utf8.AppendRune(b, r)
		}
	}
	return string(b)
}

// stem is the English (Snowball) stem of a lower-case word.
func stem(s string) string {
	if len(s) < 3 {
		return s
	}
	env := snowballstem.NewEnv(s)
	english.Stem(env)
	return env.Current()
}

// pair is the term of two adjacent words in text_aux. The space keeps
// pairs apart from words, which never hold one.
func pair(a, b string) string { return a + " " + b }

// fields holds what a text gives each field.
type fields struct {
	fold, aux, en, ids analysis.TokenStream
}

// analyze gives a document's text its terms in every field.
func analyze(text string, english bool) fields {
	ws := words(text)
	var f fields
	f.fold = make(analysis.TokenStream, len(ws))
	toks := make([]analysis.Token, len(ws), len(ws)*2)
	for i := range ws {
		w := &ws[i]
		toks[i] = analysis.Token{Start: w.start, End: w.end, Term: []byte(w.fold), Position: w.pos, Type: analysis.AlphaNumeric}
		f.fold[i] = &toks[i]
	}
	for i := range ws {
		w := &ws[i]
		if w.exact != w.fold {
			f.aux = append(f.aux, &analysis.Token{Start: w.start, End: w.end, Term: []byte(w.exact), Position: w.pos})
		}
		if !english && i > 0 && ws[i-1].pos == w.pos-1 {
			f.aux = append(f.aux, &analysis.Token{Start: ws[i-1].start, End: w.end, Term: []byte(pair(ws[i-1].fold, w.fold)), Position: w.pos})
		}
		if english {
			f.en = append(f.en, &analysis.Token{Start: w.start, End: w.end, Term: []byte(stem(w.fold)), Position: w.pos})
		}
	}
	f.ids = idTokens(text)
	return f
}

// idTokens finds reference numbers and identifiers: words joined by / - .
// ("56/2007/NĐ-CP", "QĐ-UBND", "0912.345.678") and runs of six or more
// digits, each kept whole, lower case.
func idTokens(text string) analysis.TokenStream {
	var out analysis.TokenStream
	pos := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		start, end, parts, digits := i, i, 0, 0
		for {
			// one word
			j := end
			for j < len(text) {
				r, size := utf8.DecodeRuneInString(text[j:])
				if !isWordRune(r) {
					break
				}
				if '0' <= r && r <= '9' {
					digits++
				}
				j += size
			}
			if j == end {
				break
			}
			end, parts = j, parts+1
			// a joiner followed by another word continues the identifier
			if end+1 < len(text) && (text[end] == '/' || text[end] == '-' || text[end] == '.') {
				if r, _ := utf8.DecodeRuneInString(text[end+1:]); isWordRune(r) {
					end++
					continue
				}
			}
			break
		}
		i = end
		if end-start > maxTokenBytes || parts < 2 && digits < 6 {
			continue
		}
		pos++
		out = append(out, &analysis.Token{Start: start, End: end, Term: []byte(lowerNFC(text[start:end])), Position: pos})
	}
	return out
}
