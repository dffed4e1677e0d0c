package search

import (
	"context"
	"fmt"
	"iter"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"hoso/pipeline"
)

// hoso searches Bleve's segments itself. For each segment it reads the
// documents of every query term as a bitmap (a few microseconds each,
// where decoding a posting list costs tens of nanoseconds a document),
// and finds the matching documents, their number and the facet counts
// with bitmap operations alone. Only ranking reads term frequencies, and
// only for the documents that can still reach the page: those holding the
// query's weightiest words first, until no document left out could
// outscore the page (the bound of MaxScore, applied to sets of documents).
//
// Scores are BM25 (k1 1.2, b 0.75, as Lucene) computed by hoso with the
// index's own totals: per query word the better of its folded and its
// stemmed form (plus a fifth of the other); a word typed with diacritics
// scores its exact form, and other forms of it at three tenths; identifiers
// whole. Adjacent query words that stand side by side in a document add
// the weight of a term of their own, read from the positions of the words
// (proximity.go), so the index needs no field of word pairs.

// BM25 parameters.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// Weights of the parts of a word's score.
const (
	weightOther  = 0.2 // the lesser of the folded and the stemmed form
	weightFolded = 0.3 // another diacritic form of a word typed with diacritics
	weightPair   = 1.0 // two query words side by side in the document
)

// pairSample is how many documents holding both words of a pair are
// checked for them side by side, to estimate how many hold the pair.
const pairSample = 256

// minHits is how many documents a ranked query must find before it stops
// relaxing how many of its words a document must hold.
const minHits = 10

// term is one term of a query in one field, with its statistics across
// the index.
type term struct {
	field int // lenFold, lenAux, ...
	text  string
	df    uint64
	idf   float64
	avgdl float64
	ub    float64 // the most one document can score from it
}

// scoredWord is how a word atom is scored: per analyzed word its folded,
// stemmed and exact term (-1 where there is none), and the identifier.
type scoredWord struct {
	fold, en, exact []int
	id              int
	weight          float64 // times the word is in the query
}

// scoreOf combines the BM25 of the word's terms, by term.
func (w *scoredWord) scoreOf(tp []float64) float64 {
	var f, e float64
	for i, t := range w.fold {
		if x := w.exact[i]; x >= 0 {
			f += tp[x]
			if t >= 0 {
				f += weightFolded * tp[t]
			}
		} else if t >= 0 {
			f += tp[t]
		}
		if t := w.en[i]; t >= 0 {
			e += tp[t]
		}
	}
	s := max(f, e) + weightOther*min(f, e)
	if w.id >= 0 {
		s += tp[w.id]
	}
	return s
}

// score combines the BM25 of the word's terms (or their bounds).
func (w *scoredWord) score(of func(t int) float64) float64 {
	var f, e float64
	for i := range w.fold {
		if w.exact[i] >= 0 {
			f += of(w.exact[i]) + weightFolded*of(w.fold[i])
		} else {
			f += of(w.fold[i])
		}
		e += of(w.en[i])
	}
	return max(f, e) + weightOther*min(f, e) + of(w.id)
}

// execAtom is an atom with the terms it needs.
type execAtom struct {
	atom
	word scoredWord // atomWord and atomPhrase
}

// execClause is a clause ready to run.
type execClause struct {
	clause
	atoms []execAtom
	index int     // position in the query, for matched and missing words
	ub    float64 // the most a document can score from it
	found bool    // some document holds it
}

// query is a search ready to run over a snapshot.
type query struct {
	plan     *plan
	clauses  []execClause
	scored   []*scoredWord // the words and phrases that score, of clauses not excluded
	terms    []term
	pairs    []wordPair
	optional []int // clauses that count towards minMatch, weightiest first
	minMatch int
	relaxed  bool
	matchAll bool
}

// textWords yields the words and phrases of the clauses not excluded,
// numbered from 1 in the query's order, as the highlights number them.
func (q *query) textWords() iter.Seq2[int, *execAtom] {
	return func(yield func(int, *execAtom) bool) {
		n := 0
		for ci := range q.clauses {
			c := &q.clauses[ci]
			if c.excluded {
				continue
			}
			for ai := range c.atoms {
				a := &c.atoms[ai]
				if a.kind != atomWord && a.kind != atomPhrase {
					continue
				}
				n++
				if !yield(n, a) {
					return
				}
			}
		}
	}
}

// wordPair is two adjacent words of the query.
type wordPair struct {
	first, second int     // their folded terms
	clauses       [2]int  // the clauses of the two words
	idf           float64 // of the pair, estimated from a sample (pairIDF)
}

// fieldNames are the index fields by number.
var fieldNames = [4]string{fieldFold, fieldAux, fieldEnglish, fieldIDs}

// snapshotSearch holds a search's view of the index.
type snapshotSearch struct {
	ctx   context.Context
	ix    *Index
	snap  *scorch.IndexSnapshot
	segs  []*segmentSearch
	stats stats
	q     *query
}

// segmentSearch is a search's state in one segment.
type segmentSearch struct {
	ss    *scorch.SegmentSnapshot
	data  *segmentData
	dicts [4]segment.TermDictionary
	lists []segment.PostingsList // by term, deleted documents too: what is kept of a segment holds for all its snapshots
	bms   []*roaring.Bitmap      // by term, its documents, deleted ones too (nil: no live one); not to be changed

	atomBM   [][]*roaring.Bitmap // by clause, atom: candidate documents
	clauseBM []*roaring.Bitmap   // by clause: documents holding it (phrases unverified)
	filter   *roaring.Bitmap     // filters of the request and the query; nil: every document
	baseBM   *roaring.Bitmap     // documents that pass the filters, required and excluded clauses
	levels   []*roaring.Bitmap   // levels[k-1]: documents holding at least k optional clauses
	matches  *roaring.Bitmap     // the documents that match
}

// newQuery prepares a plan: its terms, and which clauses count.
func newQuery(p *plan, matchAll bool) *query {
	q := &query{plan: p, matchAll: matchAll}
	ids := map[[2]string]int{}
	add := func(field int, text string) int {
		if text == "" {
			return -1
		}
		k := [2]string{fieldNames[field], text}
		if i, ok := ids[k]; ok {
			return i
		}
		q.terms = append(q.terms, term{field: field, text: text})
		ids[k] = len(q.terms) - 1
		return ids[k]
	}
	seen := map[string]int{}                // optional words already in the query, by folded text
	clauseOf := make([]int, len(p.clauses)) // the plan's clauses in the query
	for i, c := range p.clauses {
		clauseOf[i] = len(q.clauses)
		ec := execClause{clause: c, index: i}
		for _, a := range c.atoms {
			ea := execAtom{atom: a, word: scoredWord{id: -1, weight: 1}}
			if a.kind == atomWord || a.kind == atomPhrase {
				for _, w := range a.words {
					ea.word.fold = append(ea.word.fold, add(lenFold, w.fold))
					en := -1
					if a.kind == atomWord {
						en = add(lenEnglish, stem(w.fold))
					}
					ea.word.en = append(ea.word.en, en)
					exact := -1
					if w.exact != w.fold {
						exact = add(lenAux, w.exact)
					}
					ea.word.exact = append(ea.word.exact, exact)
				}
				if a.id != "" {
					ea.word.id = add(lenIDs, a.id)
				}
			}
			ec.atoms = append(ec.atoms, ea)
		}
		// A word typed twice weighs twice, as BM25 counts query words.
		if !c.required && !c.excluded && len(ec.atoms) == 1 && ec.atoms[0].kind == atomWord && len(ec.atoms[0].words) > 0 {
			key := ec.atoms[0].text
			if j, ok := seen[key]; ok {
				q.clauses[j].atoms[0].word.weight++
				clauseOf[i] = j
				continue
			}
			seen[key] = len(q.clauses)
		}
		q.clauses = append(q.clauses, ec)
	}
	for _, pr := range p.pairs {
		a, b := add(lenFold, pr.first), add(lenFold, pr.second)
		if a >= 0 && b >= 0 && a != b {
			q.pairs = append(q.pairs, wordPair{first: a, second: b, clauses: [2]int{clauseOf[pr.left], clauseOf[pr.right]}})
		}
	}
	for i := range q.clauses {
		c := &q.clauses[i]
		for j := range c.atoms {
			a := &c.atoms[j]
			if !c.excluded && (a.kind == atomWord || a.kind == atomPhrase) && !a.stop {
				q.scored = append(q.scored, &a.word)
			}
		}
	}
	return q
}

// open reads the query's terms in every segment and their statistics.
func (s *snapshotSearch) open() error {
	q := s.q
	for _, ss := range s.snap.Segments() {
		data, err := s.ix.segments.get(ss)
		if err != nil {
			return err
		}
		sg := &segmentSearch{ss: ss, data: data, lists: make([]segment.PostingsList, len(q.terms)), bms: make([]*roaring.Bitmap, len(q.terms))}
		for i, t := range q.terms {
			dict := sg.dicts[t.field]
			if dict == nil {
				if dict, err = ss.Segment().Dictionary(fieldNames[t.field]); err != nil {
					return fmt.Errorf("read field %s: %w", fieldNames[t.field], err)
				}
				sg.dicts[t.field] = dict
			}
			st, err := data.term(dict, t.field, t.text)
			if err != nil {
				return fmt.Errorf("read term: %w", err)
			}
			if st == nil {
				continue
			}
			n := st.bm.GetCardinality()
			if del := ss.Deleted(); del != nil {
				n -= st.bm.AndCardinality(del)
			}
			if n > 0 {
				sg.lists[i], sg.bms[i] = st.pl, st.bm
				q.terms[i].df += n
			}
		}
		s.segs = append(s.segs, sg)
	}
	docs := float64(s.stats.Docs)
	for i := range q.terms {
		t := &q.terms[i]
		n := docs
		if t.field == lenEnglish {
			n = float64(s.stats.English)
		}
		if t.df > 0 {
			n = max(n, float64(t.df))
			t.idf = math.Log(1 + (n-float64(t.df)+0.5)/(float64(t.df)+0.5))
		}
		t.avgdl = s.stats.avgLength(t.field)
		t.ub = t.idf * (bm25K1 + 1)
	}
	// Each atom's documents, once per segment; the filters of a request
	// come on top in prepare.
	for _, sg := range s.segs {
		sg.atomBM = make([][]*roaring.Bitmap, len(q.clauses))
		for i, c := range q.clauses {
			for _, a := range c.atoms {
				sg.atomBM[i] = append(sg.atomBM[i], sg.atomBitmap(a))
			}
		}
	}
	for i := range q.clauses {
		c := &q.clauses[i]
		for j, a := range c.atoms {
			c.ub += q.atomUB(a)
			c.found = c.found || s.holds(i, j)
		}
	}
	return nil
}

// holds reports whether some document holds atom j of clause i.
func (s *snapshotSearch) holds(i, j int) bool {
	for _, sg := range s.segs {
		if sg.atomBM[i][j] != nil {
			return true
		}
	}
	return false
}

// atomUB is the most a document can score from an atom.
func (q *query) atomUB(a execAtom) float64 {
	return a.word.weight * a.word.score(q.ub)
}

func (q *query) ub(t int) float64 {
	if t < 0 {
		return 0
	}
	return q.terms[t].ub
}

// bm returns the live documents of a term in the segment, nil for none.
func (sg *segmentSearch) bm(t int) *roaring.Bitmap {
	if t < 0 {
		return nil
	}
	return sg.bms[t]
}

// atomBitmap returns the documents that hold an atom (phrases: that hold
// its words; verify checks their order). nil means none.
func (sg *segmentSearch) atomBitmap(a execAtom) *roaring.Bitmap {
	switch a.kind {
	case atomField:
		if a.field == "" {
			return nil
		}
		return nonEmpty(sg.data.keyword(a.field, a.text))
	case atomDate:
		lo, hi := "", ""
		if !a.from.IsZero() {
			lo = a.from.Format("2006-01-02")
		}
		if !a.to.IsZero() {
			hi = a.to.Format("2006-01-02")
		}
		return nonEmpty(sg.data.dayRange(lo, hi))
	}
	if a.kind == atomPhrase {
		return nonEmpty(sg.phraseCandidates(a))
	}
	var all *roaring.Bitmap
	for i := range a.word.fold {
		one := sg.bm(a.word.fold[i])
		if en := sg.bm(a.word.en[i]); en != nil {
			if one == nil {
				one = en
			} else {
				one = roaring.Or(one, en)
			}
		}
		if one == nil {
			all = nil
			break
		}
		if all == nil {
			all = one.Clone()
		} else {
			all.And(one)
		}
	}
	if id := sg.bm(a.word.id); id != nil {
		if all == nil {
			all = id.Clone()
		} else {
			all.Or(id)
		}
	}
	return nonEmpty(all)
}

func nonEmpty(bm *roaring.Bitmap) *roaring.Bitmap {
	if bm == nil || bm.IsEmpty() {
		return nil
	}
	return bm
}

// filters are the request's own filters, apart from the query text.
type filters struct {
	scope    pipeline.Scope
	keyword  map[string]string // field → value
	from, to string            // days, "" open
	hasDates bool
}

// prepare computes each clause's documents and the filter, once per
// segment; match then combines them for a number of words to match.
func (sg *segmentSearch) prepare(q *query, f filters) {
	sg.clauseBM = make([]*roaring.Bitmap, len(q.clauses))
	for i := range q.clauses {
		var parts []*roaring.Bitmap
		for _, bm := range sg.atomBM[i] {
			if bm != nil {
				parts = append(parts, bm)
			}
		}
		if len(parts) > 0 {
			sg.clauseBM[i] = roaring.FastOr(parts...)
		}
	}
	var filter []*roaring.Bitmap
	sg.filter = nil
	if !f.scope.All {
		var deps []*roaring.Bitmap
		for _, d := range f.scope.Departments {
			if bm := sg.data.keyword("department", d); bm != nil {
				deps = append(deps, bm)
			}
		}
		filter = append(filter, roaring.FastOr(deps...))
	}
	for field, v := range f.keyword {
		bm := sg.data.keyword(field, v)
		if bm == nil {
			bm = roaring.New()
		}
		filter = append(filter, bm)
	}
	if f.hasDates {
		filter = append(filter, sg.data.dayRange(f.from, f.to))
	}
	if len(filter) > 0 {
		sg.filter = roaring.FastAnd(filter...)
		if len(filter) == 1 {
			sg.filter = filter[0].Clone()
		}
	}
}

// base finds the documents of the segment that pass the filters and hold
// the required clauses (phrases not yet verified) and none of the
// excluded ones; levels counts, for each, how many optional clauses it
// holds (levels[k-1]: at least k), up to the most that will be asked.
func (sg *segmentSearch) base(q *query) {
	var m *roaring.Bitmap
	and := func(bm *roaring.Bitmap) {
		if bm == nil {
			m = roaring.New()
		} else if m == nil {
			m = bm.Clone()
		} else {
			m.And(bm)
		}
	}
	if sg.filter != nil {
		and(sg.filter)
	}
	for i, c := range q.clauses {
		if c.required && !c.excluded {
			and(sg.clauseBM[i])
		}
	}
	var opt []*roaring.Bitmap
	for _, i := range q.optional {
		if sg.clauseBM[i] != nil {
			opt = append(opt, sg.clauseBM[i])
		}
	}
	sg.levels = atLeastLevels(opt, q.minMatch)
	if m == nil && q.minMatch > 0 {
		// only the optional words narrow it down
		if len(sg.levels) == 0 {
			m = roaring.New()
		} else {
			m = sg.levels[0].Clone()
		}
	}
	if m == nil {
		// nothing narrows it down: every document
		m = roaring.New()
		m.AddRange(0, sg.ss.Segment().Count())
	}
	for i, c := range q.clauses {
		if c.excluded {
			// phrases are taken off once verified, in verify
			for j, a := range c.atoms {
				if a.kind != atomPhrase && sg.atomBM[i][j] != nil {
					m.AndNot(sg.atomBM[i][j])
				}
			}
		}
	}
	if del := sg.ss.Deleted(); del != nil {
		m.AndNot(del)
	}
	sg.baseBM = m
}

// match returns the documents that pass base and hold at least n of the
// optional clauses.
func (sg *segmentSearch) match(n int) *roaring.Bitmap {
	if n <= 0 {
		return sg.baseBM.Clone()
	}
	if n > len(sg.levels) {
		return roaring.New()
	}
	return roaring.And(sg.baseBM, sg.levels[n-1])
}

// atLeastLevels returns, for k from 1 to n, the documents in at least k
// of the sets: one pass, each set added to counters that carry upwards.
func atLeastLevels(sets []*roaring.Bitmap, n int) []*roaring.Bitmap {
	n = min(n, len(sets))
	if n <= 0 {
		return nil
	}
	levels := make([]*roaring.Bitmap, n)
	if n == 1 {
		levels[0] = roaring.FastOr(sets...)
		return levels
	}
	for i := range levels {
		levels[i] = roaring.New()
	}
	for s, set := range sets {
		for k := min(n-1, s); k >= 1; k-- {
			if levels[k-1].IsEmpty() {
				continue
			}
			levels[k].Or(roaring.And(levels[k-1], set))
		}
		levels[0].Or(set)
	}
	return levels
}

// phraseCandidates returns the documents that hold every word of a
// phrase; phraseDocs checks their order.
func (sg *segmentSearch) phraseCandidates(a execAtom) *roaring.Bitmap {
	var out *roaring.Bitmap
	for _, t := range a.word.fold {
		bm := sg.bm(t)
		if bm == nil {
			return nil
		}
		if out == nil {
			out = bm.Clone()
		} else {
			out.And(bm)
		}
	}
	return out
}

// verify checks the phrases of the segment's matches: a document that
// holds a required phrase's words only apart is dropped, and one that
// holds an excluded phrase is dropped.
func (s *snapshotSearch) verify(sg *segmentSearch) error {
	q := s.q
	for i, c := range q.clauses {
		for j, a := range c.atoms {
			if a.kind != atomPhrase || sg.atomBM[i][j] == nil {
				continue
			}
			cand := roaring.And(sg.matches, sg.atomBM[i][j])
			if c.required && !c.excluded {
				// documents the clause's other atoms hold need no check
				for k, b := range c.atoms {
					if k != j && sg.atomBM[i][k] != nil && (b.kind != atomPhrase) {
						cand.AndNot(sg.atomBM[i][k])
					}
				}
			}
			if cand.IsEmpty() {
				continue
			}
			found, err := s.phraseDocs(sg, a, cand)
			if err != nil {
				return err
			}
			if c.excluded {
				sg.matches.AndNot(found)
				continue
			}
			cand.AndNot(found)
			if c.required {
				// a document another phrase of the clause holds stays
				others := roaring.New()
				for k, b := range c.atoms {
					if k != j && b.kind == atomPhrase && sg.atomBM[i][k] != nil {
						f, err := s.phraseDocs(sg, b, roaring.And(cand, sg.atomBM[i][k]))
						if err != nil {
							return err
						}
						others.Or(f)
					}
				}
				cand.AndNot(others)
				sg.matches.AndNot(cand)
			}
		}
	}
	return nil
}

// eachSegment runs fn on every segment, as many at a time as the
// machine has cores: checking the phrases of a segment's matches reads
// their words' positions, and on a large archive that is most of what a
// phrase of common words costs. fn may change only its segment's state;
// the caches it reaches are shared safely. The first error stops the
// segments not yet started.
func (s *snapshotSearch) eachSegment(fn func(i int, sg *segmentSearch) error) error {
	workers := min(runtime.GOMAXPROCS(0), len(s.segs))
	if workers <= 1 {
		for i, sg := range s.segs {
			if err := fn(i, sg); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		next   atomic.Int64
		failed atomic.Bool
		mu     sync.Mutex
		first  error
		wg     sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= len(s.segs) {
					return
				}
				if err := fn(i, s.segs[i]); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// phraseDocs returns the documents of cand that hold the phrase's words
// side by side, in order, read from the positions of its words.
func (s *snapshotSearch) phraseDocs(sg *segmentSearch, a execAtom, cand *roaring.Bitmap) (*roaring.Bitmap, error) {
	out := roaring.New()
	n := len(a.word.fold)
	tps := make([]*termPositions, n)
	for i, t := range a.word.fold {
		if t < 0 || sg.lists[t] == nil {
			return out, nil
		}
		tp, err := s.positions(sg, t)
		if err != nil {
			return nil, err
		}
		tps[i] = tp
	}
	// each pair of adjacent words narrows the candidates, from the pairs'
	// documents the segment keeps; two words need nothing more
	cand = cand.Clone()
	for i := 1; i < n && !cand.IsEmpty(); i++ {
		docs, err := s.pairDocs(sg, a.word.fold[i-1], a.word.fold[i])
		if err != nil {
			return nil, err
		}
		cand.And(docs)
	}
	if n <= 2 {
		out.Or(cand)
		return out, nil
	}
	pos := make([][]uint32, n)
	it := cand.Iterator()
	for k := 0; it.HasNext(); k++ {
		if k&1023 == 0 && s.ctx.Err() != nil {
			return nil, s.ctx.Err()
		}
		doc := it.Next()
		for i, tp := range tps {
			pos[i] = tp.of(doc)
		}
		if inSequence(pos) {
			out.Add(doc)
		}
	}
	return out, nil
}

// positions returns the positions of a term of the query in a segment.
func (s *snapshotSearch) positions(sg *segmentSearch, t int) (*termPositions, error) {
	term := s.q.terms[t]
	return s.ix.segments.postings.positions(postingsKey{seg: sg.ss.Segment(), field: term.field, term: term.text}, sg.lists[t])
}
