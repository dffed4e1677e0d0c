package main

import (
	"context"
	"fmt"
	mrand "math/rand"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"hoso/internal/stats"
	"hoso/pipeline"
	"hoso/pipeline/sqlite"
	"hoso/pipeline/sqlstore"
	"hoso/search"
)

var benchWordsVI = strings.Fields(`ủy ban nhân dân quận phường xã huyện tỉnh thành phố quyết định công văn báo cáo biên bản hợp đồng
hóa đơn giấy chứng nhận giấy phép xây dựng quyền sử dụng đất thửa đất tờ bản đồ diện tích hộ gia đình cá nhân tổ chức cơ quan đơn vị
đề nghị khiếu nại tố cáo giải quyết thời hạn hồ sơ thủ tục hành chính tiếp nhận trả kết quả một cửa cán bộ công chức chủ tịch phó
căn cứ luật nghị định thông tư quy định hướng dẫn thực hiện điều khoản mục chương ngày tháng năm số kính gửi nơi nhận lưu trữ`)

var benchWordsEN = strings.Fields(`people committee district ward commune province city decision official letter report minutes contract
invoice certificate permit construction land use right parcel map sheet area household individual organization agency unit request
complaint denunciation settlement deadline dossier administrative procedure reception result one stop desk officer civil servant chairman
pursuant law decree circular regulation guidance implementation article clause section chapter date month year number recipient archive`)

// benchVocabulary builds a vocabulary with the spread of real text: the
// administrative words above, then Vietnamese syllables and English-like
// words made from parts, several thousand in all. Words are then drawn by
// a Zipf law, so that, as in real archives, a few are everywhere and most
// are rare.
func benchVocabulary(english bool) []string {
	if english {
		out := append([]string(nil), benchWordsEN...)
		for _, a := range []string{"re", "pro", "con", "de", "in", "ex", "sub", "trans", "inter", "pre"} {
			for _, b := range []string{"port", "vis", "tract", "ject", "duct", "form", "mit", "pos", "spect", "struct", "scrib", "ced", "fer", "press", "gress"} {
				for _, c := range []string{"", "ion", "ive", "ed", "ing", "al", "or", "ment"} {
					out = append(out, a+b+c)
				}
			}
		}
		return out
	}
	out := append([]string(nil), benchWordsVI...)
	for _, a := range []string{"b", "c", "ch", "d", "đ", "g", "h", "kh", "l", "m", "n", "ng", "nh", "ph", "qu", "s", "t", "th", "tr", "v", "x"} {
		for _, b := range []string{"a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "ươ", "iê", "uô"} {
			for _, c := range []string{"", "n", "ng", "nh", "m", "c", "t"} {
				for _, tone := range []string{"", "\u0301", "\u0300", "\u0303"} {
					out = append(out, norm.NFC.String(a+b+tone+c))
				}
			}
		}
	}
	return out
}

// benchSearch measures the search index on generated documents: indexing
// through the change feed, a full reindex, and query latency.
func (m *Main) benchSearch(ctx context.Context, args []string) error {
	f := m.newFlags("bench search").extraction()
	n := f.fs.Int("docs", 100000, "documents to generate")
	words := f.fs.Int("words", 500, "words per document")
	queries := f.fs.Int("queries", 3000, "queries to time")
	keep := f.fs.String("keep", "", "keep the generated documents in this folder; run again, the bench reuses them and builds the index again")
	queriesOnly := f.fs.Bool("queries-only", false, "with --keep: time the queries on the index kept there, without building it")
	profile := f.fs.String("cpuprofile", "", "write a CPU profile of the queries to this file")
	if _, err := f.parse(args); err != nil {
		return err
	}
	dir, reuse, done, err := searchBenchDir(*keep)
	if err != nil {
		return err
	}
	defer done()
	st, _, err := sqlite.OpenStore(ctx, filepath.Join(dir, "hoso.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	bt := newBenchText()
	if reuse && *queriesOnly {
		return m.benchKeptIndex(ctx, dir, bt, *queries, *profile)
	}
	if reuse {
		// The documents are there; the index is built again from the feed.
		if err := os.RemoveAll(filepath.Join(dir, "index")); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Reusing the documents in %s\n", dir)
	} else if err := m.benchGenerate(ctx, st, bt, *n, *words); err != nil {
		return err
	}
	ix, err := search.Open(filepath.Join(dir, "index"))
	if err != nil {
		return err
	}
	defer ix.Close()
	if err := m.benchIndexing(ctx, ix, st, *n, *profile); err != nil {
		return err
	}
	return m.benchQueryMixes(ctx, ix, bt, *queries, *profile)
}

// searchBenchDir is the folder the search bench works in: keep, where
// reuse tells whether it holds documents of an earlier run, or without it
// a temporary folder that done removes.
func searchBenchDir(keep string) (dir string, reuse bool, done func(), err error) {
	if keep == "" {
		d, err := os.MkdirTemp("", "hoso-bench-search-")
		if err != nil {
			return "", false, nil, err
		}
		return d, false, func() { os.RemoveAll(d) }, nil
	}
	_, err = os.Stat(filepath.Join(keep, "hoso.db"))
	return keep, err == nil, func() {}, nil
}

// benchKeptIndex times the queries on the index kept in dir as it is.
func (m *Main) benchKeptIndex(ctx context.Context, dir string, bt *benchText, queries int, profile string) error {
	ix, err := search.Open(filepath.Join(dir, "index"))
	if err != nil {
		return err
	}
	defer ix.Close()
	fmt.Fprintf(m.Stdout, "The index kept in %s: %d segments\n", dir, ix.Segments())
	return m.benchQueryMixes(ctx, ix, bt, queries, profile)
}

// benchIndexing times reading the store's change feed into the empty
// index ix (with a CPU profile in profile.index when profile is named),
// then a full reindex, then waits for the background merges to settle so
// that queries are timed on the index as a server holds it.
func (m *Main) benchIndexing(ctx context.Context, ix *search.Index, st *sqlstore.Store, n int, profile string) error {
	if profile != "" {
		profile += ".index"
	}
	stop, err := startCPUProfile(profile)
	if err != nil {
		return err
	}
	in := &search.Indexer{Index: ix, Store: st, BatchSize: 1000}
	start := time.Now()
	err = in.DrainCommitted(ctx)
	el := time.Since(start)
	stop()
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "indexing from the change feed: %d documents in %.1f s, %.0f documents/s (target ≥ 1,000); %d segments\n", n, el.Seconds(), float64(n)/el.Seconds(), ix.Segments())
	res, err := ix.Reindex(ctx, st)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "full reindex: %d documents in %.1f s (target < 120 s for 100,000); %d segments\n", res.Documents, res.Elapsed.Seconds(), ix.Segments())
	start = time.Now()
	settled := benchSettle(ctx, ix)
	fmt.Fprintf(m.Stdout, "background merges settled %.1f s after the reindex: %d segments\n", time.Since(start).Seconds(), settled)
	return nil
}

// startCPUProfile writes a CPU profile to the file at path until stop is
// called; with no path it does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// benchQueryMixes times the queries of both mixes.
func (m *Main) benchQueryMixes(ctx context.Context, ix *search.Index, bt *benchText, n int, profile string) error {
	stop, err := startCPUProfile(profile)
	if err != nil {
		return err
	}
	defer stop()
	start := time.Now()
	warmed, err := ix.Warm(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "warm-up (as the server does when it starts, and when writes pause): the common words of %d segments read in %.1f s\n", warmed, time.Since(start).Seconds())
	for _, mix := range []string{"zipf", "uniform"} {
		if err := m.benchQueries(ctx, ix, bt, mix, n); err != nil {
			return err
		}
	}
	return nil
}

// benchQueryKinds are the kinds of query the search bench times, in the
// order it prints them after "all".
var benchQueryKinds = []string{"term", "phrase", "boolean", "faceted", "filtered", "question"}

// benchQueries times a mix of term, phrase, boolean, faceted and filtered
// queries whose words are drawn by the Zipf law ("zipf") or evenly from
// the vocabulary ("uniform").
func (m *Main) benchQueries(ctx context.Context, ix *search.Index, bt *benchText, mix string, n int) error {
	kinds := map[string][]time.Duration{}
	for q := 0; q < n; q++ {
		kind, req := bt.query(mix, q)
		t0 := time.Now()
		var err error
		// labelled, so that a profile can be read by kind:
		// go tool pprof -tagfocus kind=question
		pprof.Do(ctx, pprof.Labels("kind", kind, "mix", mix), func(ctx context.Context) {
			_, err = ix.Search(ctx, req)
		})
		if err != nil {
			return err
		}
		d := time.Since(t0)
		kinds[kind] = append(kinds[kind], d)
		kinds["all"] = append(kinds["all"], d)
	}
	what := "query words drawn by the same Zipf law as the text: common words, stop words included, come up often"
	if mix == "uniform" {
		what = "query words drawn evenly from the vocabulary: mostly rarer words, as names and terms are"
	}
	fmt.Fprintf(m.Stdout, "query latency over %d queries, %s (targets: p50 ≤ 5 ms, p99 ≤ 50 ms):\n", n, what)
	for _, k := range append([]string{"all"}, benchQueryKinds...) {
		fmt.Fprintf(m.Stdout, "  %-9s p50 %6.2f ms  p99 %6.2f ms\n", k, millis(stats.Quantile(kinds[k], 0.5)), millis(stats.Quantile(kinds[k], 0.99)))
	}
	return nil
}

// millis is d in milliseconds, to the microsecond.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// query is the search bench's query number q of the mix: its kind, by q,
// a third of them in English, and the request, all scopes.
func (bt *benchText) query(mix string, q int) (kind string, req search.Request) {
	r, lang := bt.r, 0
	if q%3 == 2 {
		lang = 1
	}
	vocab := bt.vocabs[lang]
	draw := func() string {
		if mix == "uniform" {
			return vocab[r.IntN(len(vocab))]
		}
		return vocab[bt.zipfs[lang].Uint64()]
	}
	w1, w2 := draw(), draw()
	switch kind = benchQueryKinds[q%len(benchQueryKinds)]; kind {
	case "term":
		req = search.Request{Query: w1}
	case "phrase":
		req = search.Request{Query: `"` + w1 + " " + w2 + `"`}
	case "boolean":
		req = search.Request{Query: w1 + " OR " + w2 + " -" + draw()}
	case "faceted":
		req = search.Request{Query: w1 + " " + w2, Sort: "date", Facets: true}
	case "filtered":
		req = search.Request{Query: w1, Type: bt.types[r.IntN(len(bt.types))], From: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)}
	case "question":
		req = search.Request{Query: benchQuestion(r, draw, lang == 1)}
	}
	req.Scope = pipeline.ScopeAll
	return kind, req
}

// benchStopVI and benchStopEN are the stop words questions are made with.
var (
	benchStopVI = strings.Fields("của và các là có được không thì trong với cho theo một về bị từ đến khi nào nếu để những gì bao nhiêu như thế")
	benchStopEN = strings.Fields("what which how the of and to in for is are be can must when where who with by on an a")
)

// benchQuestion is a question as people type them: three to ten words,
// about a third of them stop words.
func benchQuestion(r *rand.Rand, draw func() string, english bool) string {
	stops := benchStopVI
	if english {
		stops = benchStopEN
	}
	n := 3 + r.IntN(8)
	parts := make([]string, n)
	for i := range parts {
		if r.IntN(3) == 0 {
			parts[i] = stops[r.IntN(len(stops))]
		} else {
			parts[i] = draw()
		}
	}
	return strings.Join(parts, " ") + "?"
}

// benchGenerate stores n generated documents of the given number of
// words, each through the stages' store calls.
func (m *Main) benchGenerate(ctx context.Context, st *sqlstore.Store, bt *benchText, n, words int) error {
	r, vocabs, zipfs, types := bt.r, bt.vocabs, bt.zipfs, bt.types
	depts := []string{"one-stop", "land", "construction", "finance", "inspection"}
	b, err := st.BatchCreate(ctx, pipeline.BatchCreateParams{Name: "bench"})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Generating %d documents of %d words (Vietnamese and English) through the store...\n", n, words)
	genStart := time.Now()
	for i := 0; i < n; i++ {
		lang := 0
		if i%3 == 2 {
			lang = 1
		}
		var sb strings.Builder
		for w := 0; w < words; w++ {
			if w > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(vocabs[lang][zipfs[lang].Uint64()])
			if w%97 == 50 {
				fmt.Fprintf(&sb, " %d/%d/QĐ-UBND %03d%09d", r.IntN(999), 2015+r.IntN(10), r.IntN(96), r.IntN(1_000_000_000))
			}
		}
		d, err := st.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: b.ID, Filename: fmt.Sprintf("doc-%d.pdf", i),
			Path: fmt.Sprintf("bench/doc-%d.pdf", i), SHA256: fmt.Sprintf("%064x", i+1), Size: int64(sb.Len()), MIME: "application/pdf"})
		if err != nil {
			return err
		}
		if err := st.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, MIME: "application/pdf",
			Pages: []pipeline.Page{{Number: 1, Text: sb.String(), Quality: 1, Extractor: "pdf"}}, Quality: 1, Extractor: "pdf"}); err != nil {
			return err
		}
		c := pipeline.Classification{Type: types[r.IntN(len(types))], Department: depts[r.IntN(len(depts))], Tags: []string{},
			Fields: []pipeline.Field{{Name: "date", Type: "date", Value: fmt.Sprintf("%d-%02d-%02d", 2015+r.IntN(10), 1+r.IntN(12), 1+r.IntN(28))}}}
		if err := st.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: c}); err != nil {
			return err
		}
		if err := st.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: d.ID}); err != nil {
			return err
		}
	}
	fmt.Fprintf(m.Stdout, "  generated in %.1f s\n", time.Since(genStart).Seconds())

	return nil
}

// benchSettle waits until the index's segments have not changed for ten
// seconds (at most two minutes) and returns how many there are.
func benchSettle(ctx context.Context, ix *search.Index) int {
	last, since := ix.Segments(), time.Now()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(500 * time.Millisecond)
		if n := ix.Segments(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= 10*time.Second {
			break
		}
	}
	return last
}

// benchText is what the search benches write their documents and queries
// from: two vocabularies (English, Vietnamese) drawn by a Zipf law, as
// words are in real text, and the types documents are filed under; seeded,
// so that every run writes the same archive.
type benchText struct {
	r      *rand.Rand
	vocabs [2][]string
	zipfs  [2]*mrand.Zipf
	types  []string
}

func newBenchText() *benchText {
	bt := &benchText{
		r:      rand.New(rand.NewPCG(1, 2)),
		vocabs: [2][]string{benchVocabulary(false), benchVocabulary(true)},
		types:  []string{"decision", "official-letter", "report", "minutes", "contract", "invoice", "permit", "land", "complaint", "application"},
	}
	for i, v := range bt.vocabs {
		bt.zipfs[i] = mrand.NewZipf(mrand.New(mrand.NewSource(int64(i+1))), 1.07, 2, uint64(len(v)-1))
	}
	return bt
}
