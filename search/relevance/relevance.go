// Package relevance measures search quality on judged collections: the
// documents, the questions people asked and which documents answer them
// (the format of ../shared/corpus/ir: docs.jsonl, queries.tsv,
// qrels.txt). It scores a run with nDCG@10, MAP@100 and R@100, and
// computes the baseline every ranking is held against: a plain BM25 over
// lower-cased word tokens.
package relevance

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Document is a judged collection's document.
type Document struct {
	ID   string
	Text string // the title and the text, as one
}

// Query is a question of the collection.
type Query struct {
	ID   string
	Text string
}

// Collection is a judged collection.
type Collection struct {
	Name      string
	Documents []Document
	Queries   []Query                   // the judged ones
	Judgments map[string]map[string]int // query → document → relevance (> 0)
}

// Load reads a collection from its folder.
func Load(dir string) (*Collection, error) {
	c := &Collection{Name: filepath.Base(dir), Judgments: map[string]map[string]int{}}
	f, err := os.Open(filepath.Join(dir, "docs.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, fmt.Errorf("%s docs.jsonl line %d: %w", c.Name, line, err)
		}
		id := fmt.Sprint(d["id"])
		title, _ := d["title"].(string)
		text, _ := d["text"].(string)
		c.Documents = append(c.Documents, Document{ID: id, Text: strings.TrimSpace(title + "\n" + text)})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "qrels.txt"))
	if err != nil {
		return nil, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		p := strings.Fields(l)
		if len(p) != 4 {
			continue
		}
		rel, err := strconv.Atoi(p[3])
		if err != nil || rel <= 0 {
			continue
		}
		if c.Judgments[p[0]] == nil {
			c.Judgments[p[0]] = map[string]int{}
		}
		c.Judgments[p[0]][p[2]] = rel
	}
	b, err = os.ReadFile(filepath.Join(dir, "queries.tsv"))
	if err != nil {
		return nil, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		id, text, ok := strings.Cut(strings.TrimRight(l, "\r"), "\t")
		if ok && c.Judgments[id] != nil {
			c.Queries = append(c.Queries, Query{ID: id, Text: text})
		}
	}
	return c, nil
}

// Scores are a run's means over the judged queries.
type Scores struct {
	NDCG10 float64 `json:"ndcg@10"`
	MAP100 float64 `json:"map@100"`
	R100   float64 `json:"r@100"`
}

// Evaluate scores a run: for each query, its documents best first.
func (c *Collection) Evaluate(run map[string][]string) Scores {
	var s Scores
	n := 0
	for _, q := range c.Queries {
		rel := c.Judgments[q.ID]
		got := run[q.ID]
		n++
		dcg, idcg := 0.0, 0.0
		var ideal []int
		for _, r := range rel {
			ideal = append(ideal, r)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(ideal)))
		for i := 0; i < 10; i++ {
			if i < len(got) {
				dcg += gain(rel[got[i]]) / math.Log2(float64(i+2))
			}
			if i < len(ideal) {
				idcg += gain(ideal[i]) / math.Log2(float64(i+2))
			}
		}
		if idcg > 0 {
			s.NDCG10 += dcg / idcg
		}
		found, ap := 0, 0.0
		for i := 0; i < 100 && i < len(got); i++ {
			if rel[got[i]] > 0 {
				found++
				ap += float64(found) / float64(i+1)
			}
		}
		s.MAP100 += ap / float64(len(rel))
		s.R100 += float64(found) / float64(len(rel))
	}
	if n > 0 {
		s.NDCG10 /= float64(n)
		s.MAP100 /= float64(n)
		s.R100 /= float64(n)
	}
	return s
}

func gain(rel int) float64 { return math.Pow(2, float64(rel)) - 1 }

// wordRE is a word for the baseline: letters, digits and underscores, as
// the \w of most regular expression engines.
var wordRE = regexp.MustCompile(`[\p{L}\p{N}_]+`)

// Tokens are the baseline's terms: lower-cased words, nothing else.
func Tokens(s string) []string { return wordRE.FindAllString(strings.ToLower(s), -1) }

// BM25 is the plain baseline: BM25 with k1 1.2 and b 0.75 over Tokens,
// no stemming, no stop words, idf as Lucene's.
type BM25 struct {
	docs     []Document
	postings map[string][]posting
	length   []float64
	avg      float64
}

type posting struct {
	doc int
	tf  float64
}

// NewBM25 indexes a collection's documents.
func NewBM25(docs []Document) *BM25 {
	b := &BM25{docs: docs, postings: map[string][]posting{}, length: make([]float64, len(docs))}
	total := 0.0
	for i, d := range docs {
		tf := map[string]float64{}
		toks := Tokens(d.Text)
		for _, t := range toks {
			tf[t]++
		}
		for t, n := range tf {
			b.postings[t] = append(b.postings[t], posting{i, n})
		}
		b.length[i] = float64(len(toks))
		total += b.length[i]
	}
	if len(docs) > 0 {
		b.avg = total / float64(len(docs))
	}
	return b
}

// Search returns the IDs of the best documents for a query, best first.
// With distinct, a word repeated in the query counts once.
func (b *BM25) Search(query string, k int, distinct bool) []string {
	scores := map[int]float64{}
	seen := map[string]bool{}
	n := float64(len(b.docs))
	for _, t := range Tokens(query) {
		if distinct && seen[t] {
			continue
		}
		seen[t] = true
		ps := b.postings[t]
		if len(ps) == 0 {
			continue
		}
		df := float64(len(ps))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		for _, p := range ps {
			scores[p.doc] += idf * p.tf * 2.2 / (p.tf + 1.2*(0.25+0.75*b.length[p.doc]/b.avg))
		}
	}
	order := make([]int, 0, len(scores))
	for d := range scores {
		order = append(order, d)
	}
	sort.Slice(order, func(i, j int) bool {
		if scores[order[i]] != scores[order[j]] {
			return scores[order[i]] > scores[order[j]]
		}
		return order[i] < order[j]
	})
	out := []string{}
	for _, d := range order[:min(k, len(order))] {
		out = append(out, b.docs[d].ID)
	}
	return out
}

// StripDiacritics writes Vietnamese (and other Latin) text the way people
// type it without marks: "Chiếm đoạt" becomes "Chiem doat".
func StripDiacritics(s string) string {
	var sb strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			r = 'd'
		case r == 'Đ':
			r = 'D'
		}
		sb.WriteRune(r)
	}
	return norm.NFC.String(sb.String())
}
