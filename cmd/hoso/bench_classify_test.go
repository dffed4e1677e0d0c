package main

import (
	"os"
	"path/filepath"
	"testing"

	"hoso/classify"
)

// TestVilegalRules checks the benchmark's rule set on documents written
// for the test: the number in the rebuilt header decides, the issuer line
// tells an old law from an old ordinance, and a bare text that names its
// own kind is typed without its header.
func TestVilegalRules(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join("testdata", "vilegal-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := classify.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	header := func(issuer, id, text string) string {
		return labelledRow{id: id, issuer: issuer, text: text}.withHeader()
	}
	body := "Điều 3. Các cơ quan, đơn vị có trách nhiệm tổ chức thực hiện."
	for _, tc := range []struct {
		name, text, want string
	}{
		{"decree number", header("CHÍNH PHỦ", "15/2020/NĐ-CP", body), "decree"},
		{"circular number", header("BỘ TÀI CHÍNH", "78/2014/TT-BTC", body), "circular"},
		{"decision number", header("ỦY BAN NHÂN DÂN TỈNH AN GIANG", "1140/QĐ-UBND", body), "decision"},
		{"resolution number", header("HỘI ĐỒNG NHÂN DÂN TỈNH LÀO CAI", "03/2019/NQ-HĐND", body), "resolution"},
		{"law number", header("QUỐC HỘI", "45/2019/QH14", body), "law"},
		{"ordinance number", header("ỦY BAN THƯỜNG VỤ QUỐC HỘI", "16/2004/PL-UBTVQH11", body), "ordinance"},
		{"committee ordinance without PL", header("ỦY BAN THƯỜNG VỤ QUỐC HỘI", "09/2014/UBTVQH13", body), "ordinance"},
		{"old law by the Assembly", header("QUỐC HỘI", "44-L/CTN", body), "law"},
		{"old law, dash before CTN", header("QUỐC HỘI", "58/L-CTN", body), "law"},
		{"old ordinance by the Standing Committee", header("THE STANDING COMMITTEE OF NATIONAL ASSEMBLY", "41-L/CTN", body), "ordinance"},
		{"old ordinance by the Council of State", header("THE STATE COUNCIL", "13-LCT/HĐNN8", body), "ordinance"},
		{"constitution", header("QUỐC HỘI", "HP1992", body), "other"},
		{"bare circular", "Điều 5. Thông tư này có hiệu lực kể từ ngày 01 tháng 7 năm 2021.", "circular"},
		{"bare decree, no diacritics", "Nghi dinh nay co hieu luc thi hanh ke tu ngay ky.", "decree"},
		{"bare English law", "Article 89. This Law takes effect on 1 January 2006.", "law"},
		{"bare council resolution", "Hội đồng nhân dân tỉnh giao Ủy ban nhân dân tỉnh tổ chức thực hiện.", "resolution"},
		{"bare text naming no kind", body, "unclassified"},
		{"unknown number", header("BỘ XÂY DỰNG", "02/VBHN-BXD", body), "unclassified"},
	} {
		if got := rules.Classify(classify.Document{Pages: []string{tc.text}}).Type; got != tc.want {
			t.Errorf("%s: Classify = %q, want %q", tc.name, got, tc.want)
		}
	}
}
