package detect

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"hoso/detect/sample"
)

var (
	newApplicant = sample.NewApplicant
	redate       = sample.Redate
	reorder      = sample.Reorder
	ocrNoise     = sample.OCRNoise
	permitForm   = sample.PermitForm
	complaint    = sample.Complaint
)

func signatureOf(text string, t Template) (Signature, int) {
	res := Features(Words(text), t)
	return MinHash(res), len(res)
}

// TestNearDuplicates generates form applications and complaint letters,
// learns each type's template from 40 documents, and checks that
// re-dated, reordered and OCR-noisy copies score at or above the default
// threshold while documents of other applicants on the same form score
// below it.
func TestNearDuplicates(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const threshold = DefaultNearDuplicateThreshold
	for _, kind := range []string{"permit form", "complaint letter"} {
		fill := func(a sample.Applicant) []string {
			if kind == "permit form" {
				return permitForm(a)
			}
			return complaint(a)
		}
		var samples [][]string
		for range 40 {
			samples = append(samples, Words(strings.Join(fill(newApplicant(r)), "\n\n")))
		}
		tmpl := BuildTemplate(samples)
		var minCopy, maxOther float64 = 1, 0
		var others []float64
		minBy := map[string]float64{}
		counts := map[string]int{}
		for range 60 {
			a := newApplicant(r)
			orig, n := signatureOf(strings.Join(fill(a), "\n\n"), tmpl)
			if n < MinShingles {
				t.Fatalf("%s: only %d shingles outside the template", kind, n)
			}
			copies := map[string]string{
				"re-dated":  strings.Join(fill(redate(r, a)), "\n\n"),
				"reordered": strings.Join(reorder(fill(a)), "\n\n"),
				"ocr noise": ocrNoise(r, strings.Join(fill(a), "\n\n")),
				"all three": ocrNoise(r, strings.Join(reorder(fill(redate(r, a))), "\n\n")),
			}
			for name, text := range copies {
				sig, _ := signatureOf(text, tmpl)
				s := Similarity(&orig, &sig)
				minCopy = min(minCopy, s)
				if prev, ok := minBy[name]; !ok || s < prev {
					minBy[name] = s
				}
				if s < threshold {
					counts["missed "+name]++
				}
				if !sharesBand(&orig, &sig) && s >= threshold {
					counts["not a candidate "+name]++
				}
			}
			for range 5 {
				other, _ := signatureOf(strings.Join(fill(newApplicant(r)), "\n\n"), tmpl)
				s := Similarity(&orig, &other)
				maxOther = max(maxOther, s)
				others = append(others, s)
				if s >= threshold {
					counts["false match"]++
				}
				if sharesBand(&orig, &other) {
					counts["sibling candidates"]++
				}
			}
		}
		slices.Sort(others)
		t.Logf("%s: other-applicant similarity p50 %.2f p90 %.2f p99 %.2f; lowest copy similarity by edit %v", kind, others[len(others)/2], others[len(others)*9/10], others[len(others)*99/100], minBy)
		t.Logf("%s: template %d shingles; lowest copy similarity %.2f, highest other-applicant similarity %.2f; %v", kind, len(tmpl), minCopy, maxOther, counts)
		for k, n := range counts {
			if k != "sibling candidates" && n > 0 {
				t.Errorf("%s: %d %s (of 60)", kind, n, k)
			}
		}
		if counts["sibling candidates"] > 300/10 {
			t.Errorf("%s: %d of 300 other applicants' documents share an LSH band: lookups would not stay cheap", kind, counts["sibling candidates"])
		}
	}
}

func sharesBand(a, b *Signature) bool {
	ba, bb := a.BandHashes(), b.BandHashes()
	for i := range ba {
		if ba[i] == bb[i] {
			return true
		}
	}
	return false
}

func TestSignatureBytes(t *testing.T) {
	s := MinHash(Shingles(Words("Đơn đề nghị cấp giấy phép xây dựng nhà ở riêng lẻ")))
	back, ok := SignatureFromBytes(s.Bytes())
	if !ok || back != s {
		t.Error("signature does not survive encoding")
	}
	if _, ok := SignatureFromBytes([]byte{1, 2, 3}); ok {
		t.Error("a short blob decodes")
	}
	if got := Words("Số 12/2024/QĐ-UBND, ông Nguyễn VĂN An; 0912.345.678 Iô1"); !slices.Equal(got,
		[]string{"so", "122024qdubnd", "ong", "nguyen", "van", "an", "0912345678", "iol"}) {
		t.Errorf("Words = %q", got)
	}
}
