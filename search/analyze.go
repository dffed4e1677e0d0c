package search

import (
	"strings"
	"sync"
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
//   - text_aux: the exact form of each word that has diacritics;
//   - text_en: in English documents, each word stemmed ("permits" →
//     "permit");
//   - ids: reference numbers and identifiers whole ("56/2007/nđ-cp",
//     "079203001234").
//
// Positions jump at the end of a sentence, so neither phrases nor the
// adjacent words that ranking weighs (Vietnamese words are mostly two or
// three syllables, and "quyết định" says more than its syllables apart)
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

// scan finds the words of a text and calls each with its bytes and
// position. Index and queries split text with it alike.
func scan(text string, each func(start, end, pos int)) {
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
		each(start, i, pos)
	}
}

// foldScan finds the words of a text as scan does and calls each with its
// bytes and its folded form (lower case, no diacritics), in one pass over
// the text: the highlighter's way of finding the query's words. With
// first, a word whose folded form cannot start with a byte it marks is
// passed over without being folded.
func foldScan(text string, first *[256]bool, each func(start, end int, fold []byte)) {
	var buf []byte
	var one [8]byte
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf && !asciiWordByte(c) {
			i++
			continue
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
			if !isWordRune(r) {
				i += size
				continue
			}
		}
		start := i
		if first != nil {
			b, known := c|0x20, c < utf8.RuneSelf // ASCII letters and digits: |0x20 lower-cases, keeps digits
			if !known {
				if f := appendLowerFoldRune(one[:0], r); len(f) > 0 {
					b, known = f[0], true
				}
			}
			if known && !first[b] {
				i = wordEnd(text, i, r, size)
				continue
			}
		}
		buf = buf[:0]
		for {
			if c < utf8.RuneSelf {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf = append(buf, c)
			} else {
				buf = appendLowerFoldRune(buf, r)
			}
			i += size
			if isIdeograph(r) || i >= len(text) {
				break
			}
			c = text[i]
			r, size = rune(c), 1
			if c < utf8.RuneSelf {
				if !asciiWordByte(c) {
					break
				}
			} else {
				r, size = utf8.DecodeRuneInString(text[i:])
				if !isWordRune(r) || isIdeograph(r) {
					break
				}
			}
		}
		if i-start <= maxTokenBytes && (first == nil || len(buf) > 0 && first[buf[0]]) {
			each(start, i, buf)
		}
	}
}

// asciiWordByte reports whether an ASCII byte belongs to a word: the
// test foldScan and wordEnd make on every byte before decoding a rune.
func asciiWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// wordEnd returns where the word that starts at i with rune r (size
// bytes) ends, by foldScan's rules.
func wordEnd(text string, i int, r rune, size int) int {
	for {
		i += size
		if isIdeograph(r) || i >= len(text) {
			return i
		}
		c := text[i]
		r, size = rune(c), 1
		if c < utf8.RuneSelf {
			if !asciiWordByte(c) {
				return i
			}
		} else {
			r, size = utf8.DecodeRuneInString(text[i:])
			if !isWordRune(r) || isIdeograph(r) {
				return i
			}
		}
	}
}

// words splits text into words, with their exact and folded forms.
func words(text string) []word {
	out := make([]word, 0, len(text)/6)
	var buf []byte
	scan(text, func(start, end, pos int) {
		buf = appendExact(buf[:0], text[start:end])
		exact := string(buf)
		buf = appendFold(buf[:0], exact)
		out = append(out, word{exact: exact, fold: string(buf), start: start, end: end, pos: pos})
	})
	return out
}

func isWordRune(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	case r >= 0xc0 && r < 0x250:
		return r != 0xd7 && r != 0xf7 // Latin letters but × and ÷
	case r >= 0x300 && r < 0x370, r >= 0x1e00 && r < 0x1f00:
		return true // combining marks; Latin letters with diacritics (Vietnamese)
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

// appendLowerFold appends a word lower-cased and without diacritics, as
// appendFold(appendExact(w)) but in one pass, for highlights.
func appendLowerFold(dst []byte, w string) []byte {
	for i := 0; i < len(w); {
		c := w[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(w[i:])
		i += size
		dst = appendLowerFoldRune(dst, r)
	}
	return dst
}

// appendLowerFoldRune appends a letter lower-cased and without its
// diacritics; a mark appends nothing.
func appendLowerFoldRune(dst []byte, r rune) []byte {
	switch {
	case r >= 0xc0 && r < 0x250 && foldLatin[r-0xc0] != "":
		return append(dst, foldLatin[r-0xc0]...)
	case r >= 0x1e00 && r < 0x1f00 && foldExtended[r-0x1e00] != "":
		return append(dst, foldExtended[r-0x1e00]...)
	case r >= 0x300 && r < 0x370:
		return dst // a mark
	}
	r = unicode.ToLower(r)
	switch {
	case r >= 0xc0 && r < 0x250 && foldLatin[r-0xc0] != "":
		return append(dst, foldLatin[r-0xc0]...)
	case r >= 0x370 && unicode.In(r, unicode.Mn, unicode.Me):
		return dst
	}
	return utf8.AppendRune(dst, r)
}

// appendExact appends a word lower-cased, its marks composed (NFC).
func appendExact(dst []byte, w string) []byte {
	start := len(dst)
	marks := false
	for i := 0; i < len(w); {
		c := w[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(w[i:])
		if r >= 0x300 && (r < 0x370 || (r < 0x1e00 || r >= 0x1f00) && unicode.In(r, unicode.Mn, unicode.Mc)) {
			marks = true
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += size
	}
	if marks && !norm.NFC.IsNormal(dst[start:]) {
		nfc := norm.NFC.Bytes(dst[start:])
		dst = append(dst[:start], nfc...)
	}
	return dst
}

// lowerNFC lower-cases s and composes its marks.
func lowerNFC(s string) string { return string(appendExact(nil, s)) }

// foldLatin maps the Latin letters with diacritics (U+00C0 to U+024F and
// U+1E00 to U+1EFF, Vietnamese among them), capitals too, to lower-case
// ASCII, as Bleve's ASCII folding does, and đ to d; "" where a letter has
// nothing to fold.
var foldLatin, foldExtended = func() (a [0x250 - 0xc0]string, b [0x100]string) {
	f := asciifolding.New()
	inRange := func(r rune) bool { return r >= 0xc0 && r < 0x250 || r >= 0x1e00 && r < 0x1f00 }
	folded := func(r rune) string {
		// a capital folds as its small letter does, when that is in range
		l := unicode.ToLower(r)
		if !inRange(l) {
			return ""
		}
		if l == 'đ' {
			return "d"
		}
		if s := strings.ToLower(string(f.Filter([]byte(string(l))))); s != string(l) {
			return s
		}
		return ""
	}
	for r := rune(0xc0); r < 0x250; r++ {
		a[r-0xc0] = folded(r)
	}
	for r := rune(0x1e00); r < 0x1f00; r++ {
		b[r-0x1e00] = folded(r)
	}
	return a, b
}()

// appendFold appends a lower-case NFC word without its diacritics.
func appendFold[T string | []byte](dst []byte, w T) []byte {
	for i := 0; i < len(w); {
		c := w[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		var r rune
		var size int
		switch v := any(w).(type) {
		case string:
			r, size = utf8.DecodeRuneInString(v[i:])
		case []byte:
			r, size = utf8.DecodeRune(v[i:])
		}
		i += size
		switch {
		case r >= 0xc0 && r < 0x250 && foldLatin[r-0xc0] != "":
			dst = append(dst, foldLatin[r-0xc0]...)
		case r >= 0x1e00 && r < 0x1f00 && foldExtended[r-0x1e00] != "":
			dst = append(dst, foldExtended[r-0x1e00]...)
		case unicode.In(r, unicode.Mn, unicode.Me):
			// a mark left over after NFC
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst
}

// fold takes the diacritics off a lower-case NFC word.
func fold(s string) string { return string(appendFold(nil, s)) }

// stem is the English (Snowball) stem of a lower-case word. Stems are
// kept: a language has far fewer words than its texts.
func stem(s string) string {
	if len(s) < 3 {
		return s
	}
	stems.RLock()
	st, ok := stems.m[s]
	stems.RUnlock()
	if ok {
		return st
	}
	env := snowballstem.NewEnv(s)
	english.Stem(env)
	st = env.Current()
	stems.Lock()
	if len(stems.m) >= maxStems {
		clear(stems.m)
	}
	stems.m[s] = st
	stems.Unlock()
	return st
}

// maxStems bounds the kept stems.
const maxStems = 200_000

var stems = struct {
	sync.RWMutex
	m map[string]string
}{m: map[string]string{}}

// fields holds what a text gives each field.
type fields struct {
	fold, aux, en, ids analysis.TokenStream
}

// MaxIndexedText is how much of a document's text, in bytes, the index
// reads word by word: every occurrence with its position, for phrases,
// adjacency and highlights. Beyond it each distinct word is indexed once,
// at its first place, up to maxTailWords of them: the document is still
// found by the words it holds there, while what indexing it holds in
// memory stays bounded (the terms of a document are built whole before
// Bleve writes them: some thirty bytes per byte of text). The whole text
// is stored and shown all the same.
const MaxIndexedText = 1 << 20

// maxTailWords bounds the distinct words, and the distinct identifiers,
// indexed from beyond MaxIndexedText.
const maxTailWords = 50_000

// analyze gives a document's text its terms in every field. The terms
// are slices of one buffer, and the tokens of each field one allocation.
// Beyond MaxIndexedText only the first occurrence of each word is kept.
func analyze(text string, english bool) fields {
	type tok struct {
		start, end, pos int
		exact, fold     [2]int // in buf
		exactDiffers    bool
	}
	var toks []tok
	buf := make([]byte, 0, min(len(text), MaxIndexedText)*5/2)
	tail := newTailTerms(len(text))
	scan(text, func(start, end, pos int) {
		t := tok{start: start, end: end, pos: pos}
		t.exact[0] = len(buf)
		buf = appendExact(buf, text[start:end])
		t.exact[1] = len(buf)
		exact := buf[t.exact[0]:t.exact[1]]
		if !tail.keep(start, exact) {
			buf = buf[:t.exact[0]]
			return
		}
		if isASCII(exact) {
			t.fold = t.exact
		} else {
			t.fold[0] = len(buf)
			buf = appendFold(buf, exact)
			t.fold[1] = len(buf)
			t.exactDiffers = string(buf[t.fold[0]:t.fold[1]]) != string(exact)
		}
		toks = append(toks, t)
	})
	term := func(r [2]int) []byte { return buf[r[0]:r[1]:r[1]] }
	var f fields
	n, nAux := len(toks), 0
	for _, t := range toks {
		if t.exactDiffers {
			nAux++
		}
	}
	all := make([]analysis.Token, n+nAux)
	f.fold = make(analysis.TokenStream, n)
	f.aux = make(analysis.TokenStream, 0, nAux)
	k := n
	for i, t := range toks {
		all[i] = analysis.Token{Start: t.start, End: t.end, Term: term(t.fold), Position: t.pos, Type: analysis.AlphaNumeric}
		f.fold[i] = &all[i]
		if t.exactDiffers {
			all[k] = analysis.Token{Start: t.start, End: t.end, Term: term(t.exact), Position: t.pos}
			f.aux = append(f.aux, &all[k])
			k++
		}
	}
	if english {
		en := make([]analysis.Token, n)
		f.en = make(analysis.TokenStream, n)
		for i, t := range toks {
			en[i] = analysis.Token{Start: t.start, End: t.end, Term: []byte(stem(string(term(t.fold)))), Position: t.pos}
			f.en[i] = &en[i]
		}
	}
	f.ids = textIDTokens(text)
	return f
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// textIDTokens is idTokens for a document's text: beyond MaxIndexedText,
// each identifier once, up to maxTailWords of them (told apart as
// written, and lower-cased only when kept).
func textIDTokens(text string) analysis.TokenStream {
	var out analysis.TokenStream
	tail := newTailTerms(len(text))
	scanIDs(text, func(start, end, pos int) {
		if tail.keep(start, []byte(text[start:end])) {
			out = append(out, &analysis.Token{Start: start, End: end, Term: []byte(lowerNFC(text[start:end])), Position: pos})
		}
	})
	return out
}

// tailTerms are the terms seen in a text longer than MaxIndexedText, so
// that the allowance beyond it goes to words not indexed before; nil for
// a shorter text.
type tailTerms struct {
	seen map[string]bool
	kept int // terms kept beyond MaxIndexedText
}

func newTailTerms(n int) *tailTerms {
	if n <= MaxIndexedText {
		return nil
	}
	return &tailTerms{seen: map[string]bool{}}
}

// keep reports whether the term found at byte start is indexed: always
// within MaxIndexedText, beyond it only a term not seen before and while
// fewer than maxTailWords were kept there.
func (t *tailTerms) keep(start int, term []byte) bool {
	if t == nil {
		return true
	}
	if start < MaxIndexedText {
		t.seen[string(term)] = true
		return true
	}
	if t.seen[string(term)] || t.kept >= maxTailWords {
		return false
	}
	t.seen[string(term)] = true
	t.kept++
	return true
}

// idTokens finds reference numbers and identifiers: words joined by / - .
// ("56/2007/NĐ-CP", "QĐ-UBND", "0912.345.678") and runs of six or more
// digits, each kept whole, lower case.
func idTokens(text string) analysis.TokenStream {
	var out analysis.TokenStream
	scanIDs(text, func(start, end, pos int) {
		out = append(out, &analysis.Token{Start: start, End: end, Term: []byte(lowerNFC(text[start:end])), Position: pos})
	})
	return out
}

// scanIDs finds the identifiers idTokens keeps and calls each with its
// bytes and position.
func scanIDs(text string, each func(start, end, pos int)) {
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
		each(start, end, pos)
	}
}
