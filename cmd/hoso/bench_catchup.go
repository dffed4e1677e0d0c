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

	"hoso/pipeline/blob"
	"hoso/pipeline/postgres"
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
	bt := newBenchText()
	for _, n := range sizes {
		schema := fmt.Sprintf("hoso_catchup_%d", time.Now().UnixNano())
		st, db, err := postgres.OpenStore(ctx, postgres.Config{URL: pgURL, Schema: schema})
		if err != nil {
			return err
		}
		err = func() error {
			defer func() {
				db.Close()
				_ = postgres.DropSchema(context.Background(), pgURL, schema)
			}()
			if err := m.benchGenerate(ctx, st, bt, n, words); err != nil {
				return err
			}
			// The node that publishes.
			src, err := search.Open(filepath.Join(dir, schema, "a"))
			if err != nil {
				return err
			}
			defer src.Close()
			if err := (&search.Indexer{Index: src, Store: st}).DrainCommitted(ctx); err != nil {
				return err
			}
			start := time.Now()
			pr, pw := io.Pipe()
			var info search.SnapshotInfo
			go func() {
				var err error
				info, err = src.WriteSnapshot(ctx, pw)
				pw.CloseWithError(err)
			}()
			stored, err := blobs.Put(ctx, pr, 0)
			if err != nil {
				return err
			}
			published := time.Since(start)
			tail := max(1, n/20)
			if err := m.benchGenerate(ctx, st, bt, tail, words); err != nil {
				return err
			}
			total := n + tail

			// An empty node from the whole feed.
			start = time.Now()
			fromFeed, err := search.Open(filepath.Join(dir, schema, "b"))
			if err != nil {
				return err
			}
			defer fromFeed.Close()
			if err := (&search.Indexer{Index: fromFeed, Store: st}).DrainCommitted(ctx); err != nil {
				return err
			}
			feedTook := time.Since(start)

			// An empty node from the snapshot, then the feed after it.
			start = time.Now()
			rc, err := blobs.Open(ctx, stored.SHA256)
			if err != nil {
				return err
			}
			restoreDir := filepath.Join(dir, schema, "c")
			err = search.RestoreSnapshot(ctx, rc, restoreDir)
			rc.Close()
			if err != nil {
				return err
			}
			restored := time.Since(start)
			fromSnap, err := search.Open(restoreDir)
			if err != nil {
				return err
			}
			defer fromSnap.Close()
			if err := (&search.Indexer{Index: fromSnap, Store: st}).DrainCommitted(ctx); err != nil {
				return err
			}
			snapTook := time.Since(start)
			a, _ := fromFeed.Count()
			b, _ := fromSnap.Count()
			if a != b || a != uint64(total) {
				return fmt.Errorf("the node fed from the start holds %d documents, the restored one %d, want %d", a, b, total)
			}
			fmt.Fprintf(m.Stdout, "%d documents (snapshot of %d, %.1f MB, published in %.2f s): from the feed %.2f s (%.0f documents/s); from the snapshot %.2f s (%.2f s to fetch and unpack, then %d from the feed) — %.1f× faster\n",
				total, info.Documents, float64(info.Bytes)/1e6, published.Seconds(), feedTook.Seconds(), float64(total)/feedTook.Seconds(),
				snapTook.Seconds(), restored.Seconds(), tail, feedTook.Seconds()/snapTook.Seconds())
			return nil
		}()
		if err != nil {
			return err
		}
	}
	return nil
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
