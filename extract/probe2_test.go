package extract

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestProbeHostile(t *testing.T) {
	sb, err := NewSandbox(SandboxConfig{Timeout: 10 * time.Second, PDFToText: "/usr/bin/pdftotext"})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	files, _ := filepath.Glob("../../shared/corpus/pdf-malformed/*")
	more, _ := filepath.Glob("../../shared/corpus/pdf-fuzz/*")
	files = append(files, more...)
	counts := map[string]int{}
	start := time.Now()
	for _, f := range files {
		t0 := time.Now()
		res, err := sb.Extract(context.Background(), f)
		var ce *CrashError
		switch {
		case errors.As(err, &ce):
			counts["crash:"+ce.Code]++
			t.Logf("%s CRASH %v %v", filepath.Base(f), ce, time.Since(t0))
		case err != nil:
			counts["err"]++
			t.Logf("%s ERR %v %v", filepath.Base(f), err, time.Since(t0))
		default:
			counts["ok"]++
			t.Logf("%s OK pages=%d q=%.2f ex=%s %v", filepath.Base(f), len(res.Pages), res.Quality, res.Extractor(), time.Since(t0))
		}
	}
	t.Log(counts, len(files), time.Since(start))
}
