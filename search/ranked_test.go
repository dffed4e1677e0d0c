package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hoso/pipeline"
)

// addFiller adds documents that hold none of a test's words, so that the
// index has the spread of a real one (idf means something).
func (f *fixture) addFiller(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		f.add(t, "report", "", fmt.Sprintf("Biên bản họp giao ban thường kỳ, quý %d, bản %d.", i%4+1, i))
	}
}

func (f *fixture) drain(t *testing.T) {
	t.Helper()
	if err := f.in.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestRankedQuestion: a question whose words no document holds all of
// still finds the documents that hold most of them, best first, and says
// which words each holds and lacks. Stop words neither count nor miss.
func TestRankedQuestion(t *testing.T) {
	f := newFixture(t)
	f.addFiller(t, 30)
	both := f.add(t, "law", "", "Người chiếm đoạt di vật của tử sĩ thì bị phạt tù từ một năm đến năm năm.")
	half := f.add(t, "law", "", "Tội chiếm đoạt tài sản: phạt tiền hoặc phạt cải tạo không giam giữ.")
	other := f.add(t, "law", "", "Hành vi xâm phạm mồ mả, hài cốt của người khác.")
	f.drain(t)

	res := f.search(t, Request{Query: "Chiếm đoạt di vật của tử sĩ có thể bị phạt tù lên đến bao nhiêu năm?"})
	got := ids(res)
	if len(got) < 2 || got[0] != both || got[1] != half {
		t.Fatalf("hits %v, want %d then %d first", got, both, half)
	}
	if slices.Contains(got, other) {
		t.Errorf("a document holding none of the words (%d) was found: %v", other, got)
	}
	if res.Total != uint64(len(got)) {
		t.Errorf("total %d, hits %d", res.Total, len(got))
	}
	h := res.Hits[0]
	if !slices.Contains(h.Matched, "tử") || !slices.Contains(h.Matched, "sĩ") || slices.Contains(h.Missing, "của") {
		t.Errorf("first hit matched %v, missing %v", h.Matched, h.Missing)
	}
	if h := res.Hits[1]; !slices.Contains(h.Missing, "tử") || !slices.Contains(h.Matched, "Chiếm") {
		t.Errorf("second hit matched %v, missing %v", h.Matched, h.Missing)
	}
	var stops []string
	for _, w := range res.Words {
		if w.Stop {
			stops = append(stops, w.Text)
		}
	}
	if !slices.Contains(stops, "của") || slices.Contains(stops, "tử") {
		t.Errorf("stop words %v", stops)
	}

	// Typed without diacritics: the same first hits.
	bare := f.search(t, Request{Query: "chiem doat di vat cua tu si co the bi phat tu len den bao nhieu nam"})
	if g := ids(bare); len(g) < 2 || g[0] != both || g[1] != half {
		t.Errorf("without diacritics: %v, want %d, %d first", g, both, half)
	}
	// Mixed.
	if g := ids(f.search(t, Request{Query: "chiem đoạt di vat tử si"})); len(g) == 0 || g[0] != both {
		t.Errorf("mixed diacritics: %v", g)
	}
}

// TestMinMatch: a document must hold enough of the words: all of two,
// half of four; fewer when fewer than minHits documents would match;
// every word with match=all.
func TestMinMatch(t *testing.T) {
	f := newFixture(t)
	f.addFiller(t, 20)
	var two []int64
	for i := 0; i < 12; i++ {
		two = append(two, f.add(t, "permit", "", fmt.Sprintf("Giấy phép xây dựng nhà ở số %d.", i)))
	}
	for i := 0; i < 5; i++ {
		f.add(t, "permit", "", fmt.Sprintf("Giấy tờ về nhà số %d.", i))
	}
	f.drain(t)

	res := f.search(t, Request{Query: "phép dựng", Size: 50})
	if res.Total != 12 || res.MinMatch != 2 || res.Relaxed {
		t.Errorf("two words: total %d, min match %d, relaxed %v; want 12, 2, false", res.Total, res.MinMatch, res.Relaxed)
	}
	// "xây" is in the twelve only, "tờ" in the five: one of two is not
	// enough while twelve documents hold both of "phép xây".
	res = f.search(t, Request{Query: "phép tờ", Size: 50})
	if res.Total != 17 || !res.Relaxed || res.MinMatch != 1 {
		t.Errorf("no document holds both: total %d, relaxed %v, min %d; want 17, relaxed to 1", res.Total, res.Relaxed, res.MinMatch)
	}
	res = f.search(t, Request{Query: "phép tờ", Match: "all"})
	if res.Total != 0 {
		t.Errorf("match=all with words never together: %d documents", res.Total)
	}
	res = f.search(t, Request{Query: "giấy phép xây dựng", Match: "all", Size: 50})
	if res.Total != 12 {
		t.Errorf("match=all: %d documents, want 12", res.Total)
	}
	// Four words: half must match.
	res = f.search(t, Request{Query: "giấy phép xây tờ", Size: 50})
	if res.MinMatch != 2 || res.Total != 17 {
		t.Errorf("four words: min match %d, total %d; want 2, 17", res.MinMatch, res.Total)
	}
	if first := res.Hits[0].ID; !slices.Contains(two, first) {
		t.Errorf("a document with three of the words should rank first, got %d", first)
	}
}

// TestOperators: +required, -excluded, AND, OR and phrases keep their
// meaning in a ranked query.
func TestOperators(t *testing.T) {
	f := newFixture(t)
	f.addFiller(t, 10)
	a := f.add(t, "x", "", "Hồ sơ đất đai của hộ gia đình ông Nam.")
	b := f.add(t, "x", "", "Hồ sơ nhà ở của bà Lan, có giấy phép.")
	c := f.add(t, "x", "", "Giấy phép đất đai cấp cho người có thẩm quyền.")
	f.drain(t)
	sorted := func(q string) []int64 {
		g := ids(f.search(t, Request{Query: q, Size: 50}))
		slices.Sort(g)
		return g
	}
	for _, tt := range []struct {
		q    string
		want []int64
	}{
		{"+đất hồ sơ", []int64{a, c}},
		{"hồ sơ -đất", []int64{b}},
		{"đất AND nhà", []int64{}},
		{"đất AND phép", []int64{c}},
		{"Nam OR Lan", []int64{a, b}},
		{`"người có thẩm quyền"`, []int64{c}}, // stop words count inside a phrase
		{`"có thẩm"`, []int64{c}},
		{`"thẩm có"`, []int64{}},
		{`hồ -"nhà ở"`, []int64{a}},
		{`"đất đai" OR "nhà ở"`, []int64{a, b, c}},
	} {
		if got := sorted(tt.q); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Search(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

// TestAdjacentWordsRank: a query's words side by side in a document rank
// it above one where they are apart; a sentence in between parts them.
func TestAdjacentWordsRank(t *testing.T) {
	f := newFixture(t)
	f.addFiller(t, 20)
	apart := f.add(t, "x", "", "Quyết tâm hoàn thành, định kỳ báo cáo.")
	together := f.add(t, "x", "", "Quyết định hoàn thành, tâm kỳ báo cáo.")
	split := f.add(t, "x", "", "Phải quyết. Định kỳ báo cáo, tâm hoàn thành.")
	f.drain(t)
	got := ids(f.search(t, Request{Query: "quyết định"}))
	if len(got) != 3 || got[0] != together {
		t.Errorf("Search(quyết định) = %v, want %d (the words together) first, then %d and %d", got, together, apart, split)
	}
	if g := ids(f.search(t, Request{Query: `"quyết định"`})); fmt.Sprint(g) != fmt.Sprint([]int64{together}) {
		t.Errorf("the phrase across a full stop: %v, want only %d", g, together)
	}
}

// TestStemmedBelowExact: "permits" finds "permit", ranked below the exact
// form.
func TestStemmedBelowExact(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 10; i++ {
		f.add(t, "x", "", fmt.Sprintf("The annual report of the district office, part %d.", i))
	}
	stemmed := f.add(t, "x", "", "The permit was issued by the district office.")
	exact := f.add(t, "x", "", "The permits were issued by the district office.")
	f.drain(t)
	got := ids(f.search(t, Request{Query: "permits"}))
	if fmt.Sprint(got) != fmt.Sprint([]int64{exact, stemmed}) {
		t.Errorf("Search(permits) = %v, want %d (exact) then %d (stem)", got, exact, stemmed)
	}
	res := f.search(t, Request{Query: "permits"})
	if h := res.Hits[1].Highlights; len(h) == 0 || !strings.Contains(h[0], "<mark>permit</mark>") {
		t.Errorf("the stemmed form is not marked: %q", h)
	}
}

// TestIdentifierHighlight: an identifier is found in any spelling and
// marked as the document writes it.
func TestIdentifierHighlight(t *testing.T) {
	f := newFixture(t)
	f.idents = []pipeline.Identifier{{Kind: "phone", Value: "+84912345678", Raw: "0912.345.678", Page: 1, Offset: 28}}
	f.add(t, "x", "", "Liên hệ ông Bình, điện thoại 0912.345.678, số 56/2007/NĐ-CP.")
	f.drain(t)
	for _, q := range []string{"0912345678", "+84912345678", "84912345678", "0912.345.678"} {
		res := f.search(t, Request{Query: q})
		if len(res.Hits) != 1 {
			t.Errorf("Search(%q): %v", q, ids(res))
			continue
		}
		if h := res.Hits[0].Highlights; len(h) == 0 || !strings.Contains(h[0], "<mark>0912.345.678</mark>") {
			t.Errorf("Search(%q) highlights %q", q, h)
		}
	}
	res := f.search(t, Request{Query: "56/2007/NĐ-CP"})
	if h := res.Hits[0].Highlights; len(h) == 0 || !strings.Contains(h[0], "<mark>56/2007/NĐ-CP</mark>") {
		t.Errorf("reference number highlights %q", h)
	}
}

// TestSuggestions: when nothing is found, the answer says what to try.
func TestSuggestions(t *testing.T) {
	f := newFixture(t)
	f.addFiller(t, 5)
	for i := 0; i < 3; i++ {
		f.add(t, "permit", "", "Giấy phép xây dựng số "+fmt.Sprint(i))
	}
	f.drain(t)
	res := f.search(t, Request{Query: "xay dungg"})
	if res.Total == 0 {
		t.Fatalf("one word of two is enough here: %+v", res)
	}
	res = f.search(t, Request{Query: "dungg"})
	if res.Total != 0 || len(res.Suggestions) == 0 || res.Suggestions[0].Kind != "spelling" || res.Suggestions[0].Instead != "dung" {
		t.Errorf("misspelt word: %+v", res.Suggestions)
	}
	res = f.search(t, Request{Query: "giấy phép", Type: "decision"})
	found := false
	for _, s := range res.Suggestions {
		found = found || s.Kind == "filter" && s.Word == "type" && s.Total == 3
	}
	if res.Total != 0 || !found {
		t.Errorf("filtered to nothing: total %d, suggestions %+v", res.Total, res.Suggestions)
	}
}

// TestQueryLimits: a query too long or of too many parts is refused
// before it is run; the longest allowed one runs.
func TestQueryLimits(t *testing.T) {
	f := newFixture(t)
	f.add(t, "x", "", "a b c")
	f.drain(t)
	ctx := context.Background()
	long := strings.Repeat("a ", MaxQueryLength)
	if _, err := f.ix.Search(ctx, Request{Query: long, Scope: pipeline.ScopeAll}); pipeline.ErrorCode(err) != pipeline.EINVALID {
		t.Errorf("a query of %d characters: %v", len(long), err)
	}
	many := strings.Repeat("ab ", MaxQueryParts+1)
	if _, err := f.ix.Search(ctx, Request{Query: many, Scope: pipeline.ScopeAll}); pipeline.ErrorCode(err) != pipeline.EINVALID {
		t.Errorf("a query of %d parts: %v", MaxQueryParts+1, err)
	}
	ok := strings.Repeat("a b ", MaxQueryParts/2)
	if res, err := f.ix.Search(ctx, Request{Query: ok, Scope: pipeline.ScopeAll}); err != nil || res.Total != 1 {
		t.Errorf("a query of %d parts: %v, %v", MaxQueryParts, res, err)
	}
	// The lexer reads a long word once.
	word := strings.Repeat("x", MaxQueryLength-10) + ":y"
	if _, err := f.ix.Search(ctx, Request{Query: word, Scope: pipeline.ScopeAll}); err != nil {
		t.Errorf("one long word: %v", err)
	}
}

// TestTotalsFollowChanges: the index's totals (BM25's document count and
// field lengths) stay equal to what its documents hold as they are
// replaced and removed, in one batch or across batches, and after a
// reindex.
func TestTotalsFollowChanges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		f.add(t, "x", "", strings.Repeat("từ ngữ ", i+1))
	}
	f.add(t, "x", "", "The district office issued the permits.")
	f.drain(t)
	want, _ := f.ix.stats()
	// 2 words × 21 + 6 words, and each file name's word ("doc1").
	if want.Docs != 7 || want.English != 1 || want.Terms[lenFold] != 2*21+6+7 {
		t.Fatalf("totals %+v", want)
	}
	doc := func(id int64, text, lang string) source {
		return source{doc: &pipeline.Document{ID: id, Language: lang}, pages: []pipeline.Page{{Number: 1, Text: text}}}
	}
	w := &batchWriter{}
	// replaced twice in one batch, then removed in the next
	for _, src := range []source{doc(100, "một hai ba", "vi"), doc(100, "one two three four", "en")} {
		w.index(src)
	}
	if err := w.commit(f.ix.live(), nil); err != nil {
		t.Fatal(err)
	}
	st, _ := f.ix.stats()
	if st.Docs != 8 || st.English != 2 || st.Terms[lenFold] != want.Terms[lenFold]+4 || st.Terms[lenEnglish] != want.Terms[lenEnglish]+4 {
		t.Errorf("totals after adding one: %+v (before %+v)", st, want)
	}
	w.index(doc(100, "năm", "vi"))
	w.delete(100)
	if err := w.commit(f.ix.live(), nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.ix.stats(); st != want {
		t.Errorf("totals after removing it: %+v, want %+v", st, want)
	}
	if _, err := f.ix.Reindex(ctx, f.st); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.ix.stats(); st != want {
		t.Errorf("totals after a reindex: %+v, want %+v", st, want)
	}
}

// TestTermsKeptAcrossChanges: what a segment keeps of a term (its
// documents, read once) still gives each search its own snapshot's
// documents: one replaced or removed after a search read the term is
// found no more, and the term's count (its idf) follows.
func TestTermsKeptAcrossChanges(t *testing.T) {
	f := newFixture(t)
	f.addFiller(t, 20)
	f.add(t, "x", "", "hồ sơ đất đai số một")
	f.drain(t)
	doc := func(id int64, text string) source {
		return source{doc: &pipeline.Document{ID: id, Language: "vi"}, pages: []pipeline.Page{{Number: 1, Text: text}}}
	}
	w := &batchWriter{}
	// two in one segment: replacing one leaves the segment, with a deletion
	w.index(doc(100, "hồ sơ đất đai số hai"))
	w.index(doc(101, "hồ sơ đất đai số ba"))
	if err := w.commit(f.ix.live(), nil); err != nil {
		t.Fatal(err)
	}
	before := f.search(t, Request{Query: "đất"})
	if before.Total != 3 {
		t.Fatalf("before: %d hits, want 3", before.Total)
	}
	// replaced by a text without the words, in the segment the search read
	w.index(doc(100, "biên bản khác hẳn mọi nơi"))
	if err := w.commit(f.ix.live(), nil); err != nil {
		t.Fatal(err)
	}
	after := f.search(t, Request{Query: "đất"})
	if after.Total != 2 || len(after.Hits) != 2 || after.Hits[0].ID == 100 || after.Hits[1].ID == 100 {
		t.Fatalf("after the replacement: %+v, want two hits, not document 100", after)
	}
	score := func(r *Response, id int64) float64 {
		for _, h := range r.Hits {
			if h.ID == id {
				return h.Score
			}
		}
		t.Fatalf("document %d is not among %+v", id, r.Hits)
		return 0
	}
	// three documents held the word, two do: its idf rises by about a
	// fifth (what else changed moves the score by under 1%)
	if b, a := score(before, 101), score(after, 101); a < 1.1*b {
		t.Errorf("the word is rarer now, document 101 should score more: %.3f then %.3f", b, a)
	}
	if got := f.search(t, Request{Query: `"biên bản khác hẳn mọi nơi"`}); got.Total != 1 || got.Hits[0].ID != 100 {
		t.Errorf("the new text: %+v", got)
	}
	w.delete(100)
	if err := w.commit(f.ix.live(), nil); err != nil {
		t.Fatal(err)
	}
	if got := f.search(t, Request{Query: `"biên bản khác hẳn mọi nơi"`}); got.Total != 0 {
		t.Errorf("after the removal: %+v", got)
	}
}

func TestParseQuery(t *testing.T) {
	for _, tt := range []struct {
		q    string
		want string
	}{
		{"đất đai", "[đất] [đai]"},
		{"+đất -nhà", "+[đất] -[nhà]"},
		{`"giấy phép" xây`, `+["giấy phép"] [xây]`},
		{"a OR b c", "[a|b] [c]"},
		{"a AND b", "+[a] +[b]"},
		{"type:decision đất", "+[type:decision] [đất]"},
		{`type:"report" x`, "+[type:report] [x]"},
		{"của đất", "[của~] [đất]"},
		{"của và", "[của] [và]"}, // only stop words: none is one
		{"what is a permit", "[what~] [is~] [a~] [permit]"},
		// Question phrases are stop words typed without diacritics too,
		// but their syllables alone keep their meaning ("bao" may be "bão").
		{"phat tu bao nhieu nam", "[phat] [tu] [bao~] [nhieu~] [nam]"},
		{"phạt tù bao nhiêu năm", "[phạt] [tù] [bao~] [nhiêu~] [năm]"},
		{"xu ly nhu the nao", "[xu] [ly] [nhu~] [the~] [nao~]"},
		{"bao lut nhieu nam", "[bao~] [lut] [nhieu] [nam]"},
		{"bao -x nhieu", "[bao~] -[x] [nhieu]"},
		{"(đất)", "[đất]"},
		{"x:y", "[x:y]"},
		{`phép"xây dựng"`, `[phép] +["xây dựng"]`},
	} {
		p, err := parseQuery(tt.q)
		if err != nil {
			t.Errorf("parseQuery(%q): %v", tt.q, err)
			continue
		}
		if got := p.String(); got != tt.want {
			t.Errorf("parseQuery(%q) = %s, want %s", tt.q, got, tt.want)
		}
	}
}

// String writes a plan the way the tests read it.
func (p *plan) String() string {
	var parts []string
	for _, c := range p.clauses {
		var atoms []string
		for _, a := range c.atoms {
			s := a.text
			switch a.kind {
			case atomPhrase:
				s = `"` + s + `"`
			case atomField:
				s = a.field + ":" + s
			case atomDate:
				s = "date:" + s
			}
			if a.stop {
				s += "~"
			}
			atoms = append(atoms, s)
		}
		s := "[" + strings.Join(atoms, "|") + "]"
		if c.excluded {
			s = "-" + s
		} else if c.required {
			s = "+" + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{`"giấy phép" +xây -nhà type:decision date:2024-01-01..2024-06-30 a OR b AND c`, `"`, `-`, `+"`, `::`, `date:..`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseQuery(s)
		if err != nil {
			if pe := pipeline.ErrorCode(err); pe != pipeline.EINVALID {
				t.Fatalf("parseQuery(%q): error code %s", s, pe)
			}
			return
		}
		if len(p.clauses) > MaxQueryParts {
			t.Fatalf("parseQuery(%q): %d clauses", s, len(p.clauses))
		}
	})
}

// TestDateRanges: a range of dates takes whole years and months from their
// own fields and the days at its ends; every range gives what counting
// the documents' dates gives.
func TestDateRanges(t *testing.T) {
	f := newFixture(t)
	var dates []string
	for i := 0; i < 80; i++ {
		d := fmt.Sprintf("%d-%02d-%02d", 2019+i%5, 1+(i*7)%12, 1+(i*13)%28)
		if i%11 == 0 {
			d = fmt.Sprintf("%d-12-31", 2019+i%5)
		}
		dates = append(dates, d)
		f.add(t, "x", d, "hồ sơ")
	}
	f.drain(t)
	for _, r := range [][2]string{{"2019-01-01", "2023-12-31"}, {"2020-03-15", "2021-02-03"}, {"2021-01-01", "2021-01-31"}, {"2022-12-31", "2023-01-01"},
		{"", "2020-06-30"}, {"2021-07-01", ""}, {"2020-02-29", "2020-02-29"}, {"2024-01-01", ""}} {
		want := 0
		for _, d := range dates {
			if (r[0] == "" || d >= r[0]) && (r[1] == "" || d <= r[1]) {
				want++
			}
		}
		var from, to time.Time
		if r[0] != "" {
			from, _ = time.Parse("2006-01-02", r[0])
		}
		if r[1] != "" {
			to, _ = time.Parse("2006-01-02", r[1])
			to = to.Add(24*time.Hour - time.Nanosecond)
		}
		res := f.search(t, Request{From: from, To: to})
		if int(res.Total) != want {
			t.Errorf("dated %s..%s: %d documents, want %d", r[0], r[1], res.Total, want)
		}
		res = f.search(t, Request{Query: "date:" + r[0] + ".." + r[1]})
		if int(res.Total) != want && (r[0] != "" || r[1] != "") {
			t.Errorf("date:%s..%s: %d documents, want %d", r[0], r[1], res.Total, want)
		}
	}
}

// TestPhrases: a phrase is its words side by side and in order, in
// Vietnamese documents (read from word pairs) and English ones (read
// from positions), never across a sentence.
func TestPhrases(t *testing.T) {
	f := newFixture(t)
	f.addFiller(t, 5)
	vi := f.add(t, "x", "", "Ủy ban nhân dân tỉnh cấp giấy phép xây dựng cho hộ gia đình.")
	viSplit := f.add(t, "x", "", "Hồ sơ gồm giấy. Phép xây dựng đã cấp; dân tỉnh nhân ủy ban.")
	en := f.add(t, "x", "", "The construction permit was issued by the people's committee of the province.")
	enApart := f.add(t, "x", "", "The permit for construction was issued. People committee members signed.")
	f.drain(t)
	for _, tt := range []struct {
		q    string
		want []int64
	}{
		{`"giấy phép"`, []int64{vi}},
		{`"giay phep xay dung"`, []int64{vi}},
		{`"xây dựng"`, []int64{vi, viSplit}},
		{`"nhân dân tỉnh"`, []int64{vi}},
		{`"construction permit"`, []int64{en}},
		{`"people committee"`, []int64{enApart}}, // "people's" is "people" and "s"
		{`"issued by the people"`, []int64{en}},
		{`"permit construction"`, []int64{}},
	} {
		got := ids(f.search(t, Request{Query: tt.q, Size: 50}))
		slices.Sort(got)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Search(%s) = %v, want %v", tt.q, got, tt.want)
		}
	}
}
