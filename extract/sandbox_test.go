package extract

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"hoso/internal/fixture"
	"hoso/pipeline"
)

// TestSandboxHostile sends damaged PDFs through the sandbox — the ones
// hoso makes, and every damaged and fuzzed PDF of the corpus where it is
// present: each ends with text, a reason a clerk can read, or a crash
// report, never an internal error, and the sandbox goes on working.
func TestSandboxHostile(t *testing.T) {
	good := fixture.PDF("One", "Two", "Three", "Four")
	files := []string{
		writeTemp(t, "append-xref-loop.pdf", fixture.LoopingPDF()),
		writeTemp(t, "truncated.pdf", good[:len(good)/2]),
		writeTemp(t, "header-only.pdf", []byte("%PDF-1.7\n")),
		writeTemp(t, "garbage.pdf", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0xff, 0x00, '(', '<'}, 4096)...)),
		writeTemp(t, "no-xref.pdf", bytes.ReplaceAll(good, []byte("xref"), []byte("xxxx"))),
	}
	for _, dir := range []string{"pdf-malformed", "pdf-fuzz"} {
		if p, ok := inCorpus(dir); ok {
			fs, _ := filepath.Glob(filepath.Join(p, "*"))
			files = append(files, fs...)
		}
	}
	sb, err := NewSandbox(SandboxConfig{Timeout: 5 * time.Second, Children: 2, PDFToText: pdftotextPath(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	var mu sync.Mutex
	counts := map[string]int{}
	work := make(chan string)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				res, err := sb.Extract(context.Background(), f)
				var crash *CrashError
				kind := "text"
				switch {
				case errors.As(err, &crash):
					kind = "crash " + crash.Code
					if crash.Message == "" {
						t.Errorf("%s: crash without a message", filepath.Base(f))
					}
				case err != nil:
					kind = pipeline.ErrorCode(err)
					if kind == pipeline.EINTERNAL || pipeline.ErrorMessage(err) == "" {
						t.Errorf("%s: %v", filepath.Base(f), err)
					}
				case res == nil || len(res.Pages) == 0:
					t.Errorf("%s: no error and no pages", filepath.Base(f))
				}
				mu.Lock()
				counts[kind]++
				mu.Unlock()
			}
		}()
	}
	for _, f := range files {
		work <- f
	}
	close(work)
	wg.Wait()
	t.Logf("%d hostile files: %v", len(files), counts)
	if res, err := sb.Extract(context.Background(), writeTemp(t, "four-pages.pdf", good)); err != nil || len(res.Pages) != 4 {
		t.Errorf("after the hostile files, a good PDF gives %v, %v", res, err)
	}
}

// fakeChild is a sandbox whose child is a shell script: it tests how the
// parent handles a child that dies or hangs.
func fakeChild(t *testing.T, script string, timeout time.Duration) *Sandbox {
	t.Helper()
	sb, err := NewSandbox(SandboxConfig{Command: []string{"/bin/sh", "-c", script}, Timeout: timeout, Children: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

func TestSandboxChildCrashes(t *testing.T) {
	sb := fakeChild(t, `read line; echo "fatal error: stack overflow" >&2; kill -SEGV $$`, 10*time.Second)
	_, err := sb.Extract(context.Background(), "/dev/null")
	var crash *CrashError
	if !errors.As(err, &crash) || crash.Code != pipeline.ECORRUPT {
		t.Fatalf("Extract with a crashing child: %v, want a CrashError with code %s", err, pipeline.ECORRUPT)
	}
	if crash.Message != "The file is damaged: its structure loops back on itself and cannot be read." {
		t.Errorf("crash message %q", crash.Message)
	}
}

func TestSandboxChildOutOfMemory(t *testing.T) {
	for _, words := range []string{"hoso: memory limit exceeded", "fatal error: runtime: out of memory"} {
		testChildOutOfMemory(t, words)
	}
}

func testChildOutOfMemory(t *testing.T, words string) {
	sb := fakeChild(t, `read line; echo "`+words+`" >&2; exit 2`, 10*time.Second)
	_, err := sb.Extract(context.Background(), "/dev/null")
	var crash *CrashError
	if !errors.As(err, &crash) || crash.Code != pipeline.ELIMIT {
		t.Fatalf("Extract with a child out of memory: %v, want code %s", err, pipeline.ELIMIT)
	}
	if want := "The file is too large to read within the memory limit of 1024 MB."; crash.Message != want {
		t.Errorf("out of memory: message %q, want %q", crash.Message, want)
	}
}

func TestSandboxChildHangs(t *testing.T) {
	sb := fakeChild(t, `read line; exec sleep 60`, 300*time.Millisecond)
	start := time.Now()
	_, err := sb.Extract(context.Background(), "/dev/null")
	var crash *CrashError
	if !errors.As(err, &crash) || crash.Code != pipeline.ETIMEOUT {
		t.Fatalf("Extract with a hanging child: %v, want code %s", err, pipeline.ETIMEOUT)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("the hanging child was stopped after %v", el)
	}
}

// TestSandboxCPULimit uses the real child: a CPU limit of one second stops
// it on a file that takes minutes to read, and the next file gets a fresh
// child.
func TestSandboxCPULimit(t *testing.T) {
	loop := writeTemp(t, "busy.pdf", fixture.BusyPDF())
	sb, err := NewSandbox(SandboxConfig{Timeout: 30 * time.Second, CPUTime: time.Second, Children: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	_, err = sb.Extract(context.Background(), loop)
	var crash *CrashError
	if !errors.As(err, &crash) || crash.Code != pipeline.ELIMIT {
		t.Fatalf("Extract(%s) = %v, want a CPU limit crash", filepath.Base(loop), err)
	}
	doc := writeTemp(t, "a.txt", []byte("Giấy chứng nhận quyền sử dụng đất"))
	if res, err := sb.Extract(context.Background(), doc); err != nil || res.Pages[0].Text != "Giấy chứng nhận quyền sử dụng đất" {
		t.Errorf("after the crash: %v, %v", res, err)
	}
}

func TestSandboxDomainErrors(t *testing.T) {
	sb, err := NewSandbox(SandboxConfig{Timeout: 10 * time.Second, Children: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	tests := []struct {
		name string
		data []byte
		code string
	}{
		{"empty.pdf", nil, pipeline.EEMPTY},
		{"scan.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"), pipeline.ENEEDSOCR},
		{"blank.txt", []byte(" \n\t "), pipeline.EEMPTY},
	}
	if dir, ok := inCorpus("mixed-formats", "testdata"); ok {
		tests = append(tests, []struct {
			name string
			data []byte
			code string
		}{
			{"old.doc", mustRead(t, filepath.Join(dir, "doc.doc")), pipeline.ECORRUPT}, // cut to 4 KiB
			{"setup.msi", mustRead(t, filepath.Join(dir, "msi.msi")), pipeline.EUNSUPPORTED},
		}...)
	}
	for _, tt := range tests {
		_, err := sb.Extract(context.Background(), writeTemp(t, tt.name, tt.data))
		if pipeline.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want code %s", tt.name, err, tt.code)
		}
	}
	enc, ok := inCorpus("pdf-samples", "005-libreoffice-writer-password", "libreoffice-writer-password.pdf")
	if !ok {
		return
	}
	if _, err := sb.Extract(context.Background(), enc); pipeline.ErrorCode(err) != pipeline.EENCRYPTED {
		t.Errorf("password-protected PDF: %v, want code %s", err, pipeline.EENCRYPTED)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var fuzzSandbox = sync.OnceValues(func() (*Sandbox, error) {
	return NewSandbox(SandboxConfig{Timeout: 5 * time.Second, Children: 1})
})

// FuzzExtractPDF feeds mutated PDFs through the sandbox: whatever the
// bytes, extraction ends with text, a clerk's reason or a crash report.
func FuzzExtractPDF(f *testing.F) {
	for _, p := range []string{"004-pdflatex-4-pages/pdflatex-4-pages.pdf", "002-trivial-libre-office-writer/002-trivial-libre-office-writer.pdf"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "shared", "corpus", "pdf-samples", p)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"))
	f.Add(fixture.PDF("Quyet dinh so 12/QD-UBND\nve viec cap giay phep", "Page two"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sb, err := fuzzSandbox()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "f.pdf")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = sb.Extract(context.Background(), path)
		var crash *CrashError
		if err != nil && !errors.As(err, &crash) && pipeline.ErrorCode(err) == pipeline.EINTERNAL {
			t.Fatalf("Extract: internal error %v", err)
		}
	})
}

// TestSandboxBudget: a file is read only with a token of the shared CPU
// budget, held while it is read and given back after.
func TestSandboxBudget(t *testing.T) {
	budget := make(chan struct{}, 1)
	sb, err := NewSandbox(SandboxConfig{Timeout: 10 * time.Second, Children: 1, Budget: budget})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	doc := writeTemp(t, "a.txt", []byte("Giấy chứng nhận quyền sử dụng đất"))
	budget <- struct{}{} // another sandbox holds the only core
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := sb.Extract(ctx, doc); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Extract with the budget spent = %v, want it to wait", err)
	}
	<-budget
	if res, err := sb.Extract(context.Background(), doc); err != nil || res.Pages[0].Text != "Giấy chứng nhận quyền sử dụng đất" {
		t.Fatalf("Extract = %v, %v", res, err)
	}
	if len(budget) != 0 {
		t.Errorf("%d tokens still held after the file", len(budget))
	}
}

// TestSandboxPeakMemory: the sandbox knows the most memory a child held,
// as the child counts it, not as the kernel charges a child started from
// a large parent (the parent's size at the start): with 256 MB touched
// here, a child reading a small text reports tens of MB.
func TestSandboxPeakMemory(t *testing.T) {
	ballast := make([]byte, 256<<20)
	for i := range ballast {
		if i%4096 == 0 {
			ballast[i] = 1
		}
	}
	sb, err := NewSandbox(SandboxConfig{Timeout: 10 * time.Second, Children: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if _, err := sb.Extract(context.Background(), writeTemp(t, "note.txt", []byte("Biên bản bàn giao hồ sơ"))); err != nil {
		t.Fatal(err)
	}
	peak := sb.PeakRSS()
	if peak < 1<<20 || peak > 128<<20 {
		t.Errorf("child's peak %d MB, want between 1 and 128 (the parent holds %d MB)", peak>>20, len(ballast)>>20)
	}
	runtime.KeepAlive(ballast)
}

func TestLimitText(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{2 * time.Minute, "2 minutes"},
		{time.Minute, "1 minute"},
		{90 * time.Second, "90 seconds"},
		{1500 * time.Millisecond, "2 seconds"},
		{time.Second, "1 second"},
		{200 * time.Millisecond, "200ms"},
	} {
		if got := limitText(c.d); got != c.want {
			t.Errorf("limitText(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
