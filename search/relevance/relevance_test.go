package relevance

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func writeCollection(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"docs.jsonl": `{"id": "1", "title": "Land use", "text": "land use rights of households"}
{"id": "2", "text": "construction permits for houses"}
{"id": "3", "text": "annual report of the district"}
{"id": 4, "text": "land and houses"}
`,
		"queries.tsv": "q1\tland rights\nq2\tpermits\nq3\tnothing judged\n",
		"qrels.txt":   "q1\t0\t1\t1\nq1\t0\t4\t1\nq2\t0\t2\t2\nq2\t0\t3\t0\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadAndEvaluate(t *testing.T) {
	c, err := Load(writeCollection(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Documents) != 4 || c.Documents[0].Text != "Land use\nland use rights of households" || c.Documents[3].ID != "4" {
		t.Fatalf("documents %+v", c.Documents)
	}
	if len(c.Queries) != 2 || len(c.Judgments["q2"]) != 1 {
		t.Fatalf("queries %+v judgments %+v", c.Queries, c.Judgments)
	}
	perfect := c.Evaluate(map[string][]string{"q1": {"1", "4"}, "q2": {"2"}})
	if perfect != (Scores{1, 1, 1}) {
		t.Errorf("a perfect run scores %+v", perfect)
	}
	// q1: the relevant documents at ranks 2 and 3; q2: nothing.
	s := c.Evaluate(map[string][]string{"q1": {"3", "1", "4"}})
	dcg := 1/math.Log2(3) + 1/math.Log2(4)
	idcg := 1 + 1/math.Log2(3)
	if want := dcg / idcg / 2; math.Abs(s.NDCG10-want) > 1e-9 {
		t.Errorf("nDCG@10 %v, want %v", s.NDCG10, want)
	}
	if want := (1.0/2 + 2.0/3) / 2 / 2; math.Abs(s.MAP100-want) > 1e-9 {
		t.Errorf("MAP@100 %v, want %v", s.MAP100, want)
	}
	if s.R100 != 0.5 {
		t.Errorf("R@100 %v, want 0.5", s.R100)
	}
	// A ranking that is broken scores below the baseline.
	bm := NewBM25(c.Documents)
	base := c.Evaluate(map[string][]string{"q1": bm.Search("land rights", 100, true), "q2": bm.Search("permits", 100, true)})
	worst := c.Evaluate(map[string][]string{"q1": {"3", "2"}, "q2": {"3", "1"}})
	if base.NDCG10 != 1 || worst.NDCG10 != 0 {
		t.Errorf("baseline %+v, a broken ranking %+v", base, worst)
	}
}

func TestBM25(t *testing.T) {
	docs := []Document{{"a", "the cat sat"}, {"b", "the dog sat on the cat"}, {"c", "dogs"}}
	bm := NewBM25(docs)
	if got := bm.Search("cat", 10, true); len(got) != 2 || got[0] != "a" {
		t.Errorf("cat: %v (the shorter document first)", got)
	}
	if got := bm.Search("DOG", 10, true); len(got) != 1 || got[0] != "b" {
		t.Errorf("DOG: %v (lower case, no stemming)", got)
	}
	// A repeated query word counts again unless distinct.
	a := bm.Search("sat sat dog", 10, false)
	b := bm.Search("sat sat dog", 10, true)
	if len(a) != 2 || len(b) != 2 {
		t.Errorf("%v %v", a, b)
	}
}

func TestStripDiacritics(t *testing.T) {
	for in, want := range map[string]string{"Chiếm đoạt di vật": "Chiem doat di vat", "ĐỒNG": "DONG", "café": "cafe"} {
		if got := StripDiacritics(in); got != want {
			t.Errorf("StripDiacritics(%q) = %q, want %q", in, got, want)
		}
	}
}
