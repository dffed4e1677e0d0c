package detect

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestChecksums(t *testing.T) {
	for s, want := range map[string]bool{
		"0100109106": true, "0101234567": false, "0300588569": true, "0000000000": false, "010010910": false,
	} {
		if got := validTaxCode(s); got != want {
			t.Errorf("validTaxCode(%s) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{
		"GB82WEST12345698765432": true, "GB82WEST12345698765433": false, "DE89370400440532013000": true, "XX00": false,
	} {
		if got := validIBAN(s); got != want {
			t.Errorf("validIBAN(%s) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{
		"079203001234": true, "001185012345": true, "999203001234": false, "079999001234": false, // born in 2099
		"07920300123": false,
	} {
		if got := validCitizenID(s); got != want {
			t.Errorf("validCitizenID(%s) = %v, want %v", s, got, want)
		}
	}
	for raw, want := range map[string]string{
		"0912 345 678": "+84912345678", "+84 912 345 678": "+84912345678", "(+84) 912.345.678": "+84912345678",
		"0084912345678": "+84912345678", "024 3825 1234": "+842438251234", "0112345678": "",
	} {
		got, ok := normalizePhone(raw)
		if got != want || ok != (want != "") {
			t.Errorf("normalizePhone(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
}

func TestIdentifiersInText(t *testing.T) {
	text := "Ông Nguyễn Văn An, CCCD số 079203001234, điện thoại 0912.345.678, email an.nguyen@ubnd.hanoi.gov.vn.\n" +
		"Công ty mã số thuế 0100109106-001, số tài khoản 0071 0012 34567 tại Vietcombank. Xe 29A-123.45.\n" +
		"Căn cứ Quyết định số 123/2024/QĐ-UBND ngày 12/05/2021; trang 3/12; số tiền 135.000.000 đồng; mã 01234567890123456789."
	got := Identifiers([]string{text})
	var kinds []string
	for _, id := range got {
		kinds = append(kinds, id.Kind+"="+id.Value)
	}
	want := []string{
		"citizen_id=079203001234", "phone=+84912345678", "email=an.nguyen@ubnd.hanoi.gov.vn",
		"tax_code=0100109106-001", "bank_account=0071001234567", "plate=29A-12345", "reference=123/2024/QĐ-UBND",
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("identifiers (-want +got):\n%s", diff)
	}
	if got[0].Raw != "079203001234" || got[0].Page != 1 || got[0].Offset != utf8.RuneCountInString(text[:strings.Index(text, "079")]) {
		t.Errorf("first identifier %+v", got[0])
	}
}

// fixture is a text with the identifiers planted in it.
type fixture struct {
	text string
	want []string // kind=value
}

func citizenID(r *rand.Rand) string {
	var codes []string
	for c := range provinces {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	code := codes[r.IntN(len(codes))]
	gender := r.IntN(4) // born 1900s or 2000s
	year := r.IntN(100)
	if gender >= 2 {
		year = r.IntN(20)
	}
	return fmt.Sprintf("%s%d%02d%06d", code, gender, year, r.IntN(1000000))
}

func taxCode(r *rand.Rand) string {
	for {
		s := fmt.Sprintf("%09d", r.IntN(1000000000))
		w := []int{31, 29, 23, 19, 17, 13, 7, 5, 3}
		sum := 0
		for i := range w {
			sum += w[i] * int(s[i]-'0')
		}
		if c := 10 - sum%11; c < 10 {
			s += strconv.Itoa(c)
			if !looksLikePhone(s) {
				return s
			}
		}
	}
}

func iban(r *rand.Rand) string {
	bban := fmt.Sprintf("%08d%010d", r.IntN(100000000), r.IntN(10000000000))
	for c := 2; c < 99; c++ {
		s := fmt.Sprintf("DE%02d%s", c, bban)
		if validIBAN(s) {
			return s
		}
	}
	panic("no check digits")
}

func labelledIdentifiers(n int) []fixture {
	r := rand.New(rand.NewPCG(5, 6))
	prefixes := []string{"32", "35", "38", "56", "70", "77", "81", "86", "90", "91", "96", "98"}
	var out []fixture
	for i := 0; i < n; i++ {
		var parts []string
		var want []string
		cid := citizenID(r)
		parts = append(parts, "Họ tên: Trần Thị Bình, số định danh cá nhân "+cid+".")
		want = append(want, "citizen_id="+cid)
		mob := prefixes[r.IntN(len(prefixes))] + fmt.Sprintf("%07d", r.IntN(10000000))
		var shown string
		switch i % 4 {
		case 0:
			shown = "0" + mob[:3] + " " + mob[3:6] + " " + mob[6:]
		case 1:
			shown = "+84 " + mob[:3] + " " + mob[3:6] + " " + mob[6:]
		case 2:
			shown = "0" + mob[:3] + "." + mob[3:6] + "." + mob[6:]
		default:
			shown = "0" + mob
		}
		parts = append(parts, "Điện thoại liên hệ: "+shown+".")
		want = append(want, "phone=+84"+mob)
		tc := taxCode(r)
		parts = append(parts, "Mã số thuế: "+tc+";")
		want = append(want, "tax_code="+tc)
		mail := fmt.Sprintf("nguoi.dan%d@example.vn", i)
		parts = append(parts, "Thư điện tử: "+mail)
		want = append(want, "email="+mail)
		acct := fmt.Sprintf("%013d", r.IntN(1000000000000))
		parts = append(parts, "Số tài khoản: "+acct+" tại ngân hàng.")
		want = append(want, "bank_account="+acct)
		ref := fmt.Sprintf("%d/%d/QĐ-UBND", 1+r.IntN(999), 2015+r.IntN(10))
		parts = append(parts, "Căn cứ Quyết định số "+ref+";")
		want = append(want, "reference="+ref)
		if i%3 == 0 {
			ib := iban(r)
			parts = append(parts, "IBAN "+ib[:4]+" "+ib[4:8]+" "+ib[8:12]+" "+ib[12:16]+" "+ib[16:20]+" "+ib[20:]+".")
			want = append(want, "iban="+ib)
		}
		if i%2 == 0 {
			pl := fmt.Sprintf("%d%c-%03d.%02d", 11+r.IntN(88), 'A'+rune(r.IntN(26)), r.IntN(1000), r.IntN(100))
			parts = append(parts, "Biển số xe: "+pl+".")
			want = append(want, "plate="+strings.Replace(pl, ".", "", 1))
		}
		if i%5 == 0 {
			old := fmt.Sprintf("0%08d", r.IntN(100000000))
			parts = append(parts, "CMND số "+old+" cấp năm 2005.")
			want = append(want, "old_id="+old)
		}
		// Traps: dates, amounts, page numbers, long digit runs, numbers
		// that look like phones or IDs but are not.
		parts = append(parts,
			fmt.Sprintf("Ngày %02d/%02d/%d, trang %d/%d.", 1+r.IntN(28), 1+r.IntN(12), 2000+r.IntN(25), 1+r.IntN(9), 10+r.IntN(9)),
			fmt.Sprintf("Số tiền %d.%03d.%03d đồng; diện tích %d,%d m².", 1+r.IntN(900), r.IntN(1000), r.IntN(1000), r.IntN(500), r.IntN(10)),
			fmt.Sprintf("Mã hồ sơ %020d; mã vạch %d%011d.", r.IntN(1000000000), 8, r.IntN(100000000000)),
			fmt.Sprintf("Số thứ tự 0%d%08d0.", 9, r.IntN(100000000)),
			fmt.Sprintf("Tổng số %d hồ sơ, %09d lượt truy cập.", r.IntN(9999), r.IntN(1000000000)),
		)
		r.Shuffle(len(parts), func(a, b int) { parts[a], parts[b] = parts[b], parts[a] })
		out = append(out, fixture{text: strings.Join(parts, "\n"), want: want})
	}
	return out
}

// TestIdentifierPrecisionRecall measures each kind on the labelled set;
// each must reach 0.95.
func TestIdentifierPrecisionRecall(t *testing.T) {
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	for _, f := range labelledIdentifiers(200) {
		want := map[string]int{}
		for _, w := range f.want {
			want[w]++
		}
		for _, id := range Identifiers([]string{f.text}) {
			k := id.Kind + "=" + id.Value
			if want[k] > 0 {
				want[k]--
				tp[id.Kind]++
			} else {
				fp[id.Kind]++
				t.Logf("false %s: %q in\n%s", id.Kind, id.Raw, f.text)
			}
		}
		for k, n := range want {
			if n > 0 {
				kind, _, _ := strings.Cut(k, "=")
				fn[kind] += n
				t.Logf("missed %s in\n%s", k, f.text)
			}
		}
	}
	for _, kind := range []string{KindCitizenID, KindOldID, KindPhone, KindEmail, KindTaxCode, KindIBAN, KindBankAccount, KindPlate, KindReference} {
		p := float64(tp[kind]) / float64(max(1, tp[kind]+fp[kind]))
		r := float64(tp[kind]) / float64(max(1, tp[kind]+fn[kind]))
		t.Logf("%-13s precision %.3f recall %.3f (%d found)", kind, p, r, tp[kind])
		if p < 0.95 || r < 0.95 {
			t.Errorf("%s: precision %.3f, recall %.3f; want at least 0.95", kind, p, r)
		}
	}
}

func FuzzIdentifiers(f *testing.F) {
	f.Add("CCCD 079203001234, 0912 345 678, 0100109106-001, 29A-123.45, 123/2024/QĐ-UBND")
	f.Fuzz(func(t *testing.T, s string) {
		for _, id := range Identifiers([]string{s}) {
			if id.Value == "" || id.Raw == "" || id.Kind == "" {
				t.Fatalf("empty identifier %+v", id)
			}
		}
	})
}
