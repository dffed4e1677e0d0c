// Package detect finds patterns in documents: identifiers (citizen IDs,
// phone numbers, e-mail, tax codes, IBANs, bank accounts, vehicle plates,
// document reference numbers), normalized and validated. Pure logic: no
// queue, no SQL.
package detect

import (
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"hoso/pipeline"
)

// Identifier kinds.
const (
	KindCitizenID   = "citizen_id" // 12-digit CCCD
	KindOldID       = "old_id"     // 9-digit CMND
	KindPhone       = "phone"
	KindEmail       = "email"
	KindTaxCode     = "tax_code"
	KindIBAN        = "iban"
	KindBankAccount = "bank_account"
	KindPlate       = "plate"
	KindReference   = "reference"
)

// IdentifiersVersion changes whenever what Identifiers finds changes.
const IdentifiersVersion = 1

// Identifier is one identifier found in a document.
type Identifier = pipeline.Identifier

// provinces are the codes that open a CCCD number (Circular 07/2016/TT-BCA).
var provinces = map[string]bool{}

func init() {
	for _, c := range strings.Fields(`001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038
		040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 083 084 086 087 089
		091 092 093 094 095 096`) {
		provinces[c] = true
	}
}

var (
	digitsRE    = regexp.MustCompile(`\d+`)
	phoneRE     = regexp.MustCompile(`(?:\+84|\(\+84\)|0084|0)[\s.\-]?\d{1,3}(?:[\s.\-]?\d){6,8}`)
	emailRE     = regexp.MustCompile(`(?i)[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,24}`)
	ibanRE      = regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`)
	plateRE     = regexp.MustCompile(`\b(\d{2})([A-Z]{1,2}\d?)\s?[-.]?\s?(\d{3}\.\d{2}|\d{4,5})\b`)
	referenceRE = regexp.MustCompile(`\b\d{1,5}/(?:\d{4}/)?[\p{Lu}Đ]{1,8}(?:-[\p{Lu}Đ0-9]{1,10}){0,3}\b`)
	bankWordsRE = regexp.MustCompile(`(?i)(?:số tài khoản|tài khoản số|stk|account (?:number|no\.?)|a/c(?: no\.?)?|tk số)\s*:?\s*`)
	accountRE   = regexp.MustCompile(`^\d[\d\s.\-]{6,24}\d`)
	oldIDWordRE = regexp.MustCompile(`(?i)(?:cmnd|cmtnd|chứng minh nhân dân|chứng minh thư|identity card|id card)(?:\s*(?:số|no\.?|number))?\s*:?\s*`)
)

// Identifiers finds the identifiers on the pages, each once per place.
func Identifiers(pages []string) []Identifier {
	var out []Identifier
	for i, p := range pages {
		p = norm.NFC.String(p)
		out = append(out, pageIdentifiers(p, i+1)...)
	}
	return out
}

type finding struct {
	start, end int
	id         Identifier
}

// addFunc records a finding: its span in the text, its kind and its
// normalized value.
type addFunc func(start, end int, kind, value string)

// detectors find identifiers in a page's text, in this order: where two
// findings start at the same place and are as long, the earlier detector's
// wins.
var detectors = []func(text string, add addFunc){digitRuns, oldIDs, phones, emails, ibans, bankAccounts, plates, references}

// digitRuns finds citizen IDs and tax codes: runs of digits standing alone.
func digitRuns(text string, add addFunc) {
	for _, m := range digitsRE.FindAllStringIndex(text, -1) {
		s := text[m[0]:m[1]]
		switch {
		case len(s) == 12 && alone(text, m[0], m[1]) && validCitizenID(s):
			add(m[0], m[1], KindCitizenID, s)
		case len(s) == 10 && validTaxCode(s) && !looksLikePhone(s):
			// A branch's tax code carries three more digits: 0100109106-001.
			end := m[1]
			if end+4 <= len(text) && text[end] == '-' && isDigits(text[end+1:end+4]) {
				end += 4
			}
			if alone(text, m[0], end) {
				add(m[0], end, KindTaxCode, text[m[0]:end])
			}
		}
	}
}

// oldIDs finds old 9-digit IDs, only where the text says so: nine digits alone
// are too common.
func oldIDs(text string, add addFunc) {
	for _, m := range oldIDWordRE.FindAllStringIndex(text, -1) {
		rest := text[m[1]:]
		if loc := digitsRE.FindStringIndex(rest); loc != nil && loc[0] == 0 && loc[1] == 9 && alone(text, m[1], m[1]+9) {
			add(m[1], m[1]+9, KindOldID, rest[:9])
		}
	}
}

// phones finds phone numbers standing alone.
func phones(text string, add addFunc) {
	for _, m := range phoneRE.FindAllStringIndex(text, -1) {
		if !alone(text, m[0], m[1]) {
			continue
		}
		if v, ok := normalizePhone(text[m[0]:m[1]]); ok {
			add(m[0], m[1], KindPhone, v)
		}
	}
}

// emails finds e-mail addresses.
func emails(text string, add addFunc) {
	for _, m := range emailRE.FindAllStringIndex(text, -1) {
		add(m[0], m[1], KindEmail, strings.ToLower(text[m[0]:m[1]]))
	}
}

// ibans finds IBANs with a valid checksum.
func ibans(text string, add addFunc) {
	for _, m := range ibanRE.FindAllStringIndex(text, -1) {
		v := strings.ReplaceAll(text[m[0]:m[1]], " ", "")
		if validIBAN(v) {
			add(m[0], m[1], KindIBAN, v)
		}
	}
}

// bankAccounts finds bank account numbers after the words that announce them.
func bankAccounts(text string, add addFunc) {
	for _, m := range bankWordsRE.FindAllStringIndex(text, -1) {
		rest := text[m[1]:min(len(text), m[1]+40)]
		loc := accountRE.FindStringIndex(rest)
		if loc == nil {
			continue
		}
		v := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, rest[loc[0]:loc[1]])
		if len(v) >= 8 && len(v) <= 19 && alone(text, m[1]+loc[0], m[1]+loc[1]) {
			add(m[1]+loc[0], m[1]+loc[1], KindBankAccount, v)
		}
	}
}

// plates finds vehicle plates of a known province.
func plates(text string, add addFunc) {
	for _, m := range plateRE.FindAllStringSubmatchIndex(text, -1) {
		prov, _ := strconv.Atoi(text[m[2]:m[3]])
		if prov < 11 || prov > 99 || !alone(text, m[0], m[1]) {
			continue
		}
		num := strings.ReplaceAll(text[m[6]:m[7]], ".", "")
		add(m[0], m[1], KindPlate, text[m[2]:m[3]]+text[m[4]:m[5]]+"-"+num)
	}
}

// references finds reference numbers of documents (12/2024/QĐ-UBND).
func references(text string, add addFunc) {
	for _, m := range referenceRE.FindAllStringIndex(text, -1) {
		if !alone(text, m[0], m[1]) {
			continue
		}
		add(m[0], m[1], KindReference, strings.ToUpper(text[m[0]:m[1]]))
	}
}

func pageIdentifiers(text string, page int) []Identifier {
	var fs []finding
	add := func(start, end int, kind, value string) {
		fs = append(fs, finding{start, end, Identifier{Kind: kind, Value: value, Raw: text[start:end], Page: page}})
	}
	for _, detect := range detectors {
		detect(text, add)
	}
	// Where two findings overlap, the one that starts first and is longer
	// wins, and a checked kind beats a pattern.
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].start != fs[j].start {
			return fs[i].start < fs[j].start
		}
		return fs[i].end-fs[i].start > fs[j].end-fs[j].start
	})
	// Offsets count characters; the findings come in order, so each count
	// goes on from the previous one and a page is read once, not once per
	// finding.
	var out []Identifier
	lastEnd, counted, runes := -1, 0, 0
	for _, f := range fs {
		if f.start < lastEnd {
			continue
		}
		runes += utf8.RuneCountInString(text[counted:f.start])
		counted = f.start
		f.id.Offset = runes
		out = append(out, f.id)
		lastEnd = f.end
	}
	return out
}

// alone reports that text[start:end] is not part of a longer run of
// digits or letters.
func alone(text string, start, end int) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(text[:start])
		if unicode.IsDigit(r) || unicode.IsLetter(r) {
			return false
		}
		// "12.345.678" or "0912-345" continuing a number before it.
		if (r == '.' || r == ',' || r == '/' || r == '-') && start > 1 && isDigitByte(text[start-2]) {
			return false
		}
	}
	if end < len(text) {
		r, _ := utf8.DecodeRuneInString(text[end:])
		if unicode.IsDigit(r) || unicode.IsLetter(r) {
			return false
		}
		if (r == '.' || r == ',' || r == '/' || r == '-') && end+1 < len(text) && isDigitByte(text[end+1]) {
			return false
		}
	}
	return true
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigitByte(s[i]) {
			return false
		}
	}
	return s != ""
}

// validCitizenID checks a 12-digit CCCD: a province code, then a digit
// for century and sex, then the two last digits of the birth year, which
// must not lie in the future.
func validCitizenID(s string) bool {
	if len(s) != 12 || !isDigits(s) || !provinces[s[:3]] {
		return false
	}
	century := 1900 + 100*int((s[3]-'0')/2)
	year := century + int(s[4]-'0')*10 + int(s[5]-'0')
	return year <= time.Now().Year()
}

// validTaxCode checks a 10-digit Vietnamese tax code's check digit.
func validTaxCode(s string) bool {
	if len(s) != 10 || !isDigits(s) {
		return false
	}
	weights := [9]int{31, 29, 23, 19, 17, 13, 7, 5, 3}
	sum := 0
	for i, w := range weights {
		sum += w * int(s[i]-'0')
	}
	check := 10 - sum%11
	return check < 10 && check == int(s[9]-'0')
}

var mobilePrefixes = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`32 33 34 35 36 37 38 39 52 55 56 58 59 70 76 77 78 79 81 82 83 84 85 86 87 88 89 90 91 92 93 94 96 97 98 99`) {
		mobilePrefixes[p] = true
	}
}

// looksLikePhone reports a 10-digit run that is a mobile number.
func looksLikePhone(s string) bool {
	return len(s) == 10 && s[0] == '0' && mobilePrefixes[s[1:3]]
}

// normalizePhone turns a Vietnamese number into E.164 (+84…): mobiles are
// nine digits after the country code, landlines ten beginning with 2.
func normalizePhone(raw string) (string, bool) {
	var sb strings.Builder
	for _, r := range raw {
		if r >= '0' && r <= '9' {
			sb.WriteRune(r)
		}
	}
	d := sb.String()
	switch {
	case strings.HasPrefix(raw, "+84") || strings.HasPrefix(raw, "(+84)"):
		d = strings.TrimPrefix(d, "84")
	case strings.HasPrefix(d, "0084"):
		d = d[4:]
	case strings.HasPrefix(d, "0"):
		d = d[1:]
	default:
		return "", false
	}
	switch {
	case len(d) == 9 && mobilePrefixes[d[:2]]:
	case len(d) == 10 && d[0] == '2':
	default:
		return "", false
	}
	return "+84" + d, true
}

// validIBAN checks the mod-97 checksum.
func validIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	r := s[4:] + s[:4]
	var sb strings.Builder
	for _, c := range r {
		switch {
		case c >= '0' && c <= '9':
			sb.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			sb.WriteString(strconv.Itoa(int(c-'A') + 10))
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(sb.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}
