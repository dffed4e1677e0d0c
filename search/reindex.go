package search

import (
	"context"
	"os"
	"time"

	"github.com/blevesearch/bleve/v2"

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
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan reindexBatch, 1)
	go readBatches(bctx, st, next)
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
	if err := ix.swapIn(idx, gen); err != nil {
		return fail(err)
	}
	return ReindexResult{Documents: n, Generation: gen, Elapsed: time.Since(start)}, nil
}

// reindexBatch is a batch of documents read and analyzed for a reindex:
// the writer, the documents in it still marked checked, or the error
// that ended the reading. A batch with neither writer nor error is the
// end.
type reindexBatch struct {
	w       *batchWriter
	checked []int64
	err     error
}

// readBatches reads the searchable documents 500 at a time, analyzes
// them and sends them to next, until the last or an error; it closes
// next.
func readBatches(ctx context.Context, st pipeline.Store, next chan<- reindexBatch) {
	defer close(next)
	var after int64
	for {
		docs, err := st.DocumentList(ctx, pipeline.DocumentListParams{AfterID: after, Limit: 500})
		if err != nil || len(docs) == 0 {
			next <- reindexBatch{err: err}
			return
		}
		after = docs[len(docs)-1].ID
		r := reindexBatch{w: &batchWriter{}}
		for _, d := range docs {
			if d.State != pipeline.StateChecked && d.State != pipeline.StateIndexed {
				continue
			}
			src, err := loadSource(ctx, st, d)
			if err != nil {
				next <- reindexBatch{err: err}
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
		case <-ctx.Done():
			return
		}
	}
}

// swapIn makes idx, generation gen, the live index: writers are held
// first, then searches in flight are waited for; the old generation is
// closed and removed.
func (ix *Index) swapIn(idx bleve.Index, gen int) error {
	ix.writeMu.Lock()
	ix.mu.Lock()
	old, oldGen := ix.idx, ix.gen
	if err := writeCurrent(ix.dir, gen); err != nil {
		ix.mu.Unlock()
		ix.writeMu.Unlock()
		return err
	}
	ix.idx, ix.gen = idx, gen
	ix.mu.Unlock()
	ix.writeMu.Unlock()
	old.Close()
	os.RemoveAll(genPath(ix.dir, oldGen))
	return nil
}
