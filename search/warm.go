package search

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Warming. The first search to meet a segment reads what it keeps of it:
// the keyword fields, the document IDs and, for each of its words, their
// frequencies and positions (postings.go). For a word in most documents
// that is millions of positions: a search that happens to be the first to
// ask for one waited tens of milliseconds. So once writes pause, the index
// reads in the background, segment by segment, what searches will ask
// for: the keyword fields and IDs of every segment, and in segments of
// some size the frequencies and positions of the words common enough to
// be slow to read (in more than one document in warmShare), within half
// the budget of the postings cache.

const (
	// warmQuiet is how long writes must pause before words are read:
	// during a bulk load the merger replaces segments every few seconds
	// and what was read of them would be thrown away.
	warmQuiet = time.Second
	// warmMinDocs is the smallest segment whose words are read ahead;
	// smaller ones are quick to read when asked.
	warmMinDocs = 2000
	// warmShare: words in more than one document in warmShare are read
	// ahead (a word in fewer is quick to read when asked).
	warmShare = 16
	// warmPoll is how often the warmer looks for segments a merge made,
	// and warmIdle how long it looks after the last write.
	warmPoll = time.Second
	warmIdle = 30 * time.Second
)

// warmer runs the index's warming, one pass at a time.
type warmer struct {
	running   atomic.Bool
	lastWrite atomic.Int64 // unix nanoseconds of the last write
	mu        sync.Mutex
	done      map[segment.Segment]bool // segments whose words were read ahead
}

// warm notes a write and makes sure the warmer runs: it reads the new
// segments, and those the merger makes from them, once writes pause.
func (ix *Index) warm() {
	ix.warmer.lastWrite.Store(time.Now().UnixNano())
	if !ix.warmer.running.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer ix.warmer.running.Store(false)
		for {
			since := time.Since(time.Unix(0, ix.warmer.lastWrite.Load()))
			if since > warmIdle {
				return
			}
			if since >= warmQuiet {
				if _, err := ix.warmPass(context.Background(), true); err != nil {
					return // closed, or a segment unreadable: searches will say
				}
			} else {
				// keywords and IDs cost little: read them at once
				if _, err := ix.warmPass(context.Background(), false); err != nil {
					return
				}
			}
			time.Sleep(warmPoll)
		}
	}()
}

// Warm reads ahead what searches keep of every segment of the index, as
// the background warmer does once writes pause, and returns how many
// segments it read words of. The server calls it when it starts; the
// benchmark before it times searches.
func (ix *Index) Warm(ctx context.Context) (int, error) {
	return ix.warmPass(ctx, true)
}

// warmPass reads the keyword fields and IDs of the live snapshot's
// segments and, with words, the common words of those not read yet.
func (ix *Index) warmPass(ctx context.Context, words bool) (int, error) {
	ix.mu.RLock()
	if ix.closed {
		ix.mu.RUnlock()
		return 0, errors.New("the search index is closed")
	}
	ai, err := ix.idx.Advanced()
	if err != nil {
		ix.mu.RUnlock()
		return 0, err
	}
	r, err := ai.Reader()
	ix.mu.RUnlock()
	if err != nil {
		return 0, err
	}
	defer r.Close() // holds the segments open while they are read
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok || snap == nil {
		return 0, nil
	}
	segs := snap.Segments()
	for _, ss := range segs {
		sd, err := ix.segments.get(ss)
		if err != nil {
			return 0, err
		}
		if _, err := sd.docIDs(ss.Segment()); err != nil {
			return 0, err
		}
	}
	ix.segments.prune(segs)
	ix.warmer.forget(segs)
	if !words {
		return 0, nil
	}
	n := 0
	for _, ss := range segs {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		if ss.Count() < warmMinDocs || ix.warmer.isDone(ss.Segment()) {
			continue
		}
		if ix.segments.postings.size() > PostingsCacheBytes/2 {
			break
		}
		sd, err := ix.segments.get(ss)
		if err != nil {
			return n, err
		}
		// Close waits for the segment in hand, and the next sees it closed
		ix.mu.RLock()
		if ix.closed {
			ix.mu.RUnlock()
			return n, errors.New("the search index is closed")
		}
		err = ix.warmWords(ctx, ss.Segment(), sd)
		ix.mu.RUnlock()
		if err != nil {
			return n, err
		}
		ix.warmer.markDone(ss.Segment())
		n++
	}
	return n, nil
}

// warmWords reads a segment's common words: their frequencies in the
// fields ranking reads, and in the folded text their positions too.
func (ix *Index) warmWords(ctx context.Context, seg segment.Segment, sd *segmentData) error {
	n := seg.Count()
	for _, field := range []int{lenFold, lenAux, lenEnglish} {
		dict, err := seg.Dictionary(fieldNames[field])
		if err != nil {
			return err
		}
		lengths := &sd.lengths[field]
		lengths.init(n)
		it := dict.AutomatonIterator(nil, nil, nil)
		var pl segment.PostingsList
		for {
			e, err := it.Next()
			if err != nil {
				return err
			}
			if e == nil {
				break
			}
			if e.Count*warmShare <= n {
				continue
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if pl, err = dict.PostingsList([]byte(e.Term), nil, pl); err != nil {
				return err
			}
			key := postingsKey{seg: seg, field: field, term: e.Term}
			if _, err := ix.segments.postings.get(key, pl, lengths); err != nil {
				return err
			}
			if field == lenFold {
				if _, err := ix.segments.postings.positions(key, pl); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (w *warmer) isDone(seg segment.Segment) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.done[seg]
}

func (w *warmer) markDone(seg segment.Segment) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done == nil {
		w.done = map[segment.Segment]bool{}
	}
	w.done[seg] = true
}

// forget drops the segments merged away.
func (w *warmer) forget(live []*scorch.SegmentSnapshot) {
	w.mu.Lock()
	defer w.mu.Unlock()
	keep := map[segment.Segment]bool{}
	for _, ss := range live {
		keep[ss.Segment()] = true
	}
	for seg := range w.done {
		if !keep[seg] {
			delete(w.done, seg)
		}
	}
}
