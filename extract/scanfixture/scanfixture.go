// Package scanfixture makes scans for OCR tests and benchmarks: pages of
// administrative text rendered to images, then dirtied the way paper gets
// at a counter — speckled, turned sideways or upside down, scanned at a
// low resolution — and packed as PNG, JPEG, multi-page TIFF, scanned-style
// PDFs and PDFs whose text layer is junk. The source text stays beside
// each, so OCR can be scored against it.
package scanfixture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// FontPaths are the fonts tried, in order: Debian's DejaVu (the
// fonts-dejavu-core package), which covers Vietnamese.
var FontPaths = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
}

// Render draws text on an A4 page at dpi, 11 points, wrapping lines to
// the margins; blank lines separate paragraphs.
func Render(text string, dpi int) (*image.Gray, error) {
	var ttf []byte
	var err error
	for _, p := range FontPaths {
		if ttf, err = os.ReadFile(p); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("no font to render scans with (install fonts-dejavu-core): %w", err)
	}
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, err
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 11, DPI: float64(dpi), Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	defer face.Close()
	w, h := dpi*827/100, dpi*1169/100 // 8.27 × 11.69 inches
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	margin := dpi * 8 / 10
	lineH := face.Metrics().Height.Ceil() * 13 / 10
	d := &font.Drawer{Dst: img, Src: image.Black, Face: face}
	y := margin + lineH
	maxW := fixed.I(w - 2*margin)
	for _, para := range strings.Split(text, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			y += lineH / 2
			continue
		}
		line := ""
		flush := func() {
			d.Dot = fixed.P(margin, y)
			d.DrawString(line)
			y += lineH
			line = ""
		}
		for _, word := range words {
			next := strings.TrimSpace(line + " " + word)
			if line != "" && d.MeasureString(next) > maxW {
				flush()
				next = word
			}
			line = next
		}
		flush()
		if y > h-margin {
			break
		}
	}
	return img, nil
}

// Speckle dirties a page: dust (dark dots) and dropouts (light dots) on
// share of the pixels, and a gray background.
func Speckle(img *image.Gray, share float64, seed uint64) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 99))
	out := image.NewGray(img.Bounds())
	copy(out.Pix, img.Pix)
	for i := range out.Pix {
		v := int(out.Pix[i])
		if v > 200 {
			v -= 25 // grayish paper
		}
		switch p := r.Float64(); {
		case p < share/2:
			v = r.IntN(90)
		case p < share:
			v = 160 + r.IntN(90)
		}
		out.Pix[i] = uint8(max(0, min(255, v+r.IntN(21)-10)))
	}
	return out
}

// Downscale shrinks a page by an integer factor, averaging: a scan at a
// lower resolution.
func Downscale(img *image.Gray, factor int) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx()/factor, b.Dy()/factor))
	for y := range out.Rect.Dy() {
		for x := range out.Rect.Dx() {
			sum := 0
			for dy := range factor {
				for dx := range factor {
					sum += int(img.Pix[(y*factor+dy)*img.Stride+x*factor+dx])
				}
			}
			out.Pix[y*out.Stride+x] = uint8(sum / (factor * factor))
		}
	}
	return out
}

// PNG encodes a page.
func PNG(img image.Image) []byte {
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// JPEG encodes a page at a quality.
func JPEG(img image.Image, quality int) []byte {
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality})
	return buf.Bytes()
}

// TIFF encodes pages as one uncompressed 8-bit gray TIFF, a page per
// image file directory.
func TIFF(pages []*image.Gray) []byte {
	var buf bytes.Buffer
	le := binary.LittleEndian
	buf.Write([]byte{'I', 'I', 42, 0, 0, 0, 0, 0})
	offsetOfNext := 4 // where the offset of the next IFD is written
	for _, img := range pages {
		w, h := img.Rect.Dx(), img.Rect.Dy()
		// Pixel data first, then its IFD.
		dataAt := buf.Len()
		for y := range h {
			buf.Write(img.Pix[y*img.Stride : y*img.Stride+w])
		}
		if buf.Len()%2 == 1 {
			buf.WriteByte(0)
		}
		ifdAt := buf.Len()
		b := buf.Bytes()
		le.PutUint32(b[offsetOfNext:], uint32(ifdAt))
		entries := [][3]uint32{ // tag, type (3 short, 4 long, 5 rational), value
			{256, 4, uint32(w)}, {257, 4, uint32(h)}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
			{273, 4, uint32(dataAt)}, {277, 3, 1}, {278, 4, uint32(h)}, {279, 4, uint32(w * h)},
			{282, 5, 0}, {283, 5, 0}, {296, 3, 2},
		}
		var ifd bytes.Buffer
		binary.Write(&ifd, le, uint16(len(entries)))
		rationalAt := uint32(ifdAt + 2 + 12*len(entries) + 4)
		for _, e := range entries {
			binary.Write(&ifd, le, uint16(e[0]))
			binary.Write(&ifd, le, uint16(e[1]))
			binary.Write(&ifd, le, uint32(1))
			switch e[1] {
			case 3:
				binary.Write(&ifd, le, uint16(e[2]))
				binary.Write(&ifd, le, uint16(0))
			case 5: // resolution: 300/1, stored after the IFD
				binary.Write(&ifd, le, rationalAt)
				rationalAt += 8
			default:
				binary.Write(&ifd, le, e[2])
			}
		}
		offsetOfNext = ifdAt + ifd.Len()
		binary.Write(&ifd, le, uint32(0)) // no next IFD yet
		for range 2 {
			binary.Write(&ifd, le, uint32(300))
			binary.Write(&ifd, le, uint32(1))
		}
		buf.Write(ifd.Bytes())
	}
	return buf.Bytes()
}

// PDF packs JPEG pages as a scanned-style PDF: each page one image, at
// the given resolution. A non-empty junk string adds an invisible text
// layer of it on each page, as broken scanning software leaves.
func PDF(jpegs [][]byte, sizes []image.Point, dpi int, junk string) []byte {
	var buf bytes.Buffer
	var offsets []int
	obj := func(body string, stream []byte) {
		offsets = append(offsets, buf.Len())
		fmt.Fprintf(&buf, "%d 0 obj\n%s", len(offsets), body)
		if stream != nil {
			buf.WriteString("stream\n")
			buf.Write(stream)
			buf.WriteString("\nendstream")
		}
		buf.WriteString("\nendobj\n")
	}
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	n := len(jpegs)
	// 1 catalog, 2 pages, 3 font, then per page: page, image, content.
	kids := make([]string, n)
	for i := range n {
		kids[i] = fmt.Sprintf("%d 0 R", 4+3*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n), nil)
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", nil)
	for i, j := range jpegs {
		wPt := float64(sizes[i].X) * 72 / float64(dpi)
		hPt := float64(sizes[i].Y) * 72 / float64(dpi)
		img, content := 5+3*i, 6+3*i
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im%d %d 0 R >> /Font << /F1 3 0 R >> >> /Contents %d 0 R >>",
			wPt, hPt, i, img, content), nil)
		obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\n",
			sizes[i].X, sizes[i].Y, len(j)), j)
		cs := fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im%d Do Q\n", wPt, hPt, i)
		if junk != "" {
			cs += fmt.Sprintf("BT 3 Tr /F1 10 Tf 72 %.2f Td (%s) Tj ET\n", hPt-72, pdfString(junk))
		}
		obj(fmt.Sprintf("<< /Length %d >>\n", len(cs)), []byte(cs))
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return buf.Bytes()
}

func pdfString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return r.Replace(s)
}

// Vietnamese and English are the source texts of the fixture pages:
// short administrative pages written for hoso's tests.
const (
	Vietnamese = `ỦY BAN NHÂN DÂN PHƯỜNG BẾN NGHÉ

THÔNG BÁO
Về việc tiếp nhận hồ sơ cấp giấy phép xây dựng

Ủy ban nhân dân phường thông báo đến các hộ gia đình, cá nhân trên địa bàn về việc tiếp nhận hồ sơ đề nghị cấp giấy phép xây dựng nhà ở riêng lẻ tại bộ phận một cửa.

Thời gian tiếp nhận: từ thứ Hai đến thứ Sáu, buổi sáng từ 7 giờ 30 đến 11 giờ 30, buổi chiều từ 13 giờ 30 đến 17 giờ.

Hồ sơ gồm: đơn đề nghị cấp giấy phép xây dựng; bản sao giấy chứng nhận quyền sử dụng đất; hai bộ bản vẽ thiết kế; bản cam kết bảo đảm an toàn cho công trình liền kề.

Thời hạn giải quyết là mười lăm ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ. Mọi thắc mắc xin liên hệ số điện thoại 028 3829 1234.`

	English = `PEOPLE'S COMMITTEE OF BEN NGHE WARD

NOTICE
On receiving applications for construction permits

The People's Committee of the ward informs households and individuals that applications for construction permits for private houses are received at the one-stop desk.

Opening hours: Monday to Friday, mornings from 7:30 to 11:30 and afternoons from 13:30 to 17:00.

An application holds: the request form; a copy of the land use right certificate; two sets of design drawings; a commitment to keep neighbouring buildings safe.

A decision is given within fifteen working days after a complete application is received. For questions, call 028 3829 1234.`
)

// Fade lightens the ink to level (0 black … 255 white): a faint
// photocopy or a dry ribbon.
func Fade(img *image.Gray, level uint8) *image.Gray {
	out := image.NewGray(img.Bounds())
	for i, v := range img.Pix {
		out.Pix[i] = uint8(int(level) + int(v)*(255-int(level))/255)
	}
	return out
}
