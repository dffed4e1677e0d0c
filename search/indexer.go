package search

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"time"

	"github.com/blevesearch/bleve/v2"

	"hoso/pipeline"
)

// hwmKey is where the index keeps the last change-feed entry it holds.
// It is written in the same Bleve batch as the documents, so a crash
// neither loses nor repeats an entry.
var hwmKey = []byte("hoso_hwm")

// Indexer tails the change feed into the index, in batches: Bleve is fast
// only in batches (about 80 documents/s one at a time, 1,500/s per 1,000).
type Indexer struct {
	Index     *Index
	Store     pipeline.Store
	BatchSize int           // changes per batch; default 500
	Poll      time.Duration // wait when the feed is empty; default 200ms
	Logger    *slog.Logger
}

// HighWaterMark is the last change-feed entry in the index.
func (ix *Index) HighWaterMark() (int64, error) {
	return highWaterMark(ix.live())
}

func highWaterMark(idx bleve.Index) (int64, error) {
	b, err := idx.GetInternal(hwmKey)
	if err != nil {
		return 0, fmt.Errorf("read index high-water mark: %w", err)
	}
	if len(b) != 8 {
		return 0, nil
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// Once indexes the next batch of changes and returns how many it read.
func (in *Indexer) Once(ctx context.Context) (int, error) {
	size := in.BatchSize
	if size <= 0 {
		size = 500
	}
	in.Index.writeMu.Lock()
	defer in.Index.writeMu.Unlock()
	idx := in.Index.live()
	hwm, err := highWaterMark(idx)
	if err != nil {
		return 0, err
	}
	changes, err := in.Store.ChangeFeedAfter(ctx, hwm, size)
	if err != nil || len(changes) == 0 {
		return 0, err
	}
	w, err := newBatchWriter(idx)
	if err != nil {
		return 0, err
	}
	done := map[int64]bool{}
	var indexed []int64
	// Newest first, so that a document changed twice in the batch is read
	// once, as it is now.
	for i := len(changes) - 1; i >= 0; i-- {
		id := changes[i].DocumentID
		if done[id] {
			continue
		}
		done[id] = true
		d, err := in.Store.DocumentGetByID(ctx, id)
		if pipeline.ErrorCode(err) == pipeline.ENOTFOUND {
			if err := w.delete(id); err != nil {
				return 0, err
			}
			continue
		} else if err != nil {
			return 0, err
		}
		if d.State != pipeline.StateChecked && d.State != pipeline.StateIndexed {
			// failed, or back in the pipeline: not searchable now
			if err := w.delete(id); err != nil {
				return 0, err
			}
			continue
		}
		src, err := loadSource(ctx, in.Store, d)
		if err != nil {
			return 0, err
		}
		if err := w.index(src); err != nil {
			return 0, fmt.Errorf("index document %d: %w", id, err)
		}
		indexed = append(indexed, id)
	}
	if err := w.commit(changes[len(changes)-1].Seq); err != nil {
		return 0, err
	}
	if err := in.Store.DocumentMarkIndexed(ctx, indexed); err != nil {
		return 0, err
	}
	return len(changes), nil
}

// Drain indexes until the feed is empty.
func (in *Indexer) Drain(ctx context.Context) error {
	for {
		n, err := in.Once(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

// Run indexes until ctx ends.
func (in *Indexer) Run(ctx context.Context) {
	poll := in.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	logger := in.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for ctx.Err() == nil {
		n, err := in.Once(ctx)
		if err != nil && ctx.Err() == nil {
			logger.ErrorContext(ctx, "Indexing failed; retrying", "error", err)
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(poll):
			}
		}
	}
}
