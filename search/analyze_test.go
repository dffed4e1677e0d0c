package search

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestWords(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // exact/fold@pos
	}{
		{"Quyết định số 42", "quyết/quyet@1 định/dinh@2 số/so@3 42/42@4"},
		{norm.NFD.String("Thanh Hóa"), "thanh/thanh@1 hóa/hoa@2"},
		{"ĐỒNG Nai", "đồng/dong@1 nai/nai@2"},
		{"Hết. Mới", "hết/het@1 mới/moi@3"},             // a sentence ends: positions jump
		{"TP.HCM 3.5", "tp/tp@1 hcm/hcm@2 3/3@3 5/5@4"}, // no space after the stop
		{"a;b\fc", "a/a@1 b/b@3 c/c@5"},
		{"北京市", "北/北@1 京/京@2 市/市@3"},
		{"café naïve", "café/cafe@1 naïve/naive@2"},
		{strings.Repeat("x", maxTokenBytes+1) + " y", "y/y@1"},
	} {
		var got []string
		for _, w := range words(tt.in) {
			got = append(got, fmt.Sprintf("%s/%s@%d", w.exact, w.fold, w.pos))
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("words(%q) = %s, want %s", tt.in, g, tt.want)
		}
	}
}

func TestAnalyzeFields(t *testing.T) {
	f := analyze("Giấy phép xây dựng. Số 56/2007/NĐ-CP", false)
	terms := func(ts []string) string { return strings.Join(ts, "|") }
	var aux, fold, ids []string
	for _, tk := range f.aux {
		aux = append(aux, string(tk.Term))
	}
	for _, tk := range f.fold {
		fold = append(fold, fmt.Sprintf("%s@%d", tk.Term, tk.Position))
	}
	for _, tk := range f.ids {
		ids = append(ids, string(tk.Term))
	}
	if got := terms(aux); got != "giấy|phép|xây|dựng|số|nđ" {
		t.Errorf("text_aux %s", got)
	}
	// the position jumps after the sentence: no phrase or pair of adjacent words reaches across it
	if got := terms(fold); got != "giay@1|phep@2|xay@3|dung@4|so@6|56@7|2007@8|nd@9|cp@10" {
		t.Errorf("text_fold %s", got)
	}
	if terms(ids) != "56/2007/nđ-cp" {
		t.Errorf("ids %s", terms(ids))
	}
	if len(f.en) != 0 {
		t.Errorf("a Vietnamese text has English stems: %d", len(f.en))
	}
	en := analyze("The permits were issued", true)
	var stems []string
	for _, tk := range en.en {
		stems = append(stems, string(tk.Term))
	}
	if terms(stems) != "the|permit|were|issu" {
		t.Errorf("stems %s", terms(stems))
	}
}

func TestIDTokens(t *testing.T) {
	for in, want := range map[string]string{
		"số 56/2007/NĐ-CP ngày":  "56/2007/nđ-cp",
		"gọi 0912.345.678.":      "0912.345.678",
		"CCCD 079203001234":      "079203001234",
		"năm 2024 và QĐ-UBND":    "qđ-ubnd",
		"a - b / c":              "",
		"+84912345678":           "84912345678",
		"mã HS-2024-000123 cuối": "hs-2024-000123",
	} {
		var got []string
		for _, tk := range idTokens(in) {
			got = append(got, string(tk.Term))
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("idTokens(%q) = %q, want %q", in, g, want)
		}
	}
}

// FuzzFold: the highlighter's one-pass folding agrees with the index's
// two steps, and every word the scanner finds is folded to something.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"Quyết Định", norm.NFD.String("Thanh Hóa"), "ĐỒNG café ÆØ ß", "北京 Ωmega", "x\u0301y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want [][3]string
		scan(s, func(start, end, pos int) {
			w := s[start:end]
			one := string(appendLowerFold(nil, w))
			two := string(appendFold(nil, appendExact(nil, w)))
			if one != two {
				t.Errorf("word %q: one pass %q, two steps %q", w, one, two)
			}
			want = append(want, [3]string{fmt.Sprint(start), fmt.Sprint(end), two})
		})
		var got [][3]string
		foldScan(s, nil, func(start, end int, fold []byte) {
			got = append(got, [3]string{fmt.Sprint(start), fmt.Sprint(end), string(fold)})
		})
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("foldScan(%q) = %v, scan gives %v", s, got, want)
		}
		// asked for words starting with some bytes, it finds those of them
		// and no other
		var first [256]bool
		for b := 'a'; b <= 'm'; b++ {
			first[b] = true
		}
		first['0'], first['5'], first[0xce] = true, true, true
		var some, wantSome [][3]string
		for _, w := range want {
			if w[2] != "" && first[w[2][0]] {
				wantSome = append(wantSome, w)
			}
		}
		foldScan(s, &first, func(start, end int, fold []byte) {
			some = append(some, [3]string{fmt.Sprint(start), fmt.Sprint(end), string(fold)})
		})
		if fmt.Sprint(some) != fmt.Sprint(wantSome) {
			t.Errorf("foldScan(%q) for a-m, 0, 5 and 0xce = %v, want %v", s, some, wantSome)
		}
	})
}
