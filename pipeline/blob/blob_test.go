package blob

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hoso/pipeline"
)

func TestPutOpen(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.Put(ctx, strings.NewReader("Đơn đề nghị"), 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Put(ctx, strings.NewReader("Đơn đề nghị"), 100)
	if err != nil || a != b || a.Size != int64(len("Đơn đề nghị")) {
		t.Fatalf("Put twice: %+v, %+v, %v", a, b, err)
	}
	f, err := d.Open(ctx, a.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if string(got) != "Đơn đề nghị" {
		t.Errorf("Open read %q", got)
	}
	var files int
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files++
		}
		return nil
	})
	if files != 1 {
		t.Errorf("%d files in the store after storing the same bytes twice, want 1", files)
	}
}

func TestPutLimit(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d, _ := Open(root)
	_, err := d.Put(ctx, strings.NewReader(strings.Repeat("x", 11)), 10)
	if pipeline.ErrorCode(err) != pipeline.ETOOLARGE || !strings.Contains(pipeline.ErrorMessage(err), "10 bytes") {
		t.Errorf("Put over the limit: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "tmp"))
	if len(entries) != 0 {
		t.Errorf("%d temporary files left behind", len(entries))
	}
	if _, err := d.Path(ctx, "../../etc/passwd"); pipeline.ErrorCode(err) != pipeline.EINVALID {
		t.Errorf("Path(bad sum): %v", err)
	}
	if _, err := d.Path(ctx, strings.Repeat("a", 64)); pipeline.ErrorCode(err) != pipeline.ENOTFOUND {
		t.Errorf("Path(missing): %v", err)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{999: "999 bytes", 200_000_000: "200 MB", 1_500_000_000: "1.5 GB", 2_000_000: "2 MB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestLeftoverTempRemovedAtOpen: a crash mid-upload leaves a temporary
// blob; the next start removes it, but not a write still going on.
func TestLeftoverTempRemovedAtOpen(t *testing.T) {
	root := t.TempDir()
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(root, "tmp", "put-123")
	live := filepath.Join(root, "tmp", "put-456")
	os.WriteFile(old, []byte("half an upload"), 0o600)
	os.WriteFile(live, []byte("an upload going on"), 0o600)
	past := time.Now().Add(-time.Hour)
	os.Chtimes(old, past, past)
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("leftover temporary blob still there: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a temporary blob being written was removed: %v", err)
	}
}
