package search

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/blevesearch/bleve/v2"

	"hoso/pipeline"
)

// A snapshot is a consistent copy of a node's index, as a tar stream, with
// the change-feed position it holds: a node that starts with no index
// unpacks the newest one and reads only the feed after that position,
// instead of the whole feed.

// SnapshotInfo is what a snapshot holds.
type SnapshotInfo struct {
	Position  pipeline.FeedPosition
	Documents uint64
	Bytes     int64 // of the tar stream
}

// WriteSnapshot writes a copy of the live index to w. The indexer's
// batches wait while Bleve copies the index's files (searches go on),
// so the copy and the position it records agree.
func (ix *Index) WriteSnapshot(ctx context.Context, w io.Writer) (SnapshotInfo, error) {
	tmp, err := os.MkdirTemp(ix.dir, "snapshot-")
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("write index snapshot: %w", err)
	}
	defer os.RemoveAll(tmp)
	info, err := ix.copyTo(tmp)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("write index snapshot: %w", err)
	}
	cw := &countingWriter{w: w}
	if err := writeTar(ctx, cw, tmp); err != nil {
		return SnapshotInfo{}, fmt.Errorf("write index snapshot: %w", err)
	}
	info.Bytes = cw.n
	return info, nil
}

func (ix *Index) copyTo(dir string) (SnapshotInfo, error) {
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return SnapshotInfo{}, bleve.ErrorIndexClosed
	}
	c, ok := ix.idx.(bleve.IndexCopyable)
	if !ok {
		return SnapshotInfo{}, errors.New("the index cannot be copied")
	}
	pos, err := highWaterMark(ix.idx)
	if err != nil {
		return SnapshotInfo{}, err
	}
	docs, err := ix.idx.DocCount()
	if err != nil {
		return SnapshotInfo{}, err
	}
	if err := c.CopyTo(bleve.FileSystemDirectory(dir)); err != nil {
		return SnapshotInfo{}, err
	}
	return SnapshotInfo{Position: pos, Documents: docs}, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeTar writes the regular files under dir (Bleve's copy holds no
// others) as a tar stream; segments are compressed already.
func writeTar(ctx context.Context, w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o600, Size: fi.Size(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// ErrIndexExists is RestoreSnapshot's answer for a folder that holds an
// index already.
var ErrIndexExists = errors.New("the folder holds a search index already")

// RestoreSnapshot unpacks a snapshot written by WriteSnapshot into dir as
// its live index. dir must hold no index yet; on error it still holds
// none. Open it with Open, then feed it from the position it records
// (HighWaterMark), as the indexer does.
func RestoreSnapshot(ctx context.Context, r io.Reader, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "CURRENT")); err == nil {
		return ErrIndexExists
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("restore index snapshot: %w", err)
	}
	gen := 1
	if _, err := os.Stat(genPath(dir, gen)); err == nil {
		return ErrIndexExists
	}
	tmp, err := os.MkdirTemp(dir, "restore-")
	if err != nil {
		return fmt.Errorf("restore index snapshot: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := readTar(ctx, r, tmp); err != nil {
		return fmt.Errorf("restore index snapshot: %w", err)
	}
	if err := os.Rename(tmp, genPath(dir, gen)); err != nil {
		return fmt.Errorf("restore index snapshot: %w", err)
	}
	return writeCurrent(dir, gen)
}

// readTar unpacks regular files into dir. The stream comes from the
// office's own object store; its names are checked all the same.
func readTar(ctx context.Context, r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	files := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := path.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || !fs.ValidPath(name) || strings.HasPrefix(name, "..") {
			return fmt.Errorf("unexpected entry %q in a snapshot", h.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			return err
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		files++
	}
	if files == 0 {
		return errors.New("an empty snapshot")
	}
	return nil
}
