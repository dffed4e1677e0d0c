package classify

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/unicode/norm"
)

func mustParse(t *testing.T, src string) *RuleSet {
	t.Helper()
	rs, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

const testRules = `
types:
  - {id: permit, name: Permit, department: one-stop}
  - {id: land, name: Land, department: land}
  - {id: letter, name: Letter}
rules:
  - id: land
    type: land
    priority: 20
    all: ["quyền sử dụng đất"]
    none: ["dự thảo"]
    tags: [land]
  - id: permit
    type: permit
    priority: 10
    where: first_page
    any: ["giấy phép", {fuzzy: "licence", distance: 1}]
    fields:
      - {name: date, type: date, regex: '(?i)ngày\s+(?P<value>\d{1,2}/\d{1,2}/\d{4})'}
  - id: exact
    type: letter
    priority: 5
    all: [{phrase: "Hồ sơ", exact: true}]
  - id: english-letter
    type: letter
    priority: 4
    language: en
    all: ["dear"]
`

func TestClassifyMatching(t *testing.T) {
	rs := mustParse(t, testRules)
	tests := []struct {
		name  string
		pages []string
		want  string
	}{
		{"diacritics ignored", []string{"GIAY PHEP so 12"}, "permit"},
		{"decomposed input", []string{norm.NFD.String("Giấy phép xây dựng")}, "permit"},
		{"precedence", []string{"Giấy phép ... quyền sử dụng đất"}, "land"},
		{"none blocks", []string{"Dự thảo: quyền sử dụng đất; giấy phép"}, "permit"},
		{"first page only", []string{"trang một", "giấy phép"}, Unclassified},
		{"fuzzy", []string{"Business licenc no. 5"}, "permit"},
		{"whole words", []string{"giấy phépx"}, Unclassified},
		{"exact keeps diacritics", []string{"Hồ sơ"}, "letter"},
		{"exact refuses folded", []string{"Ho so"}, Unclassified},
		{"language condition", []string{"Dear Sir"}, "letter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rs.Classify(Document{Pages: tt.pages, Language: "en"}).Type; got != tt.want {
				t.Errorf("Classify(%q) = %s, want %s", tt.pages, got, tt.want)
			}
		})
	}
}

func TestExplanation(t *testing.T) {
	rs := mustParse(t, testRules)
	res := rs.Classify(Document{Pages: []string{"Ủy ban cấp Giấy phép, ngày 5/7/2024.", "Cấp quyền sử dụng đất cho hộ gia đình."}})
	if res.Type != "land" || res.Department != "land" || res.Rule != "land" || !cmp.Equal(res.Tags, []string{"land"}) {
		t.Fatalf("result %+v", res)
	}
	want := []Evidence{
		{Condition: `all: phrase "quyền sử dụng đất"`, Text: "quyền sử dụng đất", Page: 2, Offset: 4},
		{Condition: `none: phrase "dự thảo"`},
	}
	if diff := cmp.Diff(want, res.Explanation.Matches); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	if ru := res.Explanation.RunnerUp; ru == nil || ru.Rule != "permit" || !ru.Matched {
		t.Errorf("runner-up %+v, want the permit rule", ru)
	}
	if !strings.Contains(res.Explanation.Summary, `"quyền sử dụng đất" on page 2`) {
		t.Errorf("summary %q", res.Explanation.Summary)
	}
	// The permit rule wins without the land words, and captures its field.
	res = rs.Classify(Document{Pages: []string{"Giấy phép cấp ngày 5/7/2024"}})
	if diff := cmp.Diff([]Field{{Name: "date", Type: "date", Value: "2024-07-05", Raw: "5/7/2024", Page: 1, Offset: 19}}, res.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	// Nothing claims it: unclassified, never guessed.
	res = rs.Classify(Document{Pages: []string{"Biên bản họp"}})
	if res.Type != Unclassified || res.Rule != "" || res.Explanation.Summary == "" {
		t.Errorf("unclaimed document: %+v", res)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ typ, in, want string }{
		{"date", "05/07/2018", "2018-07-05"},
		{"date", "2018-7-5", "2018-07-05"},
		{"date", "ngày 5 tháng 7 năm 2018", "2018-07-05"},
		{"date", "July 5, 2018", "2018-07-05"},
		{"date", "5 July 2018", "2018-07-05"},
		{"date", "31/02/2018", ""},
		{"amount", "135.000.000 đồng", "135000000"},
		{"amount", "12,500,000 VND", "12500000"},
		{"amount", "1.234.567,50", "1234567.5"},
		{"amount", "1,234,567.50", "1234567.5"},
		{"amount", "12.500", "12500"},
		{"amount", "3,5 triệu", "3.5"},
		{"reference", "123/2024/ QĐ-UBND", "123/2024/QĐ-UBND"},
		{"identifier", "0012 3456-789", "00123456789"},
		{"text", "  a   b ", "a b"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.typ, tt.in); got != tt.want {
			t.Errorf("Normalize(%s, %q) = %q, want %q", tt.typ, tt.in, got, tt.want)
		}
	}
}

func TestFoldOffsets(t *testing.T) {
	for _, s := range []string{"Quyết  định\tsố 12", norm.NFD.String("Đơn đề nghị"), "ǅ ﬁ x"} {
		f := fold(s, false)
		if len(f.orig) != len(f.text)+1 {
			t.Fatalf("fold(%q): %d offsets for %d bytes", s, len(f.orig), len(f.text))
		}
		for i := 1; i < len(f.orig); i++ {
			if f.orig[i] < f.orig[i-1] || f.orig[i] > len(s) {
				t.Fatalf("fold(%q): offsets not monotonic: %v", s, f.orig)
			}
		}
	}
	if got := fold("ĐƠN ĐỀ NGHỊ", false).text; got != "don de nghi" {
		t.Errorf("fold = %q", got)
	}
}

func FuzzClassify(f *testing.F) {
	rs := DefaultRules()
	f.Add("QUYẾT ĐỊNH\nSố: 12/2024/QĐ-UBND ngày 5 tháng 7 năm 2024")
	f.Add(norm.NFD.String("Đơn đề nghị cấp giấy phép xây dựng"))
	f.Fuzz(func(t *testing.T, s string) {
		res := rs.Classify(Document{Filename: s, Pages: []string{s, s}})
		if res.Type == "" || (res.Type != Unclassified && res.Rule == "") {
			t.Fatalf("Classify: %+v", res)
		}
		for _, e := range res.Explanation.Matches {
			if e.Text != "" && !strings.Contains(norm.NFC.String(s), e.Text) {
				t.Fatalf("evidence %q is not in the text", e.Text)
			}
		}
	})
}

func TestLanguageCondition(t *testing.T) {
	rs := mustParse(t, testRules)
	if got := rs.Classify(Document{Pages: []string{"Dear Sir"}, Language: "vi"}).Type; got != Unclassified {
		t.Errorf("an English-only rule claimed a Vietnamese document: %s", got)
	}
	if _, err := Parse([]byte("types: [{id: a}]\nrules:\n  - {id: r, type: a, language: fr, all: [x]}\n")); err == nil || !strings.Contains(err.Error(), "language must be vi or en") {
		t.Errorf("language fr: %v", err)
	}
}

func TestRedFlags(t *testing.T) {
	rs := DefaultRules()
	got := rs.RedFlags(Document{Pages: []string{"Đề nghị ông bà chuyển tiền vào tài khoản cá nhân của cán bộ để được giải quyết nhanh."}})
	if len(got) != 1 || got[0].ID != "personal-account-payment" || got[0].Severity != "high" || got[0].Evidence[0].Text != "chuyển tiền vào tài khoản cá nhân" {
		t.Errorf("red flags %+v", got)
	}
	if got := rs.RedFlags(Document{Pages: []string{"Nộp lệ phí tại bộ phận một cửa theo quy định."}}); len(got) != 0 {
		t.Errorf("a clean document raised %+v", got)
	}
	_, err := Parse([]byte("types: [{id: a}]\nrules: []\npatterns:\n  - {id: p, flag: red_flag, severity: urgent, any: [x]}\n"))
	if err == nil || !strings.Contains(err.Error(), "severity must be low, medium or high") || !strings.Contains(err.Error(), "needs a message") {
		t.Errorf("bad pattern: %v", err)
	}
}

// A catch-all is written as the rule of the lowest priority: wherever it
// stands in the file, it claims only what no other rule holds, and a
// document its own condition misses stays unclassified.
func TestCatchAllRule(t *testing.T) {
	rs := mustParse(t, `
types:
  - {id: decree}
  - {id: other}
rules:
  - id: other-numbered
    type: other
    priority: 1
    where: {first_chars: 400}
    any: [{regex: '(?m)^Số:[ \t]*\S'}]
  - id: decree-number
    type: decree
    priority: 80
    where: {first_chars: 400}
    any: [{regex: '(?m)^Số:\s*\S*NĐ-CP\s*$'}]
`)
	tests := []struct{ text, want string }{
		{"CHÍNH PHỦ\nSố: 43/2014/NĐ-CP\n\nNghị định về đất đai", "decree"},
		{"BAN CHỈ ĐẠO\nSố: 02-QĐ/BCĐ\n\nQuy chế làm việc", "other"},
		{"Hiến pháp năm 1992, không có số", Unclassified},
	}
	for _, tt := range tests {
		res := rs.Classify(Document{Pages: []string{tt.text}})
		if res.Type != tt.want {
			t.Errorf("Classify(%q) = %s, want %s", tt.text, res.Type, tt.want)
		}
		// Every numbered document another rule typed names the catch-all
		// as its runner-up: it matched too.
		if tt.want == "decree" {
			if ru := res.Explanation.RunnerUp; ru == nil || ru.Rule != "other-numbered" || !ru.Matched {
				t.Errorf("runner-up %+v, want the catch-all", ru)
			}
		}
	}
}

func TestFoldRune(t *testing.T) {
	for _, tc := range []struct {
		r    rune
		want string
	}{
		{'A', "a"}, {'Đ', "d"}, {'đ', "d"}, {'Ế', "e"}, {'ư', "u"}, {'Ợ', "o"},
		{'ỹ', "y"}, {'\u0301', ""}, {'ß', "ß"}, {'Ω', "ω"}, {'ά', "α"}, {'Ｂ', "ｂ"},
	} {
		if got := foldRune(tc.r); got != tc.want {
			t.Errorf("foldRune(%q) = %q, want %q", tc.r, got, tc.want)
		}
	}
}
