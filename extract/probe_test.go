package extract

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProbeF1(t *testing.T) {
	files, _ := filepath.Glob("../../shared/corpus/pdf-samples/*/*.pdf")
	more, _ := filepath.Glob("../../shared/corpus/pdf-expected/*.pdf")
	files = append(files, more...)
	files = append(files, "../../shared/corpus/vietnamese/maint-guide.vi.pdf")
	for _, f := range files {
		out, err := exec.Command("pdftotext", "-enc", "UTF-8", "-q", f, "-").Output()
		if err != nil {
			t.Logf("%s: pdftotext: %v", f, err)
		}
		start := time.Now()
		res, err := File(context.Background(), f, Options{})
		el := time.Since(start)
		if err != nil {
			t.Logf("%-70s ERR %v", filepath.Base(f), err)
			continue
		}
		var sb strings.Builder
		for _, p := range res.Pages {
			sb.WriteString(p.Text + "\n")
		}
		f1, p, r := wordF1(sb.String(), string(out))
		t.Logf("%-70s f1=%.3f p=%.3f r=%.3f q=%.2f pages=%d %v", filepath.Base(f), f1, p, r, res.Quality, len(res.Pages), el)
	}
}
