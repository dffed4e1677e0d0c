// Package blob keeps originals on the local file system, content-addressed
// by SHA-256: blobs/ab/cd/abcd….
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hoso/pipeline"
)

// Dir is a blob store in a folder.
type Dir struct {
	root string
}

var _ pipeline.BlobStore = (*Dir)(nil)

// Open returns the blob store in root, creating the folder if needed.
func Open(root string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("create blob folder: %w", err)
	}
	d := &Dir{root: root}
	d.removeLeftovers(time.Minute)
	return d, nil
}

// removeLeftovers removes temporary files that a process stopped in the
// middle of a write left behind. A write in progress touches its file
// all the time; one untouched for idle is abandoned.
func (d *Dir) removeLeftovers(idle time.Duration) {
	dir := filepath.Join(d.root, "tmp")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	cut := time.Now().Add(-idle)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "put-") {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(cut) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func (d *Dir) path(sum string) string {
	return filepath.Join(d.root, sum[:2], sum[2:4], sum)
}

func validSum(sum string) bool {
	if len(sum) != 64 {
		return false
	}
	_, err := hex.DecodeString(sum)
	return err == nil
}

// Put stores r's bytes. The write goes to a temporary file that is synced
// and renamed into place, so a crash never leaves a half-written blob under
// a real name. Storing bytes that are already there keeps the first copy,
// touched: its time is what the sweep's grace period counts from, and a
// new row is about to refer to it.
func (d *Dir) Put(ctx context.Context, r io.Reader, limit int64) (pipeline.BlobInfo, error) {
	tmp, info, err := spool(filepath.Join(d.root, "tmp"), r, limit)
	if err != nil {
		return pipeline.BlobInfo{}, err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	defer tmp.Close()
	if err := tmp.Sync(); err != nil {
		return pipeline.BlobInfo{}, fmt.Errorf("sync blob: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return pipeline.BlobInfo{}, fmt.Errorf("close blob: %w", err)
	}
	dst := d.path(info.SHA256)
	if _, err := os.Stat(dst); err == nil {
		now := time.Now()
		if err := os.Chtimes(dst, now, now); err != nil {
			return pipeline.BlobInfo{}, fmt.Errorf("touch blob: %w", err)
		}
		return info, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return pipeline.BlobInfo{}, fmt.Errorf("create blob folder: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return pipeline.BlobInfo{}, fmt.Errorf("move blob into place: %w", err)
	}
	return info, nil
}

// spool copies r's bytes, at most limit of them (0: no limit), into a new
// temporary file in dir, hashing them on the way. The caller removes the
// file.
func spool(dir string, r io.Reader, limit int64) (*os.File, pipeline.BlobInfo, error) {
	tmp, err := os.CreateTemp(dir, "put-*")
	if err != nil {
		return nil, pipeline.BlobInfo{}, fmt.Errorf("create temporary blob: %w", err)
	}
	fail := func(err error) (*os.File, pipeline.BlobInfo, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, pipeline.BlobInfo{}, err
	}
	h := sha256.New()
	src := r
	if limit > 0 {
		src = io.LimitReader(r, limit+1)
	}
	n, err := io.Copy(io.MultiWriter(tmp, h), src)
	if err != nil {
		return fail(fmt.Errorf("write blob: %w", err))
	}
	if limit > 0 && n > limit {
		return fail(pipeline.Errorf(pipeline.ETOOLARGE, "The file is larger than the limit of %s.", FormatSize(limit)))
	}
	return tmp, pipeline.BlobInfo{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// Open opens the original with the given SHA-256.
func (d *Dir) Open(ctx context.Context, sum string) (io.ReadSeekCloser, error) {
	p, err := d.Path(ctx, sum)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// Path returns the file that holds the original with the given SHA-256.
func (d *Dir) Path(ctx context.Context, sum string) (string, error) {
	if !validSum(sum) {
		return "", pipeline.Errorf(pipeline.EINVALID, "Invalid SHA-256 %q.", sum)
	}
	p := d.path(sum)
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return "", pipeline.Errorf(pipeline.ENOTFOUND, "The original file is missing from the blob store.")
	} else if err != nil {
		return "", fmt.Errorf("stat blob: %w", err)
	}
	return p, nil
}

// FormatSize writes a byte count the way a clerk reads it: 12 MB, 1.5 GB.
func FormatSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %cB", int64(v), "kMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %cB", v, "kMGTPE"[exp])
}
