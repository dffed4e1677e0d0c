package extract

import (
	"image"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPGM: a page written as PGM reads back the same, and a rotated one
// comes back turned, whether it came from a PGM or another format.
func TestPGM(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(g.Pix, []byte{1, 2, 3, 4, 5, 6})
	dir := t.TempDir()
	p := filepath.Join(dir, "page.pgm")
	if err := writePGM(p, g); err != nil {
		t.Fatal(err)
	}
	back, err := readImage(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(g.Pix, back.(*image.Gray).Pix); diff != "" || back.Bounds() != g.Bounds() {
		t.Errorf("read back %v (-want +got):\n%s", back.Bounds(), diff)
	}
	out, err := rotateImage(p, 90, filepath.Join(dir, "turned.pgm"))
	if err != nil {
		t.Fatal(err)
	}
	turned, err := readImage(out)
	if err != nil {
		t.Fatal(err)
	}
	// 1 2 3      4 1
	// 4 5 6  ->  5 2
	//            6 3
	if want := []byte{4, 1, 5, 2, 6, 3}; !cmp.Equal(turned.(*image.Gray).Pix, want) {
		t.Errorf("turned a quarter clockwise: %v, want %v", turned.(*image.Gray).Pix, want)
	}
	for _, bad := range []string{"P6\n1 1\n255\nx", "P5\n0 1\n255\n", "P5\n1 1\n65535\nxx", "P5\n2 2\n255\nab"} {
		bp := writeTemp(t, "bad.pgm", []byte(bad))
		if _, err := readImage(bp); err == nil {
			t.Errorf("readImage(%q) = nil error", bad)
		}
	}
}
