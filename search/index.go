package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	bolterrors "go.etcd.io/bbolt/errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	zapx "github.com/blevesearch/zapx/v17"
	"slices"

	"hoso/pipeline"
)

// Index is the archive's search index, one per node, in the data
// folder. The folder holds generations (gen-1, gen-2, ...) and a file
// CURRENT naming the live one, so that Reindex can build a new generation
// beside the live one and swap it in while searches go on.
type Index struct {
	dir string

	// segments caches what hoso reads of each immutable segment.
	segments segmentCache

	mu     sync.RWMutex // guards idx, gen and closed
	idx    bleve.Index
	gen    int
	closed bool

	// writeMu serializes writers: the indexer's batches and Reindex's swap.
	writeMu sync.Mutex

	warmer warmer

	// replica is how far this node's index has read the change feed.
	replica replica
}

func init() {
	// Each batch's segments are written as they are; the merger merges
	// them in the background. Merging them in memory first, before they
	// are written (scorch's default), merged every document once more.
	scorch.DefaultMinSegmentsForInMemoryMerge = 1 << 30
	// zap reserves a new segment's buffer up front: the previous
	// segment's bytes per document times this batch's documents (plus
	// 100). After a batch that held one document of several MB, the next
	// batch of 500 reserved gigabytes (1.2 GB of the process's memory on
	// the whole development corpus). With no estimate the buffer grows
	// as the segment is written, to what the batch needs.
	zapx.NewSegmentBufferNumResultsFactor = 0
}

// ErrInUse means another process holds the index.
var ErrInUse = pipeline.Errorf(pipeline.ECONFLICT, "The search index is in use by another hoso process (the server); ask it instead: hoso search --server URL, or GET /api/v1/search.")

// boltConfig is the runtime configuration of an index. A fresh map each
// time: scorch writes its own keys (the path) into the one it is given.
func boltConfig() map[string]any { return map[string]any{"bolt_timeout": "2s"} }

// Open opens the index in dir, creating it if needed. A second process
// fails within two seconds with ErrInUse instead of waiting forever.
func Open(dir string) (*Index, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create index folder: %w", err)
	}
	gen := 1
	if b, err := os.ReadFile(filepath.Join(dir, "CURRENT")); err == nil {
		if n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(string(b)), "gen-")); err == nil && n > 0 {
			gen = n
		}
	}
	idx, err := openGeneration(dir, gen)
	if err != nil {
		return nil, err
	}
	if err := writeCurrent(dir, gen); err != nil {
		idx.Close()
		return nil, err
	}
	return &Index{dir: dir, idx: idx, gen: gen}, nil
}

func genPath(dir string, gen int) string { return filepath.Join(dir, fmt.Sprintf("gen-%d", gen)) }

func openGeneration(dir string, gen int) (bleve.Index, error) {
	path := genPath(dir, gen)
	idx, err := bleve.OpenUsing(path, boltConfig())
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		m, merr := newMapping()
		if merr != nil {
			return nil, merr
		}
		idx, err = bleve.NewUsing(path, m, scorch.Name, scorch.Name, boltConfig())
	}
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, ErrInUse // another process holds the index's lock
		}
		return nil, fmt.Errorf("open search index %s: %w", path, err)
	}
	return idx, nil
}

// writeCurrent records the live generation, atomically.
func writeCurrent(dir string, gen int) error {
	tmp := filepath.Join(dir, "CURRENT.tmp")
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf("gen-%d\n", gen)), 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "CURRENT"))
}

// live returns the live Bleve index.
func (ix *Index) live() bleve.Index {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.idx
}

// Generation is the number of the live generation.
func (ix *Index) Generation() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.gen
}

// Close closes the index.
func (ix *Index) Close() error {
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	ix.mu.Lock() // searches and warming in flight finish first
	defer ix.mu.Unlock()
	ix.closed = true
	return ix.idx.Close()
}

// Segments is the number of segments the live index is made of.
func (ix *Index) Segments() int {
	ai, err := ix.live().Advanced()
	if err != nil {
		return 0
	}
	r, err := ai.Reader()
	if err != nil {
		return 0
	}
	defer r.Close()
	if snap, ok := r.(*scorch.IndexSnapshot); ok {
		return len(snap.Segments())
	}
	return 0
}

// Count is the number of documents in the index.
func (ix *Index) Count() (uint64, error) { return ix.live().DocCount() }

// Stats returns the index's totals.
func (ix *Index) stats() (stats, error) { return readStats(ix.live().GetInternal) }

// loadSource reads what the index keeps of a document from the store.
func loadSource(ctx context.Context, st pipeline.Store, d *pipeline.Document) (source, error) {
	src := source{doc: d}
	var err error
	if src.pages, err = st.PageListByDocument(ctx, d.ID); err != nil {
		return src, err
	}
	if src.idents, err = st.IdentifierListByDocument(ctx, d.ID); err != nil {
		return src, err
	}
	flags, err := st.FlagList(ctx, pipeline.FlagListParams{Scope: pipeline.ScopeAll, DocumentID: d.ID})
	if err != nil {
		return src, err
	}
	for _, f := range flags {
		if !slices.Contains(src.flags, f.Kind) {
			src.flags = append(src.flags, f.Kind)
		}
	}
	return src, nil
}

// batchWriter gathers the documents of one Bleve batch, analyzes them
// on every core, and writes them keeping the index's totals right: a
// document already in the index, or already in the batch, has its old
// lengths taken off first.
type batchWriter struct {
	ops  []batchOp
	docs []*document.Document // by op, once analyzed
	lens []lengths
}

// batchOp is a document to index (src) or to remove.
type batchOp struct {
	id  int64
	src *source
}

func (w *batchWriter) index(src source) { w.ops = append(w.ops, batchOp{id: src.doc.ID, src: &src}) }

func (w *batchWriter) delete(id int64) { w.ops = append(w.ops, batchOp{id: id}) }

// analyze builds the Bleve documents, in parallel.
func (w *batchWriter) analyze() {
	w.docs = make([]*document.Document, len(w.ops))
	w.lens = make([]lengths, len(w.ops))
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				w.docs[i], w.lens[i] = bleveDocument(*w.ops[i].src)
			}
		})
	}
	for i, op := range w.ops {
		if op.src != nil {
			next <- i
		}
	}
	close(next)
	wg.Wait()
}

// forget takes a document's indexed version off the totals.
func forget(idx bleve.Index, st *stats, key string) error {
	doc, err := idx.Document(key)
	if err != nil || doc == nil {
		return err
	}
	doc.VisitFields(func(f index.Field) {
		if f.Name() == "lens" {
			if l, ok := parseLengths(string(f.Value())); ok {
				st.add(l, l[lenEnglish] > 0, -1)
			}
		}
	})
	return nil
}

// commit writes the gathered documents into idx with the index's totals
// and, if mark > 0, the change-feed position, atomically; then it is
// empty again.
//
// Bleve builds a batch's segment on one core; a large batch is written as
// one batch per core, in parallel, and the totals and the position follow
// in a batch of their own once every part is in. A crash before that
// leaves the old position, so the feed is read again from there: writing
// a document twice replaces it, and its old lengths are taken off first.
func (w *batchWriter) commit(idx bleve.Index, mark *pipeline.FeedPosition) error {
	if w.docs == nil {
		w.analyze()
	}
	st, err := readStats(idx.GetInternal)
	if err != nil {
		return fmt.Errorf("read index totals: %w", err)
	}
	parts := 1
	if len(w.ops) >= 2*minPart {
		parts = min(runtime.GOMAXPROCS(0), len(w.ops)/minPart)
	}
	batches := make([]*bleve.Batch, parts)
	for i := range batches {
		batches[i] = idx.NewBatch()
	}
	pending := map[string]lengths{} // what this batch holds of each document
	for i, op := range w.ops {
		key := docKey(op.id)
		if l, ok := pending[key]; ok {
			st.add(l, l[lenEnglish] > 0, -1)
			parts = 1 // a document twice: its versions go in order, in one batch
		} else if err := forget(idx, &st, key); err != nil {
			return err
		}
		delete(pending, key)
		if op.src != nil {
			st.add(w.lens[i], w.lens[i][lenEnglish] > 0, 1)
			pending[key] = w.lens[i]
		}
	}
	if parts == 1 {
		batches = batches[:1]
	}
	for i, op := range w.ops {
		b := batches[i*len(batches)/len(w.ops)]
		if op.src == nil {
			b.Delete(docKey(op.id))
		} else if err := b.IndexAdvanced(w.docs[i]); err != nil {
			return fmt.Errorf("index document %d: %w", op.id, err)
		}
	}
	last := batches[len(batches)-1]
	if len(batches) > 1 {
		errs := make([]error, len(batches))
		var wg sync.WaitGroup
		for i, b := range batches {
			wg.Go(func() { errs[i] = idx.Batch(b) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("write index batch: %w", err)
		}
		last = idx.NewBatch()
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	last.SetInternal(statsKey, b)
	if mark != nil {
		last.SetInternal(hwmKey, encodeMark(*mark))
	}
	if err := idx.Batch(last); err != nil {
		return fmt.Errorf("write index batch: %w", err)
	}
	w.ops, w.docs, w.lens = nil, nil, nil
	return nil
}

// minPart is the fewest documents worth a batch of their own.
const minPart = 200
