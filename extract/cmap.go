package extract

import (
	"bytes"
	"encoding/hex"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// toUnicode is a font's ToUnicode CMap, parsed once into maps. The
// library's own decoder scans every mapping for every character and, for a
// bfrange, adds the offset to the last byte only, so a range whose targets
// cross a 256 boundary (fpdf's and dompdf's <0000> <FFFF> <0000>) loses the
// high byte: "Quyết định" came out as "Quy¿t \x11Ënh".
type toUnicode struct {
	spaces []codeSpace
	chars  map[string]string
	ranges []codeRange // sorted by lo within each length
}

type codeSpace struct {
	lo, hi string
}

type codeRange struct {
	n      int // bytes per code
	lo, hi uint32
	dst    []uint16 // UTF-16 of the first code's text; the last unit counts up
	arr    []string // or one text per code
}

const maxCMapSize = 16 << 20

// parseToUnicode reads a CMap stream. It returns nil when the stream holds
// no mapping at all.
func parseToUnicode(r io.Reader) *toUnicode {
	data, err := io.ReadAll(io.LimitReader(r, maxCMapSize))
	if err != nil && len(data) == 0 {
		return nil
	}
	m := &toUnicode{chars: map[string]string{}}
	toks := cmapTokens(data)
	for i := 0; i < len(toks); i++ {
		switch toks[i].kw {
		case "begincodespacerange":
			for i++; i+1 < len(toks) && toks[i].kw == ""; i += 2 {
				if lo, hi := toks[i].str, toks[i+1].str; lo != nil && hi != nil && len(lo) == len(hi) && len(lo) > 0 && len(lo) <= 4 {
					m.spaces = append(m.spaces, codeSpace{string(lo), string(hi)})
				}
			}
		case "beginbfchar":
			for i++; i+1 < len(toks) && toks[i].kw == ""; i += 2 {
				if src, dst := toks[i].str, toks[i+1].str; src != nil && dst != nil && len(src) <= 4 {
					m.chars[string(src)] = utf16Text(dst)
				}
			}
		case "beginbfrange":
			for i++; i+2 < len(toks) && toks[i].kw == ""; i += 3 {
				lo, hi := toks[i].str, toks[i+1].str
				if lo == nil || hi == nil || len(lo) != len(hi) || len(lo) > 4 {
					continue
				}
				cr := codeRange{n: len(lo), lo: codeValue(lo), hi: codeValue(hi)}
				if cr.hi < cr.lo {
					continue
				}
				switch {
				case toks[i+2].str != nil:
					cr.dst = utf16Units(toks[i+2].str)
				case toks[i+2].kw == "[":
					j := i + 3
					for ; j < len(toks) && toks[j].kw != "]"; j++ {
						cr.arr = append(cr.arr, utf16Text(toks[j].str))
					}
					// the array's tokens were counted as one operand
					i = j - 2
				default:
					continue
				}
				m.ranges = append(m.ranges, cr)
			}
		}
	}
	if len(m.chars) == 0 && len(m.ranges) == 0 {
		return nil
	}
	sort.Slice(m.ranges, func(a, b int) bool { return m.ranges[a].lo < m.ranges[b].lo })
	return m
}

// twoByte reports whether the codes are two bytes long.
func (m *toUnicode) twoByte() bool {
	for _, s := range m.spaces {
		if len(s.lo) == 2 {
			return true
		}
	}
	if len(m.spaces) == 0 {
		for k := range m.chars {
			return len(k) == 2
		}
		for _, r := range m.ranges {
			return r.n == 2
		}
	}
	return false
}

// codeLen is the length of the code at the start of raw.
func (m *toUnicode) codeLen(raw string) int {
	for n := 1; n <= 4 && n <= len(raw); n++ {
		for _, s := range m.spaces {
			if len(s.lo) == n && s.lo <= raw[:n] && raw[:n] <= s.hi {
				return n
			}
		}
	}
	if m.twoByte() && len(raw) >= 2 {
		return 2
	}
	return 1
}

// Decode turns character codes into text; unmapped codes give U+FFFD.
func (m *toUnicode) Decode(raw string) string {
	var sb strings.Builder
	for len(raw) > 0 {
		n := m.codeLen(raw)
		code := raw[:n]
		raw = raw[n:]
		if s, ok := m.chars[code]; ok {
			sb.WriteString(s)
			continue
		}
		if s, ok := m.lookupRange(code); ok {
			sb.WriteString(s)
			continue
		}
		sb.WriteRune('\ufffd')
	}
	return sb.String()
}

func (m *toUnicode) lookupRange(code string) (string, bool) {
	c := codeValue([]byte(code))
	i := sort.Search(len(m.ranges), func(i int) bool { return m.ranges[i].lo > c })
	for j := i - 1; j >= 0 && j >= i-8; j-- {
		r := m.ranges[j]
		if r.n != len(code) || c < r.lo || c > r.hi {
			continue
		}
		off := c - r.lo
		if r.arr != nil {
			if int(off) < len(r.arr) {
				return r.arr[off], true
			}
			return "", false
		}
		if len(r.dst) == 0 {
			return "", false
		}
		units := append([]uint16(nil), r.dst...)
		units[len(units)-1] += uint16(off)
		return string(utf16.Decode(units)), true
	}
	return "", false
}

func codeValue(b []byte) uint32 {
	var v uint32
	for _, c := range b {
		v = v<<8 | uint32(c)
	}
	return v
}

func utf16Units(b []byte) []uint16 {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
	}
	if len(b)%2 == 1 { // a one-byte target: take it as a code point
		u = append(u, uint16(b[len(b)-1]))
	}
	return u
}

func utf16Text(b []byte) string {
	return string(utf16.Decode(utf16Units(b)))
}

type cmapToken struct {
	kw  string // keyword, or "[" / "]"; empty for strings and numbers
	str []byte // hex or literal string bytes
}

// cmapTokens splits a CMap program into the tokens the mappings need.
func cmapTokens(data []byte) []cmapToken {
	var out []cmapToken
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '%':
			for i < len(data) && data[i] != '\n' && data[i] != '\r' {
				i++
			}
		case c == '<' && i+1 < len(data) && data[i+1] == '<':
			i += 2
		case c == '>' && i+1 < len(data) && data[i+1] == '>':
			i += 2
		case c == '<':
			j := bytes.IndexByte(data[i:], '>')
			if j < 0 {
				return out
			}
			out = append(out, cmapToken{str: cmapHex(data[i+1 : i+j])})
			i += j + 1
		case c == '(':
			var b []byte
			b, i = cmapLiteral(data, i+1)
			out = append(out, cmapToken{str: b})
		case c == '[' || c == ']':
			out = append(out, cmapToken{kw: string(c)})
			i++
		case c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0:
			i++
		default:
			j := i
			for j < len(data) && !strings.ContainsRune(" \n\r\t\f\x00<>[]()/%", rune(data[j])) {
				j++
			}
			if j == i { // a name's slash or a stray delimiter
				i++
				continue
			}
			word := string(data[i:j])
			if _, err := strconv.ParseFloat(word, 64); err == nil {
				word = "#"
			}
			out = append(out, cmapToken{kw: word})
			i = j
		}
	}
	return out
}

// cmapHex decodes the digits of a hex string (between < and >), other
// bytes ignored, an odd last digit padded with 0; never nil.
func cmapHex(h []byte) []byte {
	h = bytes.Map(func(r rune) rune {
		if strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return r
		}
		return -1
	}, h)
	if len(h)%2 == 1 {
		h = append(h, '0')
	}
	b, _ := hex.DecodeString(string(h))
	if b == nil {
		b = []byte{}
	}
	return b
}

// cmapLiteral reads a literal string that starts at i (after its "("):
// its bytes, escapes taken as the byte they escape and nested brackets
// kept, and where it ends (after its ")"); never nil.
func cmapLiteral(data []byte, i int) ([]byte, int) {
	b := []byte{}
	depth := 0
	for i < len(data) {
		ch := data[i]
		if ch == '\\' && i+1 < len(data) {
			b = append(b, data[i+1])
			i += 2
			continue
		}
		if ch == '(' {
			depth++
		} else if ch == ')' {
			if depth == 0 {
				return b, i + 1
			}
			depth--
		}
		b = append(b, ch)
		i++
	}
	return b, i
}
