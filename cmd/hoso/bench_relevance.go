package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"hoso/internal/stats"
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
		if dirs = corpusDirs(filepath.Join("ir", "cisi"), filepath.Join("ir", "alqac2022")); len(dirs) == 0 {
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
		millis(r.P50), millis(r.P99))
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
	byFile, err := writeCollection(c, docsDir)
	if err != nil {
		return nil, err
	}
	rt, err := m.processCollection(ctx, filepath.Join(work, "data"), c.Name, docsDir)
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	j, err := newRelevanceJudge(ctx, c, rt, byFile)
	if err != nil {
		return nil, err
	}
	return j.report(ctx)
}

// writeCollection writes each document of c as a text file of its own in
// docsDir and returns the collection's ID of each file by name.
func writeCollection(c *relevance.Collection, docsDir string) (map[string]string, error) {
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
	return byFile, nil
}

// processCollection runs `hoso process` quietly on the files in docsDir,
// into the data folder data on SQLite whatever the environment says, and
// opens the runtime and the index over the result.
func (m *Main) processCollection(ctx context.Context, data, batch, docsDir string) (*Runtime, error) {
	quiet := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string {
		switch k {
		case "HOSO_DATA", "HOSO_DATABASE_URL", "HOSO_DATABASE_SCHEMA":
			return ""
		}
		return m.Getenv(k)
	}}
	if err := quiet.process(ctx, []string{"--data", data, "--batch", batch, docsDir}); err != nil {
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
	if err := rt.OpenIndex(); err != nil {
		rt.Close()
		return nil, err
	}
	return rt, nil
}

// relevanceJudge runs a collection's queries through hoso's index and
// through a plain BM25 over the same documents.
type relevanceJudge struct {
	c  *relevance.Collection
	ix *search.Index
	bm *relevance.BM25
	// byID is the collection's ID of each stored document.
	byID map[int64]string
	// took is the time each of hoso's queries took.
	took []time.Duration
}

// newRelevanceJudge matches the documents stored in rt to the
// collection's by their file names, byFile.
func newRelevanceJudge(ctx context.Context, c *relevance.Collection, rt *Runtime, byFile map[string]string) (*relevanceJudge, error) {
	docs, err := listDocuments(ctx, rt.Store, nil)
	if err != nil {
		return nil, err
	}
	byID := map[int64]string{}
	for _, d := range docs {
		byID[d.ID] = byFile[filepath.Base(d.Path)]
	}
	return &relevanceJudge{c: c, ix: rt.Index, bm: relevance.NewBM25(c.Documents), byID: byID}, nil
}

// report scores hoso and BM25 on the queries as written, and again
// without diacritics when any query has some.
func (j *relevanceJudge) report(ctx context.Context) (*relevanceReport, error) {
	c := j.c
	rep := &relevanceReport{Name: c.Name, Documents: len(c.Documents), Queries: len(c.Queries)}
	run, err := j.hoso(ctx, false)
	if err != nil {
		return nil, err
	}
	rep.Hoso = c.Evaluate(run)
	rep.BM25 = c.Evaluate(j.baseline(false, true))
	rep.BM25Repl = c.Evaluate(j.baseline(false, false))
	for _, q := range c.Queries {
		if relevance.StripDiacritics(q.Text) != q.Text {
			rep.Stripped = true
			break
		}
	}
	if rep.Stripped {
		if run, err = j.hoso(ctx, true); err != nil {
			return nil, err
		}
		rep.HosoStripped = c.Evaluate(run)
		rep.BM25Stripped = c.Evaluate(j.baseline(true, true))
	}
	rep.P50, rep.P99 = stats.Quantile(j.took, 0.5), stats.Quantile(j.took, 0.99)
	return rep, nil
}

// queryText is the text of q, without its diacritics when strip is set.
func queryText(q relevance.Query, strip bool) string {
	if strip {
		return relevance.StripDiacritics(q.Text)
	}
	return q.Text
}

// hoso runs every query through Index.Search as the search API does,
// timing each, and returns the collection's IDs of the first 100 hits by
// query.
func (j *relevanceJudge) hoso(ctx context.Context, strip bool) (map[string][]string, error) {
	run := map[string][]string{}
	for _, q := range j.c.Queries {
		text := queryText(q, strip)
		t0 := time.Now()
		res, err := j.ix.Search(ctx, search.Request{Query: text, Size: 100, Facets: true, Scope: pipeline.ScopeAll})
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", q.ID, err)
		}
		j.took = append(j.took, time.Since(t0))
		for _, h := range res.Hits {
			run[q.ID] = append(run[q.ID], j.byID[h.ID])
		}
	}
	return run, nil
}

// baseline is the first 100 documents of each query by plain BM25, the
// query's words as a set when distinct is set.
func (j *relevanceJudge) baseline(strip, distinct bool) map[string][]string {
	run := map[string][]string{}
	for _, q := range j.c.Queries {
		run[q.ID] = j.bm.Search(queryText(q, strip), 100, distinct)
	}
	return run
}
