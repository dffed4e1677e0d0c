package extract

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// languageSample is how much of a document's text, from its start,
// decides its language: enough for the word counts to settle, and a
// thousand-page document costs no more than a short one.
const languageSample = 20000

// documentLanguage is the language of the document's first pages.
func documentLanguage(pages []PageText) string {
	var all strings.Builder
	for _, p := range pages {
		if all.Len() > languageSample {
			break
		}
		all.WriteString(p.Text)
		all.WriteByte('\n')
	}
	return Language(all.String())
}

// Language tells Vietnamese ("vi") from English ("en") text: by the share
// of letters with Vietnamese marks, and for text without marks by common
// words of each language. "" when it cannot tell.
func Language(text string) string {
	text = norm.NFC.String(text)
	var letters, vi int
	for _, r := range text {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		if (r >= 0x1ea0 && r <= 0x1ef9) || strings.ContainsRune("đĐơƠưƯăĂâÂêÊôÔ", r) {
			vi++
		}
	}
	if letters < 20 {
		return ""
	}
	if vi*100 > letters*3 {
		return "vi"
	}
	var enWords, viWords int
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		switch w {
		case "the", "of", "and", "to", "in", "for", "on", "is", "with", "by", "this", "that", "are", "be", "from", "at":
			enWords++
		case "va", "cua", "cac", "la", "co", "nhung", "duoc", "cho", "trong", "ngay", "thang", "nam", "tai", "ve", "theo", "so", "viec":
			viWords++
		}
	}
	switch {
	case enWords >= 2 && enWords > viWords:
		return "en"
	case viWords > enWords || vi > 0:
		return "vi"
	case enWords > 0:
		return "en"
	}
	return ""
}
