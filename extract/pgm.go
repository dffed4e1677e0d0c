package extract

import (
	"bufio"
	"fmt"
	"image"
	"image/draw"
	"io"
	"os"
	"strings"
)

// Pages go between pdftoppm, hoso and tesseract as binary PGM files: raw
// gray pixels behind a short header. A PNG of a page at 300 dpi costs
// pdftoppm about eight times the time to compress than the raw file takes
// to write, and tesseract the time to inflate it again; the raw file is
// larger (a byte a pixel, 8.7 MB for an A4 page) but lives only in the
// OCR run's temporary folder.

// readPGMHeader reads a binary PGM header (P5, width, height, 255) and
// leaves r at the first pixel.
func readPGMHeader(r *bufio.Reader) (w, h int, err error) {
	var fields [4]string
	for i := 0; i < 4; {
		c, err := r.ReadByte()
		if err != nil {
			return 0, 0, err
		}
		switch {
		case c == '#':
			if _, err := r.ReadString('\n'); err != nil {
				return 0, 0, err
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if fields[i] != "" {
				i++
			}
		default:
			if len(fields[i]) > 10 {
				return 0, 0, fmt.Errorf("pgm: header field too long")
			}
			fields[i] += string(c)
		}
	}
	if fields[0] != "P5" || fields[3] != "255" {
		return 0, 0, fmt.Errorf("pgm: not an 8-bit binary PGM")
	}
	if _, err := fmt.Sscan(fields[1]+" "+fields[2], &w, &h); err != nil || w <= 0 || h <= 0 || w > 1<<15 || h > 1<<15 {
		return 0, 0, fmt.Errorf("pgm: bad size %q × %q", fields[1], fields[2])
	}
	return w, h, nil
}

// readImage decodes a page image: a PGM written by pdftoppm, or any
// format the image package reads.
func readImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if !strings.HasSuffix(path, ".pgm") {
		img, _, err := image.Decode(br)
		return img, err
	}
	w, h, err := readPGMHeader(br)
	if err != nil {
		return nil, err
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	if _, err := io.ReadFull(br, g.Pix); err != nil {
		return nil, fmt.Errorf("pgm: %w", err)
	}
	return g, nil
}

// writePGM writes a gray image as a binary PGM.
func writePGM(path string, g *image.Gray) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	b := g.Bounds()
	fmt.Fprintf(w, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		i := g.PixOffset(b.Min.X, y)
		w.Write(g.Pix[i : i+b.Dx()])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rotateImage turns the image degrees clockwise and writes it as a PGM
// at out.
func rotateImage(path string, degrees int, out string) (string, error) {
	src, err := readImage(path)
	if err != nil {
		return "", err
	}
	gray, ok := src.(*image.Gray)
	if !ok || gray.Rect.Min != (image.Point{}) {
		gray = image.NewGray(image.Rect(0, 0, src.Bounds().Dx(), src.Bounds().Dy()))
		draw.Draw(gray, gray.Bounds(), src, src.Bounds().Min, draw.Src)
	}
	if err := writePGM(out, Rotate(gray, degrees)); err != nil {
		return "", err
	}
	return out, nil
}
