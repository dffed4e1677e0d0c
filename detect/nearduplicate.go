package detect

import (
	"encoding/binary"
	"hash/fnv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Near duplicates: MinHash over word shingles of normalized text, banded
// for locality-sensitive hashing, so that a new document finds the few
// earlier ones that may be near-identical through an index lookup, never
// by comparing all pairs.
//
// Forms make this hard: two applications on the same form share most of
// their words, so on whole texts they look like near duplicates. hoso
// therefore learns each document type's template — the shingles most
// documents of the type share — and leaves it out: what is compared is
// what the applicant wrote. Copies of one application (rescanned,
// re-dated, paragraphs moved) still share that; two applicants do not.

// NearDuplicateVersion changes whenever signatures change meaning; stored
// signatures of another version are not compared.
const NearDuplicateVersion = 1

const (
	// SignatureSize is the number of MinHash values.
	SignatureSize = 128
	// Bands and Rows split the signature for LSH: two documents become
	// candidates when all Rows values of any band agree. With 32 bands of
	// 4, a pair with Jaccard similarity 0.6 is a candidate 99% of the
	// time, 0.5 at 87%, 0.3 at 23%, 0.15 at 1.6%.
	Bands = 32
	Rows  = 4
	// ShingleWords is the number of words in a shingle.
	ShingleWords = 2
	// MinShingles is the least a document must have, outside its
	// template, to be compared at all: shorter texts say too little.
	MinShingles = 8
)

// Signature is a document's MinHash signature.
type Signature [SignatureSize]uint32

// seeds are fixed: signatures stored today must compare with tomorrow's.
var seeds = func() [SignatureSize]uint64 {
	var s [SignatureSize]uint64
	x := uint64(0x9E3779B97F4A7C15)
	for i := range s {
		x = splitmix(x)
		s[i] = x
	}
	return s
}()

func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// Words returns the text's words normalized for comparison: lower case,
// without diacritics (đ as d), with the letters and digits OCR confuses
// mapped to one form (0/o, 1/l/i, 5/s in words of letters; o, l, i in
// numbers), punctuation dropped.
func Words(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() == 0 {
			return
		}
		w := b.String()
		b.Reset()
		out = append(out, confusables(w))
	}
	for _, r := range norm.NFD.String(strings.ToLower(text)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			b.WriteByte('d')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		case r == '/' || r == '-' || r == '.' || r == ',':
			// Inside numbers and references these join; elsewhere they
			// end a word.
			if b.Len() > 0 {
				continue
			}
			flush()
		default:
			flush()
		}
	}
	flush()
	return out
}

func confusables(w string) string {
	letters, digits := 0, 0
	for _, r := range w {
		if unicode.IsDigit(r) {
			digits++
		} else {
			letters++
		}
	}
	if letters == 0 || digits == 0 {
		return w
	}
	if digits >= letters {
		return strings.NewReplacer("o", "0", "l", "1", "i", "1", "s", "5").Replace(w)
	}
	return strings.NewReplacer("0", "o", "1", "l", "5", "s").Replace(w)
}

// Shingles returns the hashes of the runs of ShingleWords words, each
// once.
func Shingles(words []string) []uint64 {
	seen := map[uint64]bool{}
	var out []uint64
	for i := 0; i+ShingleWords <= len(words); i++ {
		v := shingleHash(words[i : i+ShingleWords])
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Template is what a document type's documents share: the word pairs of
// its form, and the character runs common in what people write into it
// (frequent name syllables, the office's own ward). Both are left out of
// the comparison; what remains tells one applicant from another.
type Template map[uint64]bool

// BuildTemplate learns a type's template from sample documents (each the
// Words of one document): the word pairs at least TemplateShare of them
// hold, then the character runs at least GramShare of them hold outside
// those.
func BuildTemplate(samples [][]string) Template {
	t := Template{}
	for h := range frequent(len(samples), TemplateShare, func(yield func([]uint64)) {
		for _, w := range samples {
			yield(Shingles(w))
		}
	}) {
		t[h] = true
	}
	for h := range frequent(len(samples), GramShare, func(yield func([]uint64)) {
		for _, w := range samples {
			yield(grams(residualText(w, t)))
		}
	}) {
		t[h] = true
	}
	return t
}

// frequent returns the hashes at least share of the n sets hold.
func frequent(n int, share float64, sets func(yield func([]uint64))) map[uint64]bool {
	count := map[uint64]int{}
	sets(func(s []uint64) {
		for _, h := range s {
			count[h]++
		}
	})
	need := max(int(share*float64(n)+0.5), 2)
	out := map[uint64]bool{}
	for h, c := range count {
		if c >= need {
			out[h] = true
		}
	}
	return out
}

// CharGrams is the length of the character runs Features hashes.
const CharGrams = 4

// Features returns what is compared of a text: the runs of CharGrams
// characters of the words that no template shingle covers. Characters
// rather than words, so that an OCR slip in a word changes a few features,
// not the whole word and its neighbours.
func Features(words []string, t Template) []uint64 {
	all := grams(residualText(words, t))
	out := all[:0]
	for _, h := range all {
		if !t[h] {
			out = append(out, h)
		}
	}
	return out
}

// residualText joins the words no template word pair covers.
func residualText(words []string, t Template) string {
	covered := make([]bool, len(words))
	for i := 0; i+ShingleWords <= len(words); i++ {
		if t[shingleHash(words[i:i+ShingleWords])] {
			for j := i; j < i+ShingleWords; j++ {
				covered[j] = true
			}
		}
	}
	var b strings.Builder
	for i, w := range words {
		if !covered[i] {
			b.WriteString(w)
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// grams hashes the text's runs of CharGrams characters, each once.
func grams(text string) []uint64 {
	rs := []rune(text)
	seen := map[uint64]bool{}
	var out []uint64
	for i := 0; i+CharGrams <= len(rs); i++ {
		h := fnv.New64a()
		h.Write([]byte{'g'}) // apart from the word pairs' hashes
		h.Write([]byte(string(rs[i : i+CharGrams])))
		v := h.Sum64()
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func shingleHash(words []string) uint64 {
	h := fnv.New64a()
	for _, w := range words {
		h.Write([]byte(w))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// MinHash returns the signature of a set of shingles.
func MinHash(shingles []uint64) Signature {
	var sig Signature
	for i := range sig {
		sig[i] = ^uint32(0)
	}
	for _, x := range shingles {
		for i, s := range seeds {
			if v := uint32(splitmix(x ^ s)); v < sig[i] {
				sig[i] = v
			}
		}
	}
	return sig
}

// Similarity estimates the Jaccard similarity of the two sets.
func Similarity(a, b *Signature) float64 {
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / SignatureSize
}

// BandHashes returns the LSH bucket of each band.
func (s *Signature) BandHashes() []int64 {
	out := make([]int64, Bands)
	var buf [4]byte
	for b := range Bands {
		h := fnv.New64a()
		h.Write([]byte{byte(b)})
		for r := range Rows {
			binary.LittleEndian.PutUint32(buf[:], s[b*Rows+r])
			h.Write(buf[:])
		}
		out[b] = int64(h.Sum64())
	}
	return out
}

// Bytes encodes the signature for storage.
func (s *Signature) Bytes() []byte {
	b := make([]byte, 4*SignatureSize)
	for i, v := range s {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// SignatureFromBytes decodes a stored signature.
func SignatureFromBytes(b []byte) (Signature, bool) {
	var s Signature
	if len(b) != 4*SignatureSize {
		return s, false
	}
	for i := range s {
		s[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return s, true
}

// DefaultNearDuplicateThreshold is the estimated Jaccard similarity, on
// the shingles outside the template, from which two documents are near
// duplicates.
const DefaultNearDuplicateThreshold = 0.45

// TemplateShare is the share of a type's sample documents a word pair must
// appear in to belong to the type's template.
const TemplateShare = 0.3

// GramShare is the share of a type's sample documents a character run,
// outside the form's words, must appear in to belong to the template.
const GramShare = 0.3
