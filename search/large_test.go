package search

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"

	"hoso/pipeline"
)

// hugeText is a one-page text of about n bytes in the shape of a
// Vietnamese legal register: sentences of common syllables with a
// reference number now and then.
func hugeText(n int) string {
	syllables := strings.Fields(`quyết định nghị định thông tư ủy ban nhân dân tỉnh huyện xã phường
		về việc thành lập điều chỉnh địa giới hành chính có hiệu lực thi hành kể từ ngày ký ban hành
		các cơ quan tổ chức cá nhân liên quan chịu trách nhiệm quy định trước đây trái với đều bãi bỏ
		bộ trưởng chủ tịch thủ tướng chính phủ công báo đăng ký đất đai xây dựng giấy phép hồ sơ`)
	r := rand.New(rand.NewPCG(16, 3))
	var b strings.Builder
	b.Grow(n + 64)
	for b.Len() < n {
		for i := range 8 + r.IntN(12) {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(syllables[r.IntN(len(syllables))])
		}
		if r.IntN(10) == 0 {
			fmt.Fprintf(&b, " số %d/%d/NĐ-CP", 1+r.IntN(300), 1990+r.IntN(35))
		}
		b.WriteString(". ")
	}
	return b.String()
}

// allocated returns the fewest bytes f allocated in three runs (other
// goroutines of the test binary only ever add to a run's count).
func allocated(f func()) uint64 {
	least := ^uint64(0)
	for range 3 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}

// TestHugePageIndexedInBoundedMemory: what indexing a document costs in
// memory does not grow with its text beyond MaxIndexedText. A register
// of 6 MB on one page once took about 120 bytes per byte of text (over
// 700 MB for this one); now it costs about what its first MaxIndexedText
// bytes do.
func TestHugePageIndexedInBoundedMemory(t *testing.T) {
	text := hugeText(6 << 20)
	doc := func(text string) source {
		return source{doc: &pipeline.Document{ID: 1, Language: "vi", Filename: "register.csv"},
			pages: []pipeline.Page{{Number: 1, Text: text}}}
	}
	head := allocated(func() { bleveDocument(doc(text[:MaxIndexedText])) })
	whole := allocated(func() { bleveDocument(doc(text)) })
	t.Logf("indexing allocates %d MB for the first %d MB, %d MB for all %d MB", head>>20, MaxIndexedText>>20, whole>>20, len(text)>>20)
	if whole > head*3/2 {
		t.Errorf("indexing a page of %d MB allocates %d MB, more than 1.5 × the %d MB its first %d MB take",
			len(text)>>20, whole>>20, head>>20, MaxIndexedText>>20)
	}
}

// TestHugePageTailWordsBounded: beyond MaxIndexedText each word and each
// identifier is kept once, and no more than maxTailWords of them, however
// many distinct words the text holds there.
func TestHugePageTailWordsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(hugeText(MaxIndexedText))
	b.WriteString(" quyết định trùng lặp trùng lặp 56/2007/NĐ-CP 56/2007/NĐ-CP")
	r := rand.New(rand.NewPCG(1, 2))
	for range 2 * maxTailWords {
		fmt.Fprintf(&b, " w%08x %d/%d/QĐ-UB", r.Uint32(), r.IntN(1e5), 1990+r.IntN(35))
	}
	f := analyze(b.String(), false)
	fold, ids := countBeyondLimit(f.fold), countBeyondLimit(f.ids)
	for name, seen := range map[string]map[string]int{"text_fold": fold, "ids": ids} {
		if len(seen) == 0 || len(seen) > maxTailWords {
			t.Errorf("%s beyond the first %d bytes: %d distinct terms, want 1 to %d", name, MaxIndexedText, len(seen), maxTailWords)
		}
		for term, n := range seen {
			if n > 1 {
				t.Errorf("%s beyond the first %d bytes: %q %d times, want once", name, MaxIndexedText, term, n)
				break
			}
		}
	}
	if fold["trung"] != 1 || ids["56/2007/nđ-cp"] != 1 {
		t.Errorf("the first words beyond the limit: trung × %d, 56/2007/nđ-cp × %d, want each once", fold["trung"], ids["56/2007/nđ-cp"])
	}
	// The allowance goes to words the first part does not hold: those it
	// does are indexed there already.
	if n := fold["quyet"]; n != 0 {
		t.Errorf("quyết, indexed within the first %d bytes, kept %d times beyond them", MaxIndexedText, n)
	}
	if len(fold) != maxTailWords {
		t.Errorf("%d words beyond the limit, want the whole allowance of %d", len(fold), maxTailWords)
	}
}

// countBeyondLimit counts the terms of the tokens beyond MaxIndexedText.
func countBeyondLimit(ts analysis.TokenStream) map[string]int {
	seen := map[string]int{}
	for _, tk := range ts {
		if tk.Start >= MaxIndexedText {
			seen[string(tk.Term)]++
		}
	}
	return seen
}

// TestHugePageFound: a clerk finds a document of several MB by a word or
// a reference number only its end holds, and by a phrase of its
// beginning; the document says that it is indexed in part.
func TestHugePageFound(t *testing.T) {
	f := newFixture(t)
	text := "Danh mục văn bản quy phạm pháp luật. " + hugeText(3<<20) + " Phụ lục Khánh Vĩnh số 77/2031/QĐ-XYZ."
	id := f.add(t, "register", "", text)
	small := f.add(t, "register", "", "Quyết định về việc thành lập phường.")
	f.drain(t)
	for _, q := range []string{"khanh vinh", "Khánh Vĩnh", "77/2031/QĐ-XYZ", `"danh mục văn bản"`} {
		res := f.search(t, Request{Query: q})
		if len(res.Hits) != 1 || res.Hits[0].ID != id {
			t.Errorf("search %s: %d hits, want document %d alone", q, len(res.Hits), id)
		}
	}
	pages := func(id int64) []pipeline.Page {
		ps, err := f.st.PageListByDocument(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	if IndexedInFull(pages(id)) || !IndexedInFull(pages(small)) {
		t.Errorf("IndexedInFull: %v for %d MB, %v for a sentence; want false, true", IndexedInFull(pages(id)), len(text)>>20, IndexedInFull(pages(small)))
	}
}

// TestBatchAfterHugeDocumentBounded: a batch written after one that held
// a document of several MB costs what its own documents do. Bleve's
// segment writer once reserved, for each batch, the previous segment's
// bytes per document times the batch's documents: the batch of 500 after
// a register of 3 MB reserved over a gigabyte.
func TestBatchAfterHugeDocumentBounded(t *testing.T) {
	ix, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	idx := ix.live()
	doc := func(id int64, text string) source {
		return source{doc: &pipeline.Document{ID: id, Language: "vi", Filename: fmt.Sprintf("d%d.txt", id)},
			pages: []pipeline.Page{{Number: 1, Text: text}}}
	}
	// The segment writer's state comes from a pool: a few rounds, so that
	// one of them meets the state the huge document left.
	huge, most := hugeText(4<<20), uint64(0)
	for round := range int64(3) {
		w := &batchWriter{}
		w.index(doc(1000*round, huge))
		if err := w.commit(idx, nil); err != nil {
			t.Fatal(err)
		}
		for i := range int64(100) {
			w.index(doc(1000*round+1+i, hugeText(500)))
		}
		w.analyze()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if err := w.commit(idx, nil); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		most = max(most, after.TotalAlloc-before.TotalAlloc)
	}
	t.Logf("writing 100 documents of 500 bytes after one of 4 MB allocated up to %.1f MB", float64(most)/(1<<20))
	if most>>20 > 32 {
		t.Errorf("writing 100 documents of 500 bytes after one of 4 MB allocated up to %d MB, want under 32 MB", most>>20)
	}
}
