package search

import (
	"container/list"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Bleve's segments store a term's frequencies and norms as varints in
// chunks of documents, readable only in order: reaching one document
// decodes every posting before it in its chunk, which makes scoring a few
// hundred documents of a common word cost about as much as reading all of
// it. So ranking reads each term of a segment once, in full, and keeps its
// frequencies (a byte each) and the field lengths it met (a column per
// segment and field); a document's frequency is then one look-up.
// What is kept is bounded by PostingsCacheBytes, the least recently used
// going first; segments never change, so nothing kept goes stale.

// PostingsCacheBytes bounds the memory of the kept frequencies.
const PostingsCacheBytes = 256 << 20

// termPostings are a term's frequencies in one segment's documents
// (deleted ones too): by document number for a common term, else its
// documents in order with their frequencies.
type termPostings struct {
	dense []uint8  // by document number; 0: not in it
	docs  []uint32 // sparse: the documents, in order
	freqs []uint8  // sparse: their frequencies, capped at 255
}

func (tp *termPostings) bytes() int { return len(tp.dense) + 5*len(tp.docs) + 64 }

// freq returns a document's frequency, 0 when the term is not in it.
func (tp *termPostings) freq(doc uint32) float64 {
	if tp.dense != nil {
		if int(doc) < len(tp.dense) {
			return float64(tp.dense[doc])
		}
		return 0
	}
	i, ok := slices.BinarySearch(tp.docs, doc)
	if !ok {
		return 0
	}
	return float64(tp.freqs[i])
}

// postingsKey names a term of a field in a segment.
type postingsKey struct {
	seg   segment.Segment
	field int
	term  string
}

type postingsEntry struct {
	key  postingsKey
	once sync.Once
	tp   *termPostings
	err  error
}

// postingsCache keeps decoded terms, least recently used first out.
type postingsCache struct {
	mu    sync.Mutex
	bytes int
	order *list.List // of *postingsEntry, most recent at the front
	items map[postingsKey]*list.Element
}

// get returns a term's decoded postings in a segment, decoding them the
// first time; lengths receives the field lengths met.
func (c *postingsCache) get(key postingsKey, pl segment.PostingsList, lengths *fieldLengths) (*termPostings, error) {
	c.mu.Lock()
	if c.items == nil {
		c.items, c.order = map[postingsKey]*list.Element{}, list.New()
	}
	el, ok := c.items[key]
	if ok {
		c.order.MoveToFront(el)
	} else {
		el = c.order.PushFront(&postingsEntry{key: key})
		c.items[key] = el
	}
	e := el.Value.(*postingsEntry)
	c.mu.Unlock()

	e.once.Do(func() {
		e.tp, e.err = decodePostings(pl, key.seg.Count(), lengths)
		if e.err != nil {
			return
		}
		c.mu.Lock()
		c.bytes += e.tp.bytes()
		for c.bytes > PostingsCacheBytes && c.order.Len() > 1 {
			last := c.order.Back()
			old := last.Value.(*postingsEntry)
			if old == e {
				break
			}
			c.order.Remove(last)
			delete(c.items, old.key)
			if old.tp != nil {
				c.bytes -= old.tp.bytes()
			}
		}
		c.mu.Unlock()
	})
	return e.tp, e.err
}

// forget drops what is kept of segments no longer in the index.
func (c *postingsCache) forget(gone map[segment.Segment]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, el := range c.items {
		if gone[key.seg] {
			e := el.Value.(*postingsEntry)
			c.order.Remove(el)
			delete(c.items, key)
			if e.tp != nil {
				c.bytes -= e.tp.bytes()
			}
		}
	}
}

// decodePostings reads a postings list of a segment of n documents in
// full. A term in more than one document in sixteen keeps a byte for
// every document, a rarer one five bytes for each of its own.
func decodePostings(pl segment.PostingsList, n uint64, lengths *fieldLengths) (*termPostings, error) {
	tp := &termPostings{}
	if count := pl.Count(); count*16 > n {
		tp.dense = make([]uint8, n)
	} else {
		tp.docs, tp.freqs = make([]uint32, 0, count), make([]uint8, 0, count)
	}
	it := pl.Iterator(true, true, false, nil)
	for {
		p, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("read postings: %w", err)
		}
		if p == nil {
			break
		}
		d := p.Number()
		f := uint8(max(1, min(p.Frequency(), 255)))
		if tp.dense != nil {
			if d < n {
				tp.dense[d] = f
			}
		} else {
			tp.docs, tp.freqs = append(tp.docs, uint32(d)), append(tp.freqs, f)
		}
		if norm := p.Norm(); norm > 0 {
			lengths.set(d, uint32(math.Round(1/(norm*norm))))
		}
	}
	return tp, nil
}

// fieldLengths is a segment's field lengths by document, filled in as
// terms are decoded; 0 is not known yet. Every document a decoded term
// holds has its length set.
type fieldLengths struct {
	once sync.Once
	dl   []atomic.Uint32
}

func (fl *fieldLengths) init(n uint64) { fl.once.Do(func() { fl.dl = make([]atomic.Uint32, n) }) }

func (fl *fieldLengths) set(doc uint64, n uint32) {
	if doc < uint64(len(fl.dl)) {
		fl.dl[doc].Store(n)
	}
}

func (fl *fieldLengths) get(doc uint32) float64 {
	if int(doc) < len(fl.dl) {
		if n := fl.dl[doc].Load(); n > 0 {
			return float64(n)
		}
	}
	return 0
}
