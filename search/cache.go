package search

import (
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Segments never change once written (deletions are kept beside them), so
// what hoso reads of a segment to filter, count and sort is read once and
// kept until the segment is merged away: each keyword field's values with
// their documents, and each document's number in the store.

// keywordFieldsCached are the keyword fields whose values are cached.
var keywordFieldsCached = []string{"type", "department", "tags", "flags", "batch", "year", "month", "language", "day", "mime", "state"}

// keywordTerm is a keyword value and the segment's documents that have it
// (deleted ones included: callers take those off).
type keywordTerm struct {
	term string
	docs *roaring.Bitmap
}

// segmentData is what is cached of one segment.
type segmentData struct {
	keywords map[string][]keywordTerm // by field, terms in order

	idOnce sync.Once
	ids    []int64 // document ID by segment document number
	idErr  error

	lengths [4]fieldLengths // by field number, for BM25

	pairs      keptMap[[2]string, *roaring.Bitmap] // documents holding two folded words side by side (proximity.go)
	pairCounts keptMap[[2]string, float64]         // how many documents hold them, counted or estimated (proximity.go)
	terms      keptMap[termKey, *segTerm]
}

// keptMap is what a segment keeps of what searches asked for: a map that
// starts afresh once it holds its most, safe for searches side by side.
type keptMap[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

func (k *keptMap[K, V]) get(key K) (V, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	return v, ok
}

// put keeps v, forgetting everything first when most are kept already.
func (k *keptMap[K, V]) put(key K, v V, most int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil || len(k.m) >= most {
		k.m = map[K]V{}
	}
	k.m[key] = v
}

// maxTermsKept bounds the terms a segment keeps; past it they are
// forgotten and looked up again.
const maxTermsKept = 1 << 16

type termKey struct {
	field int
	text  string
}

// segTerm is what searches read of a term in a segment: its postings
// list and its documents, deleted ones too (each search takes off its
// snapshot's), so that neither the term dictionary nor the postings are
// read again for every search.
type segTerm struct {
	pl segment.PostingsList
	bm *roaring.Bitmap // not to be changed
}

// term returns a term of a field of the segment, looked up in dict the
// first time (a dictionary is not safe to share between searches: each
// passes its own); nil when no document holds it.
func (sd *segmentData) term(dict segment.TermDictionary, field int, text string) (*segTerm, error) {
	key := termKey{field, text}
	if st, ok := sd.terms.get(key); ok {
		return st, nil
	}
	pl, err := dict.PostingsList([]byte(text), nil, nil)
	if err != nil {
		return nil, err
	}
	var st *segTerm
	if pl != nil && pl.Count() > 0 {
		st = &segTerm{pl: pl, bm: postingsBitmap(pl)}
	}
	sd.terms.put(key, st, maxTermsKept)
	return st, nil
}

// segmentCache holds segmentData by segment, and the decoded postings of
// the terms ranking reads.
type segmentCache struct {
	mu       sync.Mutex
	segs     map[segment.Segment]*segmentData
	postings postingsCache
}

// get returns the cached data of a segment, reading it the first time.
func (c *segmentCache) get(ss *scorch.SegmentSnapshot) (*segmentData, error) {
	seg := ss.Segment()
	c.mu.Lock()
	if c.segs == nil {
		c.segs = map[segment.Segment]*segmentData{}
	}
	sd, ok := c.segs[seg]
	c.mu.Unlock()
	if ok {
		return sd, nil
	}
	sd = &segmentData{keywords: map[string][]keywordTerm{}}
	for _, f := range keywordFieldsCached {
		terms, err := readKeywordTerms(seg, f)
		if err != nil {
			return nil, err
		}
		sd.keywords[f] = terms
	}
	c.mu.Lock()
	if old, ok := c.segs[seg]; ok {
		sd = old // another search read it meanwhile
	} else {
		c.segs[seg] = sd
	}
	c.mu.Unlock()
	return sd, nil
}

// prune forgets the segments that are no longer in the index.
func (c *segmentCache) prune(live []*scorch.SegmentSnapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.segs) <= len(live) {
		return
	}
	keep := map[segment.Segment]bool{}
	for _, ss := range live {
		keep[ss.Segment()] = true
	}
	gone := map[segment.Segment]bool{}
	for seg := range c.segs {
		if !keep[seg] {
			delete(c.segs, seg)
			gone[seg] = true
		}
	}
	c.postings.forget(gone)
}

func readKeywordTerms(seg segment.Segment, field string) ([]keywordTerm, error) {
	dict, err := seg.Dictionary(field)
	if err != nil {
		return nil, fmt.Errorf("read field %s: %w", field, err)
	}
	var out []keywordTerm
	it := dict.AutomatonIterator(nil, nil, nil)
	var pl segment.PostingsList
	for {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("read field %s: %w", field, err)
		}
		if e == nil {
			break
		}
		pl, err = dict.PostingsList([]byte(e.Term), nil, pl)
		if err != nil {
			return nil, err
		}
		out = append(out, keywordTerm{term: e.Term, docs: postingsBitmap(pl)})
	}
	return out, nil
}

// postingsBitmap returns the documents of a postings list as a new
// bitmap.
func postingsBitmap(pl segment.PostingsList) *roaring.Bitmap {
	if pl == nil || pl.Count() == 0 {
		return roaring.New()
	}
	it := pl.Iterator(false, false, false, nil)
	if o, ok := it.(segment.OptimizablePostingsIterator); ok {
		if bm := o.ActualBitmap(); bm != nil {
			return bm.Clone()
		}
		if n, ok := o.DocNum1Hit(); ok {
			return roaring.BitmapOf(uint32(n))
		}
	}
	bm := roaring.New()
	for p, err := it.Next(); err == nil && p != nil; p, err = it.Next() {
		bm.Add(uint32(p.Number()))
	}
	return bm
}

// keyword returns the documents of a segment with a keyword value.
func (sd *segmentData) keyword(field, value string) *roaring.Bitmap {
	terms := sd.keywords[field]
	i := sort.Search(len(terms), func(i int) bool { return terms[i].term >= value })
	if i < len(terms) && terms[i].term == value {
		return terms[i].docs
	}
	return nil
}

// dayRange returns the documents dated from lo to hi (2006-01-02), both
// included ("" leaves that end open). Whole years and months inside the
// range are read from the year and month fields, so a range of ten years
// is a dozen bitmaps, not thousands of days.
func (sd *segmentData) dayRange(lo, hi string) *roaring.Bitmap {
	days := sd.keywords["day"]
	if len(days) == 0 {
		return roaring.New()
	}
	if lo == "" || lo < days[0].term {
		lo = days[0].term
	}
	if hi == "" || hi > days[len(days)-1].term {
		hi = days[len(days)-1].term
	}
	from, err1 := time.Parse("2006-01-02", lo)
	to, err2 := time.Parse("2006-01-02", hi)
	if err1 != nil || err2 != nil {
		return roaring.New()
	}
	var parts []*roaring.Bitmap
	add := func(bm *roaring.Bitmap) {
		if bm != nil {
			parts = append(parts, bm)
		}
	}
	for d := from; !d.After(to); {
		yearEnd := time.Date(d.Year(), 12, 31, 0, 0, 0, 0, time.UTC)
		monthEnd := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC)
		switch {
		case d.YearDay() == 1 && !yearEnd.After(to):
			add(sd.keyword("year", d.Format("2006")))
			d = yearEnd.AddDate(0, 0, 1)
		case d.Day() == 1 && !monthEnd.After(to):
			add(sd.keyword("month", d.Format("2006-01")))
			d = monthEnd.AddDate(0, 0, 1)
		default:
			// the days up to the month's end or the range's, read in one
			// stretch of the sorted day values
			last := monthEnd
			if to.Before(last) {
				last = to
			}
			end := last.Format("2006-01-02")
			i := sort.Search(len(days), func(i int) bool { return days[i].term >= d.Format("2006-01-02") })
			for ; i < len(days) && days[i].term <= end; i++ {
				parts = append(parts, days[i].docs)
			}
			d = last.AddDate(0, 0, 1)
		}
	}
	return roaring.FastOr(parts...)
}

// docIDs returns the store's document ID of each document of the
// segment, read once from the segment's ID field.
func (sd *segmentData) docIDs(seg segment.Segment) ([]int64, error) {
	sd.idOnce.Do(func() {
		ids := make([]int64, seg.Count())
		dict, err := seg.Dictionary("_id")
		if err != nil {
			sd.idErr = err
			return
		}
		it := dict.AutomatonIterator(nil, nil, nil)
		var pl segment.PostingsList
		var pi segment.PostingsIterator
		for {
			e, err := it.Next()
			if err != nil {
				sd.idErr = err
				return
			}
			if e == nil {
				break
			}
			id, err := strconv.ParseInt(e.Term, 10, 64)
			if err != nil {
				continue
			}
			if pl, err = dict.PostingsList([]byte(e.Term), nil, pl); err != nil {
				sd.idErr = err
				return
			}
			pi = pl.Iterator(false, false, false, pi)
			if o, ok := pi.(segment.OptimizablePostingsIterator); ok {
				if n, ok := o.DocNum1Hit(); ok {
					if n < uint64(len(ids)) {
						ids[n] = id
					}
					continue
				}
			}
			for p, err := pi.Next(); err == nil && p != nil; p, err = pi.Next() {
				if n := p.Number(); n < uint64(len(ids)) {
					ids[n] = id
				}
			}
		}
		sd.ids = ids
	})
	return sd.ids, sd.idErr
}
