package detect

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// largeDocument is a one-page text of about n bytes, Vietnamese prose
// with a phone number or a reference number every sentence or two, and
// the identifiers it holds with the character offset of each.
func largeDocument(n int) (string, []Identifier) {
	prose := strings.Fields(`căn cứ nghị định quyết định ủy ban nhân dân tỉnh Quảng Ninh về việc
		thành lập phường Hải Hoà thị xã Móng Cái có hiệu lực thi hành sau ngày đăng công báo`)
	r := rand.New(rand.NewPCG(4, 16))
	var b strings.Builder
	var want []Identifier
	runes := 0
	write := func(s string) {
		b.WriteString(s)
		runes += utf8.RuneCountInString(s)
	}
	for b.Len() < n {
		for range 5 + r.IntN(20) {
			write(prose[r.IntN(len(prose))] + " ")
		}
		var id Identifier
		if r.IntN(2) == 0 {
			d := fmt.Sprintf("%07d", r.IntN(1e7))
			id = Identifier{Kind: KindPhone, Raw: "091" + d, Value: "+8491" + d}
		} else {
			id = Identifier{Kind: KindReference, Raw: fmt.Sprintf("%d/%d/NĐ-CP", 1+r.IntN(999), 1990+r.IntN(35))}
			id.Value = strings.ToUpper(id.Raw)
		}
		id.Page, id.Offset = 1, runes
		want = append(want, id)
		write(id.Raw + ". ")
	}
	return b.String(), want
}

// TestIdentifiersLargeDocument: every identifier of a document of several
// MB is found at its character offset. Offsets were once counted from the
// start of the page for each identifier, which took quadratic time: 14 s
// for a 3 MB register with 3,000 reference numbers, past the detect
// stage's time limit on a busy machine (BenchmarkIdentifiersLarge shows
// the time now grows with the text).
func TestIdentifiersLargeDocument(t *testing.T) {
	text, want := largeDocument(4 << 20)
	got := Identifiers([]string{text})
	if len(got) != len(want) {
		t.Fatalf("Identifiers found %d identifiers in %d MB, want %d", len(got), len(text)>>20, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("identifier %d of %d: %+v, want %+v", i, len(want), got[i], want[i])
		}
	}
}

// BenchmarkIdentifiersLarge: the time to find the identifiers of one
// page grows linearly with the page.
func BenchmarkIdentifiersLarge(b *testing.B) {
	for _, mb := range []int{1, 2, 4} {
		text, _ := largeDocument(mb << 20)
		b.Run(strconv.Itoa(mb)+"MB", func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				Identifiers([]string{text})
			}
		})
	}
}
