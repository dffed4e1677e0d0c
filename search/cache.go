package search

import (
	"fmt"
	"sort"
	"strconv"
	"sync"

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
}

// segmentCache holds segmentData by segment.
type segmentCache struct {
	mu   sync.Mutex
	segs map[segment.Segment]*segmentData
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
	for seg := range c.segs {
		if !keep[seg] {
			delete(c.segs, seg)
		}
	}
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

// keywordRange returns the documents with a value from lo to hi, both
// included ("" leaves that end open).
func (sd *segmentData) keywordRange(field, lo, hi string) *roaring.Bitmap {
	terms := sd.keywords[field]
	i := sort.Search(len(terms), func(i int) bool { return terms[i].term >= lo })
	var parts []*roaring.Bitmap
	for ; i < len(terms) && (hi == "" || terms[i].term <= hi); i++ {
		parts = append(parts, terms[i].docs)
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
