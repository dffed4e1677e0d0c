package search

import (
	"container/heap"
	"math"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
)

// scorer scores documents of one segment, in any order, from the kept
// postings of the query's terms (postings.go).
type scorer struct {
	q     *query
	sg    *segmentSearch
	terms []*termPostings // by term; nil where the segment lacks it
	tp    []float64       // BM25 of each term for the document scored
	pairs *pairScorer
}

func (s *snapshotSearch) newScorer(sg *segmentSearch) (*scorer, error) {
	q := s.q
	sc := &scorer{q: q, sg: sg, terms: make([]*termPostings, len(q.terms)), tp: make([]float64, len(q.terms))}
	seg := sg.ss.Segment()
	for i, t := range q.terms {
		if sg.lists[i] == nil || t.idf == 0 {
			continue
		}
		lengths := &sg.data.lengths[t.field]
		lengths.init(seg.Count())
		tp, err := s.ix.segments.postings.get(postingsKey{seg: seg, field: t.field, term: t.text}, sg.lists[i], lengths)
		if err != nil {
			return nil, err
		}
		sc.terms[i] = tp
	}
	var err error
	sc.pairs, err = s.newPairScorer(sg)
	return sc, err
}

// score returns a document's score: its words, and its adjacent query
// words. A document whose words leave it below floor even with every pair
// is not checked for them: it cannot make the page, and its score by its
// words alone says so.
func (sc *scorer) score(doc uint32, floor float64) float64 {
	for i, tp := range sc.terms {
		sc.tp[i] = 0
		t := &sc.q.terms[i]
		if tp == nil {
			continue
		}
		if f := tp.freq(doc); f > 0 {
			dl := sc.sg.data.lengths[t.field].get(doc)
			if dl == 0 {
				dl = t.avgdl
			}
			sc.tp[i] = t.idf * tfPart(f, dl, t.avgdl)
		}
	}
	words := sc.q.combine(sc.tp)
	if words+sc.pairs.ub < floor {
		return words
	}
	return words + sc.pairs.score(doc)
}

// tfPart is BM25's saturating term frequency.
func tfPart(tf, dl, avgdl float64) float64 {
	return tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*dl/avgdl))
}

// combine adds up a document's score from the BM25 of each term.
func (q *query) combine(tp []float64) float64 {
	score := 0.0
	for _, w := range q.scored {
		score += w.weight * w.scoreOf(tp)
	}
	return score
}

// hit is a document on its way to the page.
type hit struct {
	seg   int
	doc   uint32
	id    int64
	score float64
	day   string
}

// ranking keeps the best k hits: by score, then by document ID; or by
// day (newest or oldest first), then by document ID.
type ranking struct {
	k      int
	byDay  bool
	oldest bool
	hits   []hit // a heap with the worst hit on top
}

// before reports whether a ranks before b.
func (r *ranking) before(a, b hit) bool {
	if r.byDay {
		if a.day != b.day {
			return a.day > b.day != r.oldest
		}
	} else if a.score != b.score {
		return a.score > b.score
	}
	return a.id < b.id
}

func (r *ranking) Len() int           { return len(r.hits) }
func (r *ranking) Less(i, j int) bool { return r.before(r.hits[j], r.hits[i]) }
func (r *ranking) Swap(i, j int)      { r.hits[i], r.hits[j] = r.hits[j], r.hits[i] }
func (r *ranking) Push(x any)         { r.hits = append(r.hits, x.(hit)) }
func (r *ranking) Pop() any {
	h := r.hits[len(r.hits)-1]
	r.hits = r.hits[:len(r.hits)-1]
	return h
}

func (r *ranking) full() bool { return len(r.hits) >= r.k }

// floor returns the score below which no document can make the page:
// the last of this ranking once it is full, or the shared one if higher.
func (r *ranking) floor(shared *sharedFloor) (float64, bool) {
	fl, ok := shared.get()
	if r.full() && (!ok || r.worst().score > fl) {
		return r.worst().score, true
	}
	return fl, ok
}

// sharedFloor is the best last score of the full rankings of segments
// ranked side by side (nil: one ranking, nothing shared).
type sharedFloor struct {
	bits atomic.Uint64 // math.Float64bits of the floor, with set
	set  atomic.Bool
}

func (f *sharedFloor) get() (float64, bool) {
	if f == nil || !f.set.Load() {
		return 0, false
	}
	return math.Float64frombits(f.bits.Load()), true
}

// raise makes score the floor if it is higher.
func (f *sharedFloor) raise(score float64) {
	if f == nil {
		return
	}
	for {
		old := f.bits.Load()
		if f.set.Load() && math.Float64frombits(old) >= score {
			return
		}
		if f.bits.CompareAndSwap(old, math.Float64bits(score)) {
			f.set.Store(true)
			return
		}
	}
}

// worst is the last hit that would make the page.
func (r *ranking) worst() hit { return r.hits[0] }

// offer adds a hit if it makes the page.
func (r *ranking) offer(h hit) {
	if len(r.hits) < r.k {
		heap.Push(r, h)
	} else if r.before(h, r.hits[0]) {
		r.hits[0] = h
		heap.Fix(r, 0)
	}
}

// sorted returns the hits, best first.
func (r *ranking) sorted() []hit {
	out := make([]hit, len(r.hits))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(r).(hit)
	}
	return out
}

// rankSegment scores the segment's matches that can still make the page.
// It takes the matches that hold the weightiest optional clauses first:
// once the page is full, a match that lacks clauses 0..j can score at most
// rest(j), the bounds of the clauses after j added up, and if that is
// below the page's last score no such match is scored at all. Each pass
// reads the postings once, in document order; a pass that leaves the
// bound above the page's last score is followed by one that reaches as
// far down the clauses as that score allows.
//
// Segments may be ranked side by side, each into a ranking of its own:
// shared is then the best last score of those rankings that are full, below
// which no document can make the page.
func (s *snapshotSearch) rankSegment(si int, r *ranking, after *cursor, shared *sharedFloor) error {
	sg := s.segs[si]
	q := s.q
	if sg.matches.IsEmpty() {
		return nil
	}
	ids, err := sg.data.docIDs(sg.ss.Segment())
	if err != nil {
		return err
	}
	// rest[j]: the most a match lacking optional clauses 0..j-1 can score:
	// the other clauses' bounds, and the pairs none of whose words it lacks
	rest := make([]float64, len(q.optional)+1)
	for _, c := range q.clauses {
		if !c.excluded && !(len(c.atoms) == 1 && c.atoms[0].stop) {
			rest[0] += c.ub
		}
	}
	for _, p := range q.pairs {
		rest[0] += weightPair * p.idf
	}
	lacking := map[int]bool{}
	for j, ci := range q.optional {
		rest[j+1] = rest[j] - q.clauses[ci].ub
		for _, p := range q.pairs {
			if (p.clauses[0] == ci || p.clauses[1] == ci) && !lacking[p.clauses[0]] && !lacking[p.clauses[1]] {
				rest[j+1] -= weightPair * p.idf
			}
		}
		lacking[ci] = true
	}
	sc, err := s.newScorer(sg)
	if err != nil {
		return err
	}
	scored := roaring.New()
	reach := 0 // clauses 0..reach-1 are covered
	for {
		// how far down the clauses the page's last score lets us stop
		next := len(q.optional)
		if fl, ok := r.floor(shared); ok {
			for j := reach + 1; j <= len(q.optional); j++ {
				if rest[j] < fl {
					next = j
					break
				}
			}
		} else if reach == 0 && len(q.optional) > 0 {
			next = 1
		}
		var batch *roaring.Bitmap
		if next >= len(q.optional) {
			batch = roaring.AndNot(sg.matches, scored)
			next = len(q.optional)
		} else {
			var parts []*roaring.Bitmap
			for _, ci := range q.optional[:next] {
				if sg.clauseBM[ci] != nil {
					parts = append(parts, sg.clauseBM[ci])
				}
			}
			batch = roaring.And(sg.matches, roaring.FastOr(parts...))
			batch.AndNot(scored)
		}
		if !batch.IsEmpty() {
			it := batch.Iterator()
			for n := 0; it.HasNext(); n++ {
				if n&1023 == 0 && s.ctx.Err() != nil {
					return s.ctx.Err()
				}
				doc := it.Next()
				floor, ok := r.floor(shared)
				if !ok {
					floor = math.Inf(-1)
				}
				h := hit{seg: si, doc: doc, id: ids[doc], score: sc.score(doc, floor)}
				if h.score < floor || after != nil && !after.allows(h) {
					continue
				}
				r.offer(h)
				if r.full() {
					shared.raise(r.worst().score)
				}
			}
			scored.Or(batch)
		}
		reach = next
		if reach >= len(q.optional) {
			return nil
		}
		if fl, ok := r.floor(shared); ok && rest[reach] < fl {
			return nil
		}
	}
}

// rankSegmentByDay offers the segment's matches day by day, newest (or
// oldest) first, and stops at the first day that cannot make the page.
func (s *snapshotSearch) rankSegmentByDay(si int, r *ranking, after *cursor) error {
	sg := s.segs[si]
	ids, err := sg.data.docIDs(sg.ss.Segment())
	if err != nil {
		return err
	}
	days := sg.data.keywords["day"]
	for k := range days {
		i := len(days) - 1 - k
		if r.oldest {
			i = k
		}
		day := days[i]
		if r.full() && day.term != r.worst().day && r.before(r.worst(), hit{day: day.term}) {
			return nil
		}
		docs := roaring.And(sg.matches, day.docs)
		it := docs.Iterator()
		for it.HasNext() {
			doc := it.Next()
			h := hit{seg: si, doc: doc, id: ids[doc], day: day.term}
			if after != nil && !after.allows(h) {
				continue
			}
			r.offer(h)
		}
	}
	return nil
}
