package detect

import (
	"math/rand/v2"
	"strings"
	"testing"

	"hoso/detect/sample"
)

// TestNearDuplicateFalseMatches compares every pair of 2,000 documents by
// different people on one form (about two million pairs, as an archive of
// that size would) and counts those at or above the default threshold.
func TestNearDuplicateFalseMatches(t *testing.T) {
	if testing.Short() {
		t.Skip("two million pairs")
	}
	r := rand.New(rand.NewPCG(9, 9))
	for _, kind := range []string{"permit form", "complaint letter"} {
		fill := sample.PermitForm
		if kind == "complaint letter" {
			fill = sample.Complaint
		}
		texts := make([]string, 2000)
		for i := range texts {
			texts[i] = strings.Join(fill(sample.NewApplicant(r)), "\n\n")
		}
		var samples [][]string
		for _, tx := range texts[:60] {
			samples = append(samples, Words(tx))
		}
		tmpl := BuildTemplate(samples)
		sigs := make([]Signature, len(texts))
		for i, tx := range texts {
			sigs[i] = MinHash(Features(Words(tx), tmpl))
		}
		over, pairs := 0, 0
		hist := map[int]int{}
		for i := range sigs {
			for j := i + 1; j < len(sigs); j++ {
				pairs++
				s := Similarity(&sigs[i], &sigs[j])
				if s >= 0.4 {
					hist[int(s*20)]++
				}
				if s >= DefaultNearDuplicateThreshold {
					over++
				}
			}
		}
		t.Logf("%s: %d pairs; at 0.40 or more, by twentieths: %v; %d at or above %.2f", kind, pairs, hist, over, DefaultNearDuplicateThreshold)
		if over > 2 {
			t.Errorf("%s: %d pairs of different people's documents match (of %d)", kind, over, pairs)
		}
	}
}
