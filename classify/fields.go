package classify

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// fields captures the winning rule's fields: the first match of each in
// its scope.
func (p *prepared) fields(r *Rule) []Field {
	return p.capture(r.Fields, r.Where, nil)
}

// capture captures fields, each searched where its own where (else the
// given one) says; with have, a name captured already is skipped and an
// earlier field of the list wins over a later one of the same name.
func (p *prepared) capture(fields []FieldRule, defWhere Where, have map[string]bool) []Field {
	out := []Field{}
	for i := range fields {
		fr := &fields[i]
		if have != nil && have[fr.Name] {
			continue
		}
		m := Match{re: fr.re}
		where := defWhere
		if fr.Where != nil {
			where = *fr.Where
		}
		e, ok := p.find(&m, where)
		if !ok {
			continue
		}
		raw := e.Text
		if idx := fr.re.SubexpIndex("value"); idx > 0 {
			sm := fr.re.FindStringSubmatch(e.Text)
			if sm != nil && sm[idx] != "" {
				e.Offset += utf8.RuneCountInString(e.Text[:strings.Index(e.Text, sm[idx])])
				raw = sm[idx]
			}
		}
		f := Field{Name: fr.Name, Type: fr.Type, Raw: raw, Page: e.Page, Offset: e.Offset}
		if f.Type == "" {
			f.Type = "text"
		}
		f.Value = Normalize(f.Type, raw)
		if have != nil {
			if f.Value == "" && f.Type != "text" {
				continue // not a value of its type: a later field may do better
			}
			have[fr.Name] = true
		}
		out = append(out, f)
	}
	return out
}

// commonFields captures the rule set's fields for every document, after
// those the deciding rule captured.
func (p *prepared) commonFields(rs *RuleSet, got []Field) []Field {
	if len(rs.Fields) == 0 {
		return got
	}
	have := map[string]bool{}
	for _, f := range got {
		have[f.Name] = true
	}
	return append(got, p.capture(rs.Fields, Where{}, have)...)
}

// Normalize turns a captured value into its typed form: dates become
// yyyy-mm-dd, amounts plain numbers, references and identifiers their
// canonical spelling. A value that does not parse gives "".
func Normalize(typ, raw string) string {
	s := strings.Join(strings.Fields(raw), " ")
	switch typ {
	case "date":
		return normalizeDate(s)
	case "amount":
		return normalizeAmount(s)
	case "reference":
		return strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	case "identifier":
		var sb strings.Builder
		for _, r := range strings.ToUpper(s) {
			if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' {
				sb.WriteRune(r)
			}
		}
		return sb.String()
	}
	return s
}

var (
	dmyRE     = regexp.MustCompile(`^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$`)
	ymdRE     = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)
	viDateRE  = regexp.MustCompile(`(?i)^(?:ngày\s+)?(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})$`)
	enDateRE  = regexp.MustCompile(`(?i)^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$`)
	enDate2RE = regexp.MustCompile(`(?i)^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$`)
)

var months = map[string]int{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
	"jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
	"oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

func normalizeDate(s string) string {
	var y, m, d int
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	switch {
	case dmyRE.MatchString(s):
		p := dmyRE.FindStringSubmatch(s)
		d, m, y = atoi(p[1]), atoi(p[2]), atoi(p[3])
	case ymdRE.MatchString(s):
		p := ymdRE.FindStringSubmatch(s)
		y, m, d = atoi(p[1]), atoi(p[2]), atoi(p[3])
	case viDateRE.MatchString(s):
		p := viDateRE.FindStringSubmatch(s)
		d, m, y = atoi(p[1]), atoi(p[2]), atoi(p[3])
	case enDateRE.MatchString(s):
		p := enDateRE.FindStringSubmatch(s)
		m, d, y = months[strings.ToLower(p[1])], atoi(p[2]), atoi(p[3])
	case enDate2RE.MatchString(s):
		p := enDate2RE.FindStringSubmatch(s)
		d, m, y = atoi(p[1]), months[strings.ToLower(p[2])], atoi(p[3])
	default:
		return ""
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || t.Day() != d || y < 1900 || y > 2200 {
		return ""
	}
	return t.Format("2006-01-02")
}

// normalizeAmount reads Vietnamese (1.234.567,5) and English (1,234,567.5)
// number formats; a currency word or sign around it is ignored.
func normalizeAmount(s string) string {
	var num strings.Builder
	started := false
	for _, r := range s {
		if r >= '0' && r <= '9' || (started && (r == '.' || r == ',' || r == ' ')) {
			num.WriteRune(r)
			started = true
		} else if started {
			break
		}
	}
	n := strings.TrimRight(strings.ReplaceAll(num.String(), " ", ""), ".,")
	if n == "" {
		return ""
	}
	dots, commas := strings.Count(n, "."), strings.Count(n, ",")
	lastDot, lastComma := strings.LastIndex(n, "."), strings.LastIndex(n, ",")
	var intPart, frac string
	switch {
	case dots > 0 && commas > 0 && lastComma > lastDot: // 1.234.567,50
		intPart, frac = strings.ReplaceAll(n[:lastComma], ".", ""), n[lastComma+1:]
	case dots > 0 && commas > 0: // 1,234,567.50
		intPart, frac = strings.ReplaceAll(n[:lastDot], ",", ""), n[lastDot+1:]
	case dots > 1 || (dots == 1 && len(n)-lastDot-1 == 3): // 135.000.000 or 12.500
		intPart = strings.ReplaceAll(n, ".", "")
	case commas > 1 || (commas == 1 && len(n)-lastComma-1 == 3): // 12,500,000
		intPart = strings.ReplaceAll(n, ",", "")
	case dots == 1:
		intPart, frac = n[:lastDot], n[lastDot+1:]
	case commas == 1:
		intPart, frac = n[:lastComma], n[lastComma+1:]
	default:
		intPart = n
	}
	if _, err := strconv.ParseUint(intPart, 10, 64); err != nil {
		return ""
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	frac = strings.TrimRight(frac, "0")
	if frac != "" {
		return fmt.Sprintf("%s.%s", intPart, frac)
	}
	return intPart
}
