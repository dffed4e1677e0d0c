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
// Ranking also weighs query words that stand side by side in a document,
// and phrases must be checked word by word: for those the positions of a
// term are read once in full too, and kept beside its frequencies.
// What is kept is bounded by PostingsCacheBytes, the least recently used
// going first; segments never change, so nothing kept goes stale.

// PostingsCacheBytes bounds the memory of the kept frequencies and
// positions: about 5 bytes per word of text, so 1 GiB keeps all of an
// archive of some 200,000 documents of 500 words. With 256 MiB an archive
// of 100,000 went round evicting and decoding again (hoso bench search,
// the uniform mix: p50 7.0 ms against 3.3 ms with 1 GiB, same run).
const PostingsCacheBytes = 1 << 30

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

// postingsKey names a term of a field in a segment, and whether what is
// kept of it is its frequencies or its positions.
type postingsKey struct {
	seg       segment.Segment
	field     int
	term      string
	positions bool
}

// kept is what the cache holds of a term: termPostings or termPositions.
type kept interface{ bytes() int }

type postingsEntry struct {
	key  postingsKey
	once sync.Once
	val  kept
	err  error
}

// postingsCache keeps decoded terms, least recently used first out.
type postingsCache struct {
	mu    sync.Mutex
	bytes int
	order *list.List // of *postingsEntry, most recent at the front
	items map[postingsKey]*list.Element
}

// get returns a term's decoded frequencies in a segment, decoding them the
// first time; lengths receives the field lengths met.
func (c *postingsCache) get(key postingsKey, pl segment.PostingsList, lengths *fieldLengths) (*termPostings, error) {
	v, err := c.load(key, func() (kept, error) { return decodePostings(pl, key.seg.Count(), lengths) })
	if err != nil {
		return nil, err
	}
	return v.(*termPostings), nil
}

// positions returns a term's decoded positions in a segment, decoding
// them the first time.
func (c *postingsCache) positions(key postingsKey, pl segment.PostingsList) (*termPositions, error) {
	key.positions = true
	v, err := c.load(key, func() (kept, error) { return decodePositions(pl, key.seg.Count()) })
	if err != nil {
		return nil, err
	}
	return v.(*termPositions), nil
}

// load returns what is kept of a term, decoding it once however many
// searches ask at the same time, and makes room for it.
func (c *postingsCache) load(key postingsKey, decode func() (kept, error)) (kept, error) {
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
		v, err := decode()
		if err != nil {
			e.err = err
			return
		}
		e.val = v
		c.mu.Lock()
		c.bytes += v.bytes()
		for c.bytes > PostingsCacheBytes && c.order.Len() > 1 {
			last := c.order.Back()
			old := last.Value.(*postingsEntry)
			if old == e {
				break
			}
			c.order.Remove(last)
			delete(c.items, old.key)
			if old.val != nil {
				c.bytes -= old.val.bytes()
			}
		}
		c.mu.Unlock()
	})
	return e.val, e.err
}

// size returns the bytes kept.
func (c *postingsCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
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
			if e.val != nil {
				c.bytes -= e.val.bytes()
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

// termPositions are a term's positions in one segment's documents
// (deleted ones too). A common term (in more than one document in
// sixteen) finds a document's positions by its number, a rarer one by a
// search of its documents.
type termPositions struct {
	docs  []uint32 // rare: the documents that hold the term, in order
	start []uint32 // rare: docs[i]'s positions are pos[start[i]:start[i+1]]; common: document d's, pos[start[d]:start[d+1]]
	pos   []uint32 // ascending within a document
}

func (tp *termPositions) bytes() int { return 4*(len(tp.docs)+len(tp.start)+len(tp.pos)) + 64 }

// of returns a document's positions of the term, nil when it lacks it.
func (tp *termPositions) of(doc uint32) []uint32 {
	if tp.docs == nil {
		if int(doc)+1 >= len(tp.start) {
			return nil
		}
		return tp.pos[tp.start[doc]:tp.start[doc+1]]
	}
	i, ok := slices.BinarySearch(tp.docs, doc)
	if !ok {
		return nil
	}
	return tp.pos[tp.start[i]:tp.start[i+1]]
}

// decodePositions reads the positions of a postings list of a segment of
// n documents in full.
func decodePositions(pl segment.PostingsList, n uint64) (*termPositions, error) {
	count := pl.Count()
	dense := count*16 > n
	tp := &termPositions{}
	if dense {
		tp.start = make([]uint32, 0, n+1)
	} else {
		tp.docs, tp.start = make([]uint32, 0, count), make([]uint32, 0, count+1)
	}
	it := pl.Iterator(true, false, true, nil)
	for {
		p, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("read positions: %w", err)
		}
		if p == nil {
			break
		}
		d := p.Number()
		if dense {
			if d >= n {
				continue
			}
			for uint64(len(tp.start)) <= d {
				tp.start = append(tp.start, uint32(len(tp.pos)))
			}
		} else {
			tp.docs = append(tp.docs, uint32(d))
			tp.start = append(tp.start, uint32(len(tp.pos)))
		}
		first := len(tp.pos)
		for _, l := range p.Locations() {
			tp.pos = append(tp.pos, uint32(l.Pos()))
		}
		if mine := tp.pos[first:]; !slices.IsSorted(mine) {
			slices.Sort(mine)
		}
	}
	if dense {
		for uint64(len(tp.start)) <= n {
			tp.start = append(tp.start, uint32(len(tp.pos)))
		}
	} else {
		tp.start = append(tp.start, uint32(len(tp.pos)))
	}
	return tp, nil
}

// adjacent reports whether some position in b follows one in a directly.
func adjacent(a, b []uint32) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch want := a[i] + 1; {
		case b[j] < want:
			j++
		case b[j] == want:
			return true
		default:
			i++
		}
	}
	return false
}

// inSequence reports whether the words whose positions are given stand
// side by side, in that order, somewhere in the document.
func inSequence(pos [][]uint32) bool {
	if len(pos) == 0 {
		return false
	}
	next := make([]int, len(pos)) // per word, the first position not yet passed
	for _, p0 := range pos[0] {
		all := true
		for i := 1; i < len(pos); i++ {
			want := p0 + uint32(i)
			for next[i] < len(pos[i]) && pos[i][next[i]] < want {
				next[i]++
			}
			if next[i] == len(pos[i]) {
				return false
			}
			if pos[i][next[i]] != want {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
