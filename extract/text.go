package extract

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/unicode/norm"
)

// DecodeText turns the bytes of a plain-text file into NFC UTF-8 and names
// the encoding it found: UTF-8 (with or without BOM), UTF-16 with a BOM,
// or, for bytes that are not UTF-8, Windows-1258 when the bytes carry
// Vietnamese marks that only that code page has, else Windows-1252.
func DecodeText(b []byte) (string, string) {
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		return normalize(string(b[3:])), "utf-8"
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}), bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		if out, err := dec.Bytes(b); err == nil {
			return normalize(string(out)), "utf-16"
		}
	case utf8.Valid(b):
		return normalize(string(b)), "utf-8"
	}
	if isWindows1258(b) {
		out, _ := charmap.Windows1258.NewDecoder().Bytes(b)
		return normalize(string(out)), "windows-1258"
	}
	out, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	return normalize(string(out)), "windows-1252"
}

// isWindows1258 looks for the bytes that Windows-1258 gives to Vietnamese
// (Ă ă Đ đ Ơ ơ Ư ư and the combining tone marks) and Windows-1252 gives
// to letters that Western text rarely uses (Ã ã Ð ð Õ õ Ý ý Ì ì Þ Ò ò).
func isWindows1258(b []byte) bool {
	var high, vi int
	for i, c := range b {
		if c < 0x80 {
			continue
		}
		high++
		switch c {
		case 0xc3, 0xe3, 0xd0, 0xf0, 0xd5, 0xf5, 0xdd, 0xfd:
			vi++
		case 0xcc, 0xec, 0xde, 0xd2, 0xf2: // combining marks follow a letter
			if i > 0 && isLetterByte(b[i-1]) {
				vi++
			}
		}
	}
	return vi >= 2 && vi*10 >= high
}

func isLetterByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0xc0
}

// normalize makes text NFC, unifies line ends and drops NUL bytes and
// trailing spaces on lines.
func normalize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.ReplaceAll(s, "\x00", "")
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = norm.NFC.String(s)
	if !strings.Contains(s, " \n") && !strings.HasSuffix(s, " ") {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

// splitFormFeeds splits text into pages at form feeds, the page separator
// of plain text and of pdftotext's output.
func splitFormFeeds(s string, extractor string) []PageText {
	parts := strings.Split(s, "\f")
	if len(parts) > 1 && strings.TrimSpace(parts[len(parts)-1]) == "" {
		parts = parts[:len(parts)-1]
	}
	pages := make([]PageText, len(parts))
	for i, p := range parts {
		pages[i] = PageText{Text: strings.TrimSpace(p), Extractor: extractor}
	}
	return pages
}
