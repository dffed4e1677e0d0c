package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"hoso/pipeline"
	"hoso/pipeline/blob"
	"hoso/pipeline/sqlstore"
	"hoso/search"
)

// benchCatchUp compares the two ways an empty node catches up, for
// archives of each size: reading the whole change feed, or unpacking the
// newest index snapshot from the blob store and reading only the feed
// after it. The snapshot is published, then a twentieth more documents
// are added, so that the restored node has the feed's tail to read too.
// Both run in this process, with the indexer a serve node runs.
func (m *Main) benchCatchUp(ctx context.Context, pgURL string, cfg Config, sizes []int, words int) error {
	dir, err := os.MkdirTemp("", "hoso-bench-catchup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	blobs, err := blob.OpenURL(ctx, cfg.BlobURL, filepath.Join(dir, "blobs"), cfg.BlobKeys)
	if err != nil {
		return err
	}
	where := "the data folder"
	if cfg.BlobURL != "" {
		where = "the object store " + cfg.BlobURL
	}
	fmt.Fprintf(m.Stdout, "Catch-up of an empty node, snapshots in %s, %d words a document:\n", where, words)
	cu := &catchUp{m: m, blobs: blobs, dir: dir, bt: newBenchText(), words: words}
	for _, n := range sizes {
		if err := cu.archive(ctx, pgURL, n); err != nil {
			return err
		}
	}
	return nil
}

// catchUp is what the catch-up comparison keeps from one archive size to
// the next: where snapshots and indexes go, and the text documents are
// written from.
type catchUp struct {
	m     *Main
	blobs blob.Store
	dir   string
	bt    *benchText
	words int
}

// archive compares the two ways of catching up on an archive of n
// documents, in a scratch schema at pgURL dropped after, and prints the
// figures on one line.
func (cu *catchUp) archive(ctx context.Context, pgURL string, n int) error {
	schema := scratchSchema("hoso_catchup")
	st, done, err := scratchPostgres(ctx, pgURL, schema, 0)
	if err != nil {
		return err
	}
	defer done()
	root := filepath.Join(cu.dir, schema) // the indexes of this archive
	if err := cu.m.benchGenerate(ctx, st, cu.bt, n, cu.words); err != nil {
		return err
	}
	src, err := indexFromFeed(ctx, st, filepath.Join(root, "a")) // the node that publishes
	if err != nil {
		return err
	}
	defer src.Close()
	start := time.Now()
	stored, info, err := cu.publish(ctx, src)
	if err != nil {
		return err
	}
	published := time.Since(start)
	tail := max(1, n/20)
	if err := cu.m.benchGenerate(ctx, st, cu.bt, tail, cu.words); err != nil {
		return err
	}
	total := n + tail
	t, err := cu.restoreBoth(ctx, st, root, stored.SHA256, total)
	if err != nil {
		return err
	}
	fmt.Fprintf(cu.m.Stdout, "%d documents (snapshot of %d, %.1f MB, published in %.2f s): from the feed %.2f s (%.0f documents/s); from the snapshot %.2f s (%.2f s to fetch and unpack, then %d from the feed) — %.1f× faster\n",
		total, info.Documents, float64(info.Bytes)/1e6, published.Seconds(), t.feed.Seconds(), float64(total)/t.feed.Seconds(),
		t.snapshot.Seconds(), t.restored.Seconds(), tail, t.feed.Seconds()/t.snapshot.Seconds())
	return nil
}

// catchUpTimes is how long an empty node took to catch up from the whole
// feed, and from the snapshot (of which restored to fetch and unpack it).
type catchUpTimes struct {
	feed, snapshot, restored time.Duration
}

// restoreBoth brings two empty nodes under root up to date, one from the
// whole feed, one from the snapshot stored as sum and the feed after it,
// times each, and checks that both hold the total of documents.
func (cu *catchUp) restoreBoth(ctx context.Context, st *sqlstore.Store, root, sum string, total int) (catchUpTimes, error) {
	var t catchUpTimes
	start := time.Now()
	fromFeed, err := indexFromFeed(ctx, st, filepath.Join(root, "b"))
	if err != nil {
		return t, err
	}
	defer fromFeed.Close()
	t.feed = time.Since(start)
	start = time.Now()
	fromSnap, restored, err := cu.indexFromSnapshot(ctx, st, sum, filepath.Join(root, "c"))
	if err != nil {
		return t, err
	}
	defer fromSnap.Close()
	t.snapshot, t.restored = time.Since(start), restored
	a, _ := fromFeed.Count()
	b, _ := fromSnap.Count()
	if a != b || a != uint64(total) {
		return t, fmt.Errorf("the node fed from the start holds %d documents, the restored one %d, want %d", a, b, total)
	}
	return t, nil
}

// indexFromFeed opens the index in dir and reads into it the whole
// change feed of st, as a serve node's indexer does.
func indexFromFeed(ctx context.Context, st *sqlstore.Store, dir string) (*search.Index, error) {
	ix, err := search.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := (&search.Indexer{Index: ix, Store: st}).DrainCommitted(ctx); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

// publish writes a snapshot of src into the blob store as it is made.
func (cu *catchUp) publish(ctx context.Context, src *search.Index) (pipeline.BlobInfo, search.SnapshotInfo, error) {
	pr, pw := io.Pipe()
	var info search.SnapshotInfo
	go func() {
		var err error
		info, err = src.WriteSnapshot(ctx, pw)
		pw.CloseWithError(err)
	}()
	stored, err := cu.blobs.Put(ctx, pr, 0)
	return stored, info, err
}

// indexFromSnapshot fetches the snapshot stored as sum and unpacks it
// into dir, then reads the feed after it into the index; restored is the
// time the fetch and unpacking took.
func (cu *catchUp) indexFromSnapshot(ctx context.Context, st *sqlstore.Store, sum, dir string) (ix *search.Index, restored time.Duration, err error) {
	start := time.Now()
	rc, err := cu.blobs.Open(ctx, sum)
	if err != nil {
		return nil, 0, err
	}
	err = search.RestoreSnapshot(ctx, rc, dir)
	rc.Close()
	if err != nil {
		return nil, 0, err
	}
	restored = time.Since(start)
	ix, err = indexFromFeed(ctx, st, dir)
	return ix, restored, err
}

// parseSizes reads a list of document counts, "2000,10000".
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, usageError{fmt.Sprintf("--catch-up %q: want document counts, e.g. 2000,10000", s)}
		}
		out = append(out, n)
	}
	return out, nil
}
