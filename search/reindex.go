package search

import (
	"context"
	"os"
	"time"

	"hoso/pipeline"
)

// ReindexResult tells what a reindex did.
type ReindexResult struct {
	Documents  int           `json:"documents"`
	Generation int           `json:"generation"`
	Elapsed    time.Duration `json:"elapsed_ns"`
}

// Reindex builds a new generation of the index from the store, beside the
// live one, and swaps it in; searches go on against the live generation
// meanwhile. Changes made during the build are replayed by the indexer
// from the change-feed position the build started at.
func (ix *Index) Reindex(ctx context.Context, st pipeline.Store) (ReindexResult, error) {
	start := time.Now()
	from, err := st.ChangeFeedStart(ctx)
	if err != nil {
		return ReindexResult{}, err
	}
	gen := ix.Generation() + 1
	path := genPath(ix.dir, gen)
	if err := os.RemoveAll(path); err != nil { // a build a crash left behind
		return ReindexResult{}, err
	}
	idx, err := openGeneration(ix.dir, gen)
	if err != nil {
		return ReindexResult{}, err
	}
	fail := func(err error) (ReindexResult, error) {
		idx.Close()
		os.RemoveAll(path)
		return ReindexResult{}, err
	}
	// Documents are read and analyzed a batch ahead of the one written.
	type result struct {
		w       *batchWriter
		checked []int64
		err     error
	}
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan result, 1)
	go func() {
		defer close(next)
		var after int64
		for {
			docs, err := st.DocumentList(bctx, pipeline.DocumentListParams{AfterID: after, Limit: 500})
			if err != nil || len(docs) == 0 {
				next <- result{err: err}
				return
			}
			after = docs[len(docs)-1].ID
			r := result{w: &batchWriter{}}
			for _, d := range docs {
				if d.State != pipeline.StateChecked && d.State != pipeline.StateIndexed {
					continue
				}
				src, err := loadSource(bctx, st, d)
				if err != nil {
					next <- result{err: err}
					return
				}
				r.w.index(src)
				if d.State == pipeline.StateChecked {
					r.checked = append(r.checked, d.ID)
				}
			}
			r.w.analyze()
			select {
			case next <- r:
			case <-bctx.Done():
				return
			}
		}
	}()
	n := 0
	for r := range next {
		if r.err != nil {
			return fail(r.err)
		}
		if r.w == nil {
			break
		}
		n += len(r.w.ops)
		if err := r.w.commit(idx, nil); err != nil {
			return fail(err)
		}
		if err := st.DocumentMarkIndexed(ctx, r.checked); err != nil {
			return fail(err)
		}
	}
	if err := idx.SetInternal(hwmKey, encodeMark(from)); err != nil {
		return fail(err)
	}
	// Swap: writers first, then wait for searches in flight.
	ix.writeMu.Lock()
	ix.mu.Lock()
	old, oldGen := ix.idx, ix.gen
	if err := writeCurrent(ix.dir, gen); err != nil {
		ix.mu.Unlock()
		ix.writeMu.Unlock()
		return fail(err)
	}
	ix.idx, ix.gen = idx, gen
	ix.mu.Unlock()
	ix.writeMu.Unlock()
	old.Close()
	os.RemoveAll(genPath(ix.dir, oldGen))
	return ReindexResult{Documents: n, Generation: gen, Elapsed: time.Since(start)}, nil
}
