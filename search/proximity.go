package search

import (
	"math"

	"github.com/RoaringBitmap/roaring/v2"
)

// Adjacent words. A query's adjacent words ("quyết định", "tử sĩ") that
// stand side by side in a document weigh as a term of their own: BM25's
// idf of the pair, counted by presence. The index keeps no field of word
// pairs (one made indexing half as fast); the pairs are read from the
// positions of the words instead, kept decoded like the frequencies
// (postings.go), for the documents ranking scores. Pairs weigh in documents that are
// not English only: in English, where words are not syllables, they made
// the ranking worse (CISI nDCG@10 0.354 with them, 0.377 without).

// maxPairsKept bounds the pairs whose documents a segment keeps; past it
// they are forgotten and found again when asked.
const maxPairsKept = 4096

// pairDocs returns the segment's documents that hold two words of the
// query side by side: read from their positions the first time, then
// kept with the segment. Deleted documents may be among them (the caller
// intersects with what it looks at); documents deleted later stay
// deleted, so what is kept holds for every later snapshot.
func (s *snapshotSearch) pairDocs(sg *segmentSearch, first, second int) (*roaring.Bitmap, error) {
	key := [2]string{s.q.terms[first].text, s.q.terms[second].text}
	sd := sg.data
	if bm, ok := sd.pairs.get(key); ok {
		return bm, nil
	}
	bm := roaring.New()
	a, b := sg.bm(first), sg.bm(second)
	if a != nil && b != nil {
		fa, err := s.positions(sg, first)
		if err != nil {
			return nil, err
		}
		fb, err := s.positions(sg, second)
		if err != nil {
			return nil, err
		}
		it := roaring.And(a, b).Iterator()
		for k := 0; it.HasNext(); k++ {
			if k&4095 == 0 && s.ctx.Err() != nil {
				return nil, s.ctx.Err()
			}
			doc := it.Next()
			if adjacent(fa.of(doc), fb.of(doc)) {
				bm.Add(doc)
			}
		}
	}
	sd.pairs.put(key, bm, maxPairsKept)
	return bm, nil
}

// keptPairDocs returns the pair's documents if the segment keeps them.
func (s *snapshotSearch) keptPairDocs(sg *segmentSearch, first, second int) *roaring.Bitmap {
	key := [2]string{s.q.terms[first].text, s.q.terms[second].text}
	bm, _ := sg.data.pairs.get(key)
	return bm
}

// pairIDF estimates the idf of each of the query's word pairs from the
// documents of each segment that hold them side by side (pairCount).
func (s *snapshotSearch) pairIDF() error {
	q := s.q
	if len(q.pairs) == 0 {
		return nil
	}
	counts := make([][]float64, len(s.segs)) // by segment, by pair
	err := s.eachSegment(func(i int, sg *segmentSearch) error {
		counts[i] = make([]float64, len(q.pairs))
		for k, p := range q.pairs {
			if sg.bm(p.first) == nil || sg.bm(p.second) == nil {
				continue
			}
			n, err := s.pairCount(sg, p.first, p.second)
			if err != nil {
				return err
			}
			counts[i][k] = n
		}
		return nil
	})
	if err != nil {
		return err
	}
	docs := float64(s.stats.Docs)
	for k := range q.pairs {
		p := &q.pairs[k]
		p.idf = 0
		df := 0.0
		for i := range s.segs {
			df += counts[i][k]
		}
		if df == 0 {
			continue // no document checked holds the pair: it adds nothing
		}
		df = max(1, df)
		n := max(docs, df)
		p.idf = math.Log(1 + (n-df+0.5)/(df+0.5))
	}
	return nil
}

// pairCount returns how many of a segment's documents that are not
// English hold two words side by side: exactly where few hold both words
// (their documents are then kept, pairDocs), else estimated from a sample
// of pairSample of those that hold both. The count is kept with the
// segment: a segment never changes, and the documents deleted since are
// too few to move an idf.
func (s *snapshotSearch) pairCount(sg *segmentSearch, first, second int) (float64, error) {
	key := [2]string{s.q.terms[first].text, s.q.terms[second].text}
	sd := sg.data
	n, ok := sd.pairCounts.get(key)
	if ok {
		return n, nil
	}
	inter := roaring.And(sg.bm(first), sg.bm(second))
	if en := sd.keyword("language", "en"); en != nil {
		inter.AndNot(en)
	}
	both := inter.GetCardinality()
	switch {
	case both == 0:
	case both <= 4*pairSample:
		docs, err := s.pairDocs(sg, first, second)
		if err != nil {
			return 0, err
		}
		n = float64(inter.AndCardinality(docs))
	default:
		fa, err := s.positions(sg, first)
		if err != nil {
			return 0, err
		}
		fb, err := s.positions(sg, second)
		if err != nil {
			return 0, err
		}
		step := both / pairSample
		var checked, held uint64
		for r := uint64(0); r < both; r += step {
			doc, err := inter.Select(uint32(r))
			if err != nil {
				return 0, err
			}
			checked++
			if adjacent(fa.of(doc), fb.of(doc)) {
				held++
			}
		}
		n = float64(held) * float64(both) / float64(checked)
	}
	sd.pairCounts.put(key, n, maxPairsKept)
	return n, nil
}

// pairScorer adds what a document's adjacent query words are worth.
type pairScorer struct {
	english *roaring.Bitmap // the segment's English documents: no pairs
	pairs   []scoredPair
	ub      float64 // the most a document can score from its pairs
}

type scoredPair struct {
	docs          *roaring.Bitmap // the documents holding the pair, when the segment keeps them
	first, second *termPositions  // else the words' positions
	weight        float64
}

// newPairScorer reads the positions of the words of the query's pairs in
// a segment.
func (s *snapshotSearch) newPairScorer(sg *segmentSearch) (*pairScorer, error) {
	ps := &pairScorer{english: sg.data.keyword("language", "en")}
	for _, p := range s.q.pairs {
		if p.idf == 0 || sg.lists[p.first] == nil || sg.lists[p.second] == nil {
			continue
		}
		if docs := s.keptPairDocs(sg, p.first, p.second); docs != nil {
			ps.pairs = append(ps.pairs, scoredPair{docs: docs, weight: weightPair * p.idf})
			ps.ub += weightPair * p.idf
			continue
		}
		first, err := s.positions(sg, p.first)
		if err != nil {
			return nil, err
		}
		second, err := s.positions(sg, p.second)
		if err != nil {
			return nil, err
		}
		ps.pairs = append(ps.pairs, scoredPair{first: first, second: second, weight: weightPair * p.idf})
		ps.ub += weightPair * p.idf
	}
	return ps, nil
}

// score returns what the query's pairs a document holds side by side are
// worth.
func (ps *pairScorer) score(doc uint32) float64 {
	if len(ps.pairs) == 0 || ps.english != nil && ps.english.Contains(doc) {
		return 0
	}
	sum := 0.0
	for _, p := range ps.pairs {
		if p.docs != nil && p.docs.Contains(doc) || p.docs == nil && adjacent(p.first.of(doc), p.second.of(doc)) {
			sum += p.weight
		}
	}
	return sum
}
