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
	Index *Index
	Store pipeline.Store
	// Node names this search node in the store's table of positions;
	// empty: the position is only kept in memory.
	Node      string
	BatchSize int           // changes per batch; default 500
	Poll      time.Duration // wait when the feed is empty; default 200ms
	Logger    *slog.Logger

	healed      bool // documents left "checked" behind the mark are set right
	published   published
	publishedAt time.Time
}

// HighWaterMark is the last change-feed entry in the index.
func (ix *Index) HighWaterMark() (pipeline.FeedPosition, error) {
	return highWaterMark(ix.live())
}

// encodeMark writes a feed position as the index keeps it: the
// transaction, then the number, big-endian.
func encodeMark(p pipeline.FeedPosition) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(p.TxID))
	binary.BigEndian.PutUint64(b[8:], uint64(p.Seq))
	return b
}

func highWaterMark(idx bleve.Index) (pipeline.FeedPosition, error) {
	b, err := idx.GetInternal(hwmKey)
	if err != nil {
		return pipeline.FeedPosition{}, fmt.Errorf("read index high-water mark: %w", err)
	}
	switch len(b) {
	case 8:
		// An index written before entries were ordered by transaction:
		// the entries it read are those the store put first, with
		// transaction 0, in number order.
		return pipeline.FeedPosition{Seq: int64(binary.BigEndian.Uint64(b))}, nil
	case 16:
		return pipeline.FeedPosition{TxID: int64(binary.BigEndian.Uint64(b)), Seq: int64(binary.BigEndian.Uint64(b[8:]))}, nil
	}
	return pipeline.FeedPosition{}, nil
}

// Once indexes the next batch of changes and returns how many it read.
func (in *Indexer) Once(ctx context.Context) (int, error) {
	in.Index.writeMu.Lock()
	defer in.Index.writeMu.Unlock()
	idx := in.Index.live()
	hwm, err := highWaterMark(idx)
	if err != nil {
		return 0, err
	}
	p, horizon, err := in.prepare(ctx, hwm)
	if err != nil {
		return 0, err
	}
	if p == nil {
		return 0, in.advance(ctx, idx, hwm, horizon)
	}
	if err := in.write(ctx, idx, p); err != nil {
		return 0, err
	}
	return p.changes, in.advance(ctx, idx, p.mark, p.horizon)
}

// Drain indexes until the feed is empty. The next batch is read and
// analyzed while the last one is written, so both cores work.
func (in *Indexer) Drain(ctx context.Context) error { return in.drain(ctx, 0) }

// drainBatches is how many batches Run writes before it lets a reindex
// swap its new index in.
const drainBatches = 20

// drain indexes until the feed is empty or, with limit > 0, that many
// batches are written.
func (in *Indexer) drain(ctx context.Context, limit int) error {
	in.Index.writeMu.Lock()
	defer in.Index.writeMu.Unlock()
	idx := in.Index.live()
	hwm, err := highWaterMark(idx)
	if err != nil {
		return err
	}
	if !in.healed && hwm != (pipeline.FeedPosition{}) {
		// A process killed between writing the index and the documents'
		// state left them "checked" behind the mark, where no batch will
		// reach them again.
		if _, err := in.Store.DocumentMarkIndexedThrough(ctx, hwm); err != nil {
			return err
		}
		in.healed = true
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		p       *preparedBatch
		horizon int64 // when p is nil: the feed's end
		err     error
	}
	next := make(chan result, 1)
	go func() {
		defer close(next)
		for pos := hwm; ; {
			p, horizon, err := in.prepare(ctx, pos)
			if err != nil || p == nil {
				next <- result{horizon: horizon, err: err}
				return
			}
			select {
			case next <- result{p: p}:
			case <-ctx.Done():
				return
			}
			pos = p.mark
		}
	}()
	written := 0
	defer func() {
		if written > 0 {
			in.Index.warm()
		}
	}()
	mark := hwm
	for r := range next {
		if r.err != nil {
			return r.err
		}
		if r.p == nil {
			return in.advance(ctx, idx, mark, r.horizon)
		}
		if err := in.write(ctx, idx, r.p); err != nil {
			return err
		}
		mark = r.p.mark
		if err := in.advance(ctx, idx, mark, r.p.horizon); err != nil {
			return err
		}
		if written++; limit > 0 && written >= limit {
			return nil
		}
	}
	return ctx.Err()
}

// preparedBatch is a batch of changes read and analyzed, ready to write.
type preparedBatch struct {
	w       *batchWriter
	mark    pipeline.FeedPosition // the last change-feed entry it holds
	horizon int64                 // the feed's horizon once it is written
	changes int                   // entries read
	indexed []int64               // documents it makes searchable
}

// prepare reads the changes after pos and analyzes their documents; nil
// when there are none, with the feed's horizon.
func (in *Indexer) prepare(ctx context.Context, pos pipeline.FeedPosition) (*preparedBatch, int64, error) {
	size := in.BatchSize
	if size <= 0 {
		size = 500
	}
	page, err := in.Store.ChangeFeedAfter(ctx, pos, size)
	if err != nil || len(page.Changes) == 0 {
		return nil, page.Horizon, err
	}
	changes := page.Changes
	p := &preparedBatch{w: &batchWriter{}, mark: changes[len(changes)-1].Position(), horizon: page.Horizon, changes: len(changes)}
	done := map[int64]bool{}
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
			p.w.delete(id)
			continue
		} else if err != nil {
			return nil, 0, err
		}
		if d.State != pipeline.StateChecked && d.State != pipeline.StateIndexed {
			p.w.delete(id) // failed, or back in the pipeline: not searchable now
			continue
		}
		src, err := loadSource(ctx, in.Store, d)
		if err != nil {
			return nil, 0, err
		}
		p.w.index(src)
		p.indexed = append(p.indexed, id)
	}
	p.w.analyze()
	return p, p.horizon, nil
}

// write writes a prepared batch and marks its documents indexed.
func (in *Indexer) write(ctx context.Context, idx bleve.Index, p *preparedBatch) error {
	if err := p.w.commit(idx, &p.mark); err != nil {
		return err
	}
	// The index holds them and its mark is past them: their state must
	// follow even when the indexer is being stopped, or they would stay
	// "checked" with nothing left to index them again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return in.Store.DocumentMarkIndexed(ctx, p.indexed)
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
		err := in.drain(ctx, drainBatches)
		if err != nil && ctx.Err() == nil {
			logger.ErrorContext(ctx, "Indexing failed; retrying", "error", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(poll):
		}
	}
}
