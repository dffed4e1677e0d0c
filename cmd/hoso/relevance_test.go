package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestRelevanceFloor keeps search quality from slipping: on the judged
// collections of the shared corpus, with their documents through the whole
// pipeline, hoso's nDCG@10 must be at least a plain BM25's, and questions
// typed without diacritics must score at least nine tenths of the same
// questions with them. (`hoso bench relevance` prints the figures.)
func TestRelevanceFloor(t *testing.T) {
	t.Parallel()
	var dirs []string
	for _, name := range []string{"cisi", "alqac2022"} {
		dir := filepath.Join("..", "..", "..", "shared", "corpus", "ir", name)
		if _, err := os.Stat(filepath.Join(dir, "qrels.txt")); err != nil {
			t.Skipf("the judged collections are not here (%v); they live in ../shared/corpus/ir", err)
		}
		dirs = append(dirs, dir)
	}
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	for _, dir := range dirs {
		rep, err := m.relevanceRun(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: hoso nDCG@10 %.3f, plain BM25 %.3f (%.2f×); without diacritics %.3f (%.3f×); p50 %v",
			rep.Name, rep.Hoso.NDCG10, rep.BM25.NDCG10, rep.Hoso.NDCG10/rep.BM25.NDCG10, rep.HosoStripped.NDCG10, rep.HosoStripped.NDCG10/rep.Hoso.NDCG10, rep.P50)
		if rep.Hoso.NDCG10 < rep.BM25.NDCG10 {
			t.Errorf("%s: hoso's nDCG@10 %.3f is below a plain BM25's %.3f", rep.Name, rep.Hoso.NDCG10, rep.BM25.NDCG10)
		}
		if rep.Stripped && rep.HosoStripped.NDCG10 < 0.9*rep.Hoso.NDCG10 {
			t.Errorf("%s: without diacritics nDCG@10 %.3f, under nine tenths of %.3f with them", rep.Name, rep.HosoStripped.NDCG10, rep.Hoso.NDCG10)
		}
	}
}
