// Package blobtest is the conformance suite every blob store passes, and
// a real S3-compatible server for tests: versitygw (Apache-2.0), which
// serves S3 from a folder, installed by make deps.
package blobtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hoso/pipeline"
	"hoso/pipeline/blob"
)

// VersityVersion is the S3 server the tests start (make deps installs it).
const VersityVersion = "v1.8.0"

// versitygw finds the S3 server's binary: HOSO_VERSITYGW, the PATH, then
// the Go bin folder that go install writes to.
func versitygw() (string, error) {
	if p := os.Getenv("HOSO_VERSITYGW"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	gobin := os.Getenv("GOBIN")
	if gobin == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err == nil {
			gobin = filepath.Join(strings.TrimSpace(string(out)), "bin")
		}
	}
	p := filepath.Join(gobin, "versitygw")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("versitygw is not installed: make deps installs it (go install github.com/versity/versitygw/cmd/versitygw@%s)", VersityVersion)
	}
	return p, nil
}

// S3Server is a running S3 server with one bucket.
type S3Server struct {
	URL       string // s3://bucket?endpoint=…&region=…
	AccessKey string
	SecretKey string
}

// Config is the store configuration the server's URL needs.
func (s S3Server) Config() blob.S3Config {
	return blob.S3Config{AccessKey: s.AccessKey, SecretKey: s.SecretKey}
}

// StartS3 starts an S3 server over a temporary folder for the test, with
// the bucket "hoso", and stops it when the test ends.
func StartS3(t testing.TB) S3Server {
	t.Helper()
	bin, err := versitygw()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "hoso"), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := S3Server{AccessKey: "hoso-test", SecretKey: "hoso-test-secret"}
	cmd := exec.Command(bin, "--access", srv.AccessKey, "--secret", srv.SecretKey, "--port", addr, "posix", "--sidecar", t.TempDir(), root)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not answer on %s: %v\n%s", addr, err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	srv.URL = "s3://hoso?endpoint=http://" + addr + "&region=us-east-1"
	return srv
}

// Run runs the conformance suite; open returns a fresh, empty store.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	t.Run("PutOpenPath", func(t *testing.T) { testPutOpenPath(t, open(t)) })
	t.Run("Limit", func(t *testing.T) { testLimit(t, open(t)) })
	t.Run("Missing", func(t *testing.T) { testMissing(t, open(t)) })
	t.Run("Sweep", func(t *testing.T) { testSweep(t, open(t)) })
}

func testPutOpenPath(t *testing.T, s blob.Store) {
	ctx := context.Background()
	text := "Đơn đề nghị cấp giấy phép"
	a, err := s.Put(ctx, strings.NewReader(text), 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Put(ctx, strings.NewReader(text), 100)
	if err != nil || a != b || a.Size != int64(len(text)) {
		t.Fatalf("Put twice: %+v, %+v, %v", a, b, err)
	}
	f, err := s.Open(ctx, a.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(4, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if string(got) != text[4:] {
		t.Errorf("Open, Seek(4), read %q, want %q", got, text[4:])
	}
	p, err := s.Path(ctx, a.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(p); err != nil || string(got) != text {
		t.Errorf("Path's file holds %q (%v)", got, err)
	}
	var listed []string
	if err := s.List(ctx, time.Now().Add(time.Minute), func(sum string) error { listed = append(listed, sum); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0] != a.SHA256 {
		t.Errorf("List = %v, want the one original %s", listed, a.SHA256)
	}
}

func testLimit(t *testing.T, s blob.Store) {
	ctx := context.Background()
	_, err := s.Put(ctx, strings.NewReader(strings.Repeat("x", 11)), 10)
	if pipeline.ErrorCode(err) != pipeline.ETOOLARGE || !strings.Contains(pipeline.ErrorMessage(err), "10 bytes") {
		t.Errorf("Put over the limit: %v", err)
	}
	n := 0
	s.List(ctx, time.Now().Add(time.Minute), func(string) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d originals stored after a refused Put", n)
	}
}

func testMissing(t *testing.T, s blob.Store) {
	ctx := context.Background()
	sum := strings.Repeat("ab", 32)
	if _, err := s.Open(ctx, sum); pipeline.ErrorCode(err) != pipeline.ENOTFOUND {
		t.Errorf("Open of a missing original: %v, want ENOTFOUND", err)
	}
	if _, err := s.Path(ctx, sum); pipeline.ErrorCode(err) != pipeline.ENOTFOUND {
		t.Errorf("Path of a missing original: %v, want ENOTFOUND", err)
	}
	if _, err := s.Open(ctx, "../../etc/passwd"); pipeline.ErrorCode(err) != pipeline.EINVALID {
		t.Errorf("Open of a bad name: %v, want EINVALID", err)
	}
	if err := s.Remove(ctx, sum); err != nil {
		t.Errorf("Remove of a missing original: %v", err)
	}
}

// refs is a Referencer over a set.
type refs map[string]bool

func (r refs) BlobReferenced(ctx context.Context, sums []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, s := range sums {
		out[s] = r[s]
	}
	return out, nil
}

// testSweep: an original no row names goes once it is older than the
// grace period; one a row names, or a young one, stays.
func testSweep(t *testing.T, s blob.Store) {
	ctx := context.Background()
	kept, _ := s.Put(ctx, strings.NewReader("kept"), 0)
	orphan, _ := s.Put(ctx, strings.NewReader("orphan"), 0)
	if n, err := blob.Sweep(ctx, s, refs{kept.SHA256: true}, time.Hour); err != nil || n != 0 {
		t.Fatalf("Sweep within the grace period removed %d (%v), want 0", n, err)
	}
	time.Sleep(1100 * time.Millisecond) // object stores keep times in seconds
	n, err := blob.Sweep(ctx, s, refs{kept.SHA256: true}, time.Second)
	if err != nil || n != 1 {
		t.Fatalf("Sweep removed %d (%v), want 1", n, err)
	}
	if _, err := s.Open(ctx, orphan.SHA256); pipeline.ErrorCode(err) != pipeline.ENOTFOUND {
		t.Errorf("the orphan after the sweep: %v, want ENOTFOUND", err)
	}
	if f, err := s.Open(ctx, kept.SHA256); err != nil {
		t.Errorf("the original a row names is gone: %v", err)
	} else {
		f.Close()
	}
}
