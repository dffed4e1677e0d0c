package extract

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkPDF measures the built-in reader alone on the Vietnamese manual
// (64 pages, LaTeX-made).
func BenchmarkPDF(b *testing.B) {
	f := filepath.Join(corpus(b, "vietnamese"), "maint-guide.vi.pdf")
	for b.Loop() {
		if _, err := File(context.Background(), f, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
