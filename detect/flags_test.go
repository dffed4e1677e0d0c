package detect

import (
	"strings"
	"testing"
	"time"

	"hoso/pipeline"
)

func TestRecurring(t *testing.T) {
	occ := func(doc, batch int64) pipeline.IdentifierOccurrence {
		return pipeline.IdentifierOccurrence{DocumentID: doc, BatchID: batch, Raw: "0912 345 678", Page: 1, Offset: 5, CreatedAt: time.Now()}
	}
	tests := []struct {
		name string
		kind string
		occ  []pipeline.IdentifierOccurrence
		want bool
	}{
		{"three documents, two batches", KindPhone, []pipeline.IdentifierOccurrence{occ(1, 1), occ(2, 1), occ(3, 2)}, true},
		{"one batch only", KindPhone, []pipeline.IdentifierOccurrence{occ(1, 1), occ(2, 1), occ(3, 1)}, false},
		{"two documents", KindPhone, []pipeline.IdentifierOccurrence{occ(1, 1), occ(2, 2)}, false},
		{"twice in one document", KindPhone, []pipeline.IdentifierOccurrence{occ(1, 1), occ(1, 1), occ(2, 2)}, false},
		{"kind not watched", KindReference, []pipeline.IdentifierOccurrence{occ(1, 1), occ(2, 2), occ(3, 3)}, false},
	}
	for _, tt := range tests {
		f, ok := Recurring(tt.kind, "+84912345678", tt.occ, "one-stop", Config{})
		if ok != tt.want {
			t.Errorf("%s: flagged %v, want %v", tt.name, ok, tt.want)
		}
		if ok && (f.Key != "phone:+84912345678" || len(f.Evidence) != 3 || f.Severity != "medium" ||
			!strings.Contains(f.Title, "3 documents from 2 batches") || !strings.Contains(f.Evidence[0].Detail, "page 1")) {
			t.Errorf("%s: flag %+v", tt.name, f)
		}
	}
	if _, ok := Recurring(KindPhone, "x", []pipeline.IdentifierOccurrence{occ(1, 1), occ(2, 2)}, "", Config{RecurringMin: 2}); !ok {
		t.Error("RecurringMin 2 did not flag two documents")
	}
}

func TestExactDuplicates(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	if _, ok := ExactDuplicates(sum, []int64{4}, ""); ok {
		t.Error("one copy flagged")
	}
	f, ok := ExactDuplicates(sum, []int64{4, 9, 12}, "land")
	if !ok || f.Key != sum || len(f.Evidence) != 3 || f.Department != "land" || !strings.Contains(f.Title, "3 times") {
		t.Errorf("flag %+v", f)
	}
}
