package detect

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"hoso/pipeline"
)

func TestRecurring(t *testing.T) {
	occ := func(doc, batch int64) pipeline.IdentifierOccurrence {
		return pipeline.IdentifierOccurrence{DocumentID: doc, BatchID: batch, Department: "one-stop", Raw: "0912 345 678", Page: 1, Offset: 5, CreatedAt: time.Now()}
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
		flags := Recurring(tt.kind, "+84912345678", tt.occ, Config{})
		if (len(flags) > 0) != tt.want {
			t.Errorf("%s: flagged %v, want %v", tt.name, len(flags) > 0, tt.want)
		}
		if len(flags) > 0 {
			f := flags[0]
			if len(flags) != 1 || f.Key != "phone:+84912345678|one-stop" || len(f.Evidence) != 3 || f.Severity != "medium" ||
				!strings.Contains(f.Title, "3 documents from 2 batches") || !strings.Contains(f.Evidence[0].Detail, "page 1") {
				t.Errorf("%s: flags %+v", tt.name, flags)
			}
		}
	}
	if flags := Recurring(KindPhone, "x", []pipeline.IdentifierOccurrence{occ(1, 1), occ(2, 2)}, Config{RecurringMin: 2}); len(flags) != 1 {
		t.Error("RecurringMin 2 did not flag two documents")
	}
}

// TestFlagsPerDepartment: a phone number in land and finance documents
// raised one flag, visible to land only, that counted finance's documents.
// Each department gets its own flag, with its own documents, counting
// only those.
func TestFlagsPerDepartment(t *testing.T) {
	occ := func(doc, batch int64, dep string) pipeline.IdentifierOccurrence {
		return pipeline.IdentifierOccurrence{DocumentID: doc, BatchID: batch, Department: dep, Raw: "0912 345 678", Page: 1}
	}
	flags := Recurring(KindPhone, "+84912345678", []pipeline.IdentifierOccurrence{occ(1, 1, "land"), occ(2, 2, "land"), occ(3, 3, "finance"), occ(4, 3, "finance")}, Config{})
	if len(flags) != 2 {
		t.Fatalf("%d flags, want one per department: %+v", len(flags), flags)
	}
	for _, f := range flags {
		for _, e := range f.Evidence {
			if (f.Department == "land") != (e.DocumentID <= 2) {
				t.Errorf("flag of %s lists document %d of another department", f.Department, e.DocumentID)
			}
		}
		if len(f.Evidence) != 2 || !strings.Contains(f.Title, "2 documents") || strings.Contains(f.Title, "4 documents") {
			t.Errorf("flag of %s: %q with %d documents", f.Department, f.Title, len(f.Evidence))
		}
	}
	near, _ := NearDuplicates(5, []NearDuplicateMatch{{DocumentID: 1, ClusterID: 1, Similarity: 0.9}, {DocumentID: 2, ClusterID: 1, Similarity: 0.9}, {DocumentID: 3, ClusterID: 3, Similarity: 0.95}}, nil, "land")
	shares := ByDepartment(near, map[int64]string{1: "land", 2: "finance", 3: "finance", 5: "land"}, 2, func(n int) string { return strconv.Itoa(n) + " near-identical documents" })
	if len(shares) != 2 || shares[0].Department != "finance" || shares[0].Key != "cluster:1|finance" || len(shares[0].Evidence) != 2 || shares[1].Title != "2 near-identical documents" {
		t.Errorf("near-duplicates across departments: %+v", shares)
	}
	sum := strings.Repeat("ab", 32)
	dups := ExactDuplicates(sum, []DocumentRef{{ID: 1, Department: "land"}, {ID: 2, Department: "land"}, {ID: 3, Department: "finance"}})
	if len(dups) != 1 || dups[0].Department != "land" || len(dups[0].Evidence) != 2 || !strings.Contains(dups[0].Title, "2 times") {
		t.Errorf("exact duplicates across departments: %+v", dups)
	}
}

func TestExactDuplicates(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	if flags := ExactDuplicates(sum, []DocumentRef{{ID: 4, Department: ""}}); len(flags) != 0 {
		t.Error("one copy flagged")
	}
	flags := ExactDuplicates(sum, []DocumentRef{{ID: 4, Department: "land"}, {ID: 9, Department: "land"}, {ID: 12, Department: "land"}})
	if len(flags) != 1 || flags[0].Key != sum+"|land" || len(flags[0].Evidence) != 3 || flags[0].Department != "land" || !strings.Contains(flags[0].Title, "3 times") {
		t.Errorf("flags %+v", flags)
	}
}

// A document checked after a cluster formed joins it under the cluster's
// key, even when its own number is lower: the flag a supervisor may be
// reviewing stays the cluster's flag, not a new one beside a merged one.
func TestNearDuplicatesJoinKeepsCluster(t *testing.T) {
	f, root := NearDuplicates(1, []NearDuplicateMatch{{DocumentID: 2, ClusterID: 2, Similarity: 0.9}, {DocumentID: 3, ClusterID: 2, Similarity: 0.92}}, []int64{2, 3}, "land")
	if root != 2 || f.Key != "cluster:2" || len(f.Evidence) != 3 {
		t.Errorf("joined as %d with key %q and %d documents, want cluster 2 with 3", root, f.Key, len(f.Evidence))
	}
	// A document bridging two clusters merges them into the lower one.
	if _, root := NearDuplicates(9, []NearDuplicateMatch{{DocumentID: 7, ClusterID: 5, Similarity: 0.9}, {DocumentID: 8, ClusterID: 4, Similarity: 0.9}}, []int64{4, 5, 7, 8}, "land"); root != 4 {
		t.Errorf("bridge merged into %d, want 4", root)
	}
}
