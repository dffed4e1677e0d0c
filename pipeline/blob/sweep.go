package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hoso/pipeline"
)

// DefaultGrace is how old an original must be before the sweep may remove
// it: an upload stores its bytes first and commits the row that names
// them after, so a young original without a row is an upload in progress.
const DefaultGrace = 24 * time.Hour

// Lister is a blob store whose originals can be listed and removed.
type Lister interface {
	// List calls fn with each original stored (or stored again) before
	// the given time.
	List(ctx context.Context, before time.Time, fn func(sum string) error) error
	Remove(ctx context.Context, sum string) error
}

// Referencer tells which originals rows still refer to.
type Referencer interface {
	BlobReferenced(ctx context.Context, sums []string) (map[string]bool, error)
}

// Sweep removes the originals older than grace that no row refers to, and
// returns how many it removed.
func Sweep(ctx context.Context, blobs Lister, refs Referencer, grace time.Duration) (int, error) {
	var batch []string
	removed := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		used, err := refs.BlobReferenced(ctx, batch)
		if err != nil {
			return err
		}
		for _, sum := range batch {
			if used[sum] {
				continue
			}
			if err := blobs.Remove(ctx, sum); err != nil {
				return err
			}
			removed++
		}
		batch = batch[:0]
		return nil
	}
	err := blobs.List(ctx, time.Now().Add(-grace), func(sum string) error {
		if batch = append(batch, sum); len(batch) == 500 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return removed, fmt.Errorf("sweep blobs: %w", err)
	}
	return removed, nil
}

// List calls fn with each original whose file is older than before.
func (d *Dir) List(ctx context.Context, before time.Time, fn func(sum string) error) error {
	return filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if e.Name() == "tmp" {
				return filepath.SkipDir
			}
			return ctx.Err()
		}
		if !validSum(e.Name()) {
			return nil
		}
		if info, err := e.Info(); err != nil || !info.ModTime().Before(before) {
			return nil
		}
		return fn(e.Name())
	})
}

// Remove deletes an original; one already gone is no error.
func (d *Dir) Remove(ctx context.Context, sum string) error {
	if !validSum(sum) {
		return pipeline.Errorf(pipeline.EINVALID, "Invalid SHA-256 %q.", sum)
	}
	if err := os.Remove(d.path(sum)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove blob: %w", err)
	}
	return nil
}

// Store is a blob store the sweep can work on.
type Store interface {
	pipeline.BlobStore
	Lister
}

// OpenURL opens the blob store a URL names: empty for the folder dir,
// s3://bucket?endpoint=…&region=… for an S3-compatible object store
// (local files in dir).
func OpenURL(ctx context.Context, rawURL, dir string, cfg S3Config) (Store, error) {
	switch {
	case rawURL == "":
		return Open(dir)
	case strings.HasPrefix(rawURL, "s3://"):
		cfg.Local = dir
		return OpenS3(ctx, rawURL, cfg)
	}
	return nil, fmt.Errorf("blob URL %q: want s3://bucket?endpoint=…&region=…, or nothing for the data folder", rawURL)
}
