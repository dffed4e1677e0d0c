package extract

import (
	"strings"
	"testing"
)

// shiftedFontPDF draws text with a subset TrueType font that has neither
// an encoding nor a Unicode map, whose codes are the characters less
// shift: what a text-layer reader can only print shifted.
func shiftedFontPDF(text string, shift int) []byte {
	var codes strings.Builder
	for _, r := range text {
		if r == ' ' {
			codes.WriteString(") -600 (")
			continue
		}
		c := byte(int(r) - shift)
		if c == '(' || c == ')' || c == '\\' {
			codes.WriteByte('\\')
		}
		codes.WriteByte(c)
	}
	content := "BT /F1 10 Tf 40 700 Td [(" + codes.String() + ")] TJ ET"
	return pdfOf(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		streamObj(content),
		"<< /Type /Font /Subtype /TrueType /BaseFont /ABCDEF+Arial /FirstChar 3 /LastChar 126 /Widths ["+strings.Repeat("500 ", 124)+"] >>",
	)
}

// TestUnshiftPDF: a text layer whose codes are shifted by a constant is
// recognised and decoded, exactly, without OCR.
func TestUnshiftPDF(t *testing.T) {
	const text = "The Foundation is a charitable organization that supports the development of free software for the public and for all of its users"
	path := writeTemp(t, "shifted.pdf", shiftedFontPDF(text, 29))
	res, err := File(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(strings.Fields(res.Pages[0].Text), " ")
	if f1, _, _ := wordF1(got, text); f1 < 0.95 {
		t.Errorf("text = %q, want %q (F1 %.2f)", got, text, f1)
	}
	// A right text layer, or a page with too few words to tell, is left
	// alone.
	for _, s := range []string{text, "Foundation", "QĐ-UBND 12/2024", "Header\nFoo: bar\nABC: DEF", "Signed: 12-34-2007T12:34:56\nFingerprint: asdfSa2123\nName: Foo Bar",
		"Contents\n1 Foo 2\n2 Bar 2\n3 Baz 2\n4 Foo 2\n5 Bar 3\n6 Baz 3\n7 Foo 3\n8 Bar 4\n9 Baz 4"} {
		if out, ok := Unshift(s); ok || out != s {
			t.Errorf("Unshift(%q) = %q, %v", s, out, ok)
		}
	}
	if out, ok := Unshift(shiftRunes(text, -29)); !ok || out != text {
		t.Errorf("Unshift(shifted) = %q, %v", out, ok)
	}
}
