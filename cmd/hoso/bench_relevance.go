package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"hoso/pipeline"
	"hoso/search"
	"hoso/search/relevance"
)

// relevanceReport is what one judged collection measured.
type relevanceReport struct {
	Name      string
	Documents int
	Queries   int
	Hoso      relevance.Scores
	BM25      relevance.Scores // the queries' words as a set, as the collections' README computes it
	BM25Repl  relevance.Scores // a word repeated in the query counts again
	// Without diacritics: the same queries typed without marks, when
	// they have any.
	Stripped     bool
	HosoStripped relevance.Scores
	BM25Stripped relevance.Scores
	// Latency of hoso's queries.
	P50, P99 time.Duration
}

// benchRelevance processes judged collections through the pipeline and
// scores hoso's search against a plain BM25 computed in the same run.
func (m *Main) benchRelevance(ctx context.Context, args []string) error {
	f := m.newFlags("bench relevance").extraction()
	dirs, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		for _, d := range []string{"cisi", "alqac2022"} {
			p := filepath.Join("..", "shared", "corpus", "ir", d)
			if _, err := os.Stat(p); err == nil {
				dirs = append(dirs, p)
			}
		}
		if len(dirs) == 0 {
			return usageError{"name the folders of judged collections (docs.jsonl, queries.tsv, qrels.txt)"}
		}
	}
	fmt.Fprintln(m.Stdout, "nDCG@10, MAP@100 and R@100 of hoso (documents through the whole pipeline, queries through the search API's code) and of a plain BM25 (k1 1.2, b 0.75, lower-cased words, no stemming, no stop words):")
	for _, dir := range dirs {
		rep, err := m.relevanceRun(ctx, dir)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		m.printRelevance(rep)
	}
	return nil
}

func (m *Main) printRelevance(r *relevanceReport) {
	w := m.Stdout
	fmt.Fprintf(w, "\n%s: %d documents, %d judged queries; hoso's query latency p50 %.2f ms, p99 %.2f ms\n", r.Name, r.Documents, r.Queries,
		float64(r.P50.Microseconds())/1000, float64(r.P99.Microseconds())/1000)
	row := func(name string, s relevance.Scores, base relevance.Scores) {
		fmt.Fprintf(w, "  %-44s nDCG@10 %.3f (%.2f×)  MAP@100 %.3f  R@100 %.3f\n", name, s.NDCG10, s.NDCG10/base.NDCG10, s.MAP100, s.R100)
	}
	row("plain BM25 (query words as a set)", r.BM25, r.BM25)
	row("plain BM25 (repeated query words count)", r.BM25Repl, r.BM25)
	row("hoso", r.Hoso, r.BM25)
	if r.Stripped {
		row("plain BM25, queries without diacritics", r.BM25Stripped, r.BM25)
		row("hoso, queries without diacritics", r.HosoStripped, r.BM25)
		fmt.Fprintf(w, "  hoso without diacritics against with them: %.3f×\n", r.HosoStripped.NDCG10/r.Hoso.NDCG10)
	}
}

// relevanceRun measures one collection: its documents go through `hoso
// process` into a fresh data folder, its queries through Index.Search as
// GET /api/v1/search runs them.
func (m *Main) relevanceRun(ctx context.Context, dir string) (*relevanceReport, error) {
	c, err := relevance.Load(dir)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "hoso-relevance-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	docsDir := filepath.Join(work, c.Name)
	if err := os.MkdirAll(docsDir, 0o755); err != nil {
		return nil, err
	}
	byFile := map[string]string{}
	for i, d := range c.Documents {
		name := fmt.Sprintf("%05d.txt", i)
		byFile[name] = d.ID
		if err := os.WriteFile(filepath.Join(docsDir, name), []byte(d.Text), 0o644); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(work, "data")
	// A data folder of its own on SQLite, whatever the environment says.
	quiet := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string {
		switch k {
		case "HOSO_DATA", "HOSO_DATABASE_URL", "HOSO_DATABASE_SCHEMA":
			return ""
		}
		return m.Getenv(k)
	}}
	if err := quiet.process(ctx, []string{"--data", data, "--batch", c.Name, docsDir}); err != nil {
		return nil, fmt.Errorf("process the documents: %w", err)
	}
	fl := quiet.newFlags("bench relevance").extraction()
	if _, err := fl.parse([]string{"--data", data}); err != nil {
		return nil, err
	}
	rt, err := OpenRuntime(ctx, fl.cfg)
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	if err := rt.OpenIndex(); err != nil {
		return nil, err
	}
	docs, err := listDocuments(ctx, rt.Store, nil)
	if err != nil {
		return nil, err
	}
	byID := map[int64]string{}
	for _, d := range docs {
		byID[d.ID] = byFile[filepath.Base(d.Path)]
	}

	rep := &relevanceReport{Name: c.Name, Documents: len(c.Documents), Queries: len(c.Queries)}
	var took []time.Duration
	hoso := func(strip bool) (map[string][]string, error) {
		run := map[string][]string{}
		for _, q := range c.Queries {
			text := q.Text
			if strip {
				text = relevance.StripDiacritics(text)
			}
			t0 := time.Now()
			res, err := rt.Index.Search(ctx, search.Request{Query: text, Size: 100, Facets: true, Scope: pipeline.ScopeAll})
			if err != nil {
				return nil, fmt.Errorf("query %s: %w", q.ID, err)
			}
			took = append(took, time.Since(t0))
			for _, h := range res.Hits {
				run[q.ID] = append(run[q.ID], byID[h.ID])
			}
		}
		return run, nil
	}
	bm := relevance.NewBM25(c.Documents)
	baseline := func(strip, distinct bool) map[string][]string {
		run := map[string][]string{}
		for _, q := range c.Queries {
			text := q.Text
			if strip {
				text = relevance.StripDiacritics(text)
			}
			run[q.ID] = bm.Search(text, 100, distinct)
		}
		return run
	}
	run, err := hoso(false)
	if err != nil {
		return nil, err
	}
	rep.Hoso = c.Evaluate(run)
	rep.BM25 = c.Evaluate(baseline(false, true))
	rep.BM25Repl = c.Evaluate(baseline(false, false))
	for _, q := range c.Queries {
		if relevance.StripDiacritics(q.Text) != q.Text {
			rep.Stripped = true
			break
		}
	}
	if rep.Stripped {
		if run, err = hoso(true); err != nil {
			return nil, err
		}
		rep.HosoStripped = c.Evaluate(run)
		rep.BM25Stripped = c.Evaluate(baseline(true, true))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	rep.P50, rep.P99 = took[len(took)/2], took[min(len(took)-1, len(took)*99/100)]
	return rep, nil
}
