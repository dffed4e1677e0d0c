package extract

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"hoso/internal/fixture"
)

// corpus returns the path of the shared development corpus, or skips.
func corpus(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "shared", "corpus"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("the shared corpus is not at %s: %v", p, err)
	}
	return p
}

// inCorpus returns the path of a file or folder of the shared corpus and
// whether it is there. The corpus adds cases to a test; the repository's
// own fixtures (hoso/internal/fixture) are what a test cannot do without.
func inCorpus(parts ...string) (string, bool) {
	p := filepath.Join(append([]string{"..", "..", "shared", "corpus"}, parts...)...)
	_, err := os.Stat(p)
	return p, err == nil
}

func pdftotextPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is not installed; .ci/run installs poppler-utils")
		}
		t.Skip("pdftotext is not installed (apt-get install poppler-utils)")
	}
	return p
}

// docxOf wraps WordprocessingML body XML into a minimal DOCX.
func docxOf(t testing.TB, body string) []byte {
	return fixture.Zip("[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"word/document.xml", `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`+body+`</w:body></w:document>`)
}

// odtOf wraps OpenDocument body XML into a minimal ODT.
func odtOf(t testing.TB, body string) []byte {
	return fixture.Zip("mimetype", "application/vnd.oasis.opendocument.text",
		"content.xml", `<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>`+body+`</office:text></office:body></office:document-content>`)
}

func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// pdfOf assembles a PDF from object bodies (object 1 must be the catalog)
// with a correct cross-reference table.
func pdfOf(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

func streamObj(s string) string {
	return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(s), s)
}

// type0PDF shows text with a two-byte Identity-H font whose codes are the
// text's UTF-16 units plus shift, mapped by the given ToUnicode program,
// the way fpdf and dompdf write Vietnamese.
func type0PDF(text string, shift uint16, cmap string) []byte {
	var hexText strings.Builder
	for _, u := range utf16.Encode([]rune(text)) {
		fmt.Fprintf(&hexText, "%04X", u+shift)
	}
	content := "BT /F1 12 Tf 72 700 Td <" + hexText.String() + "> Tj ET"
	return pdfOf(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		streamObj(content),
		"<< /Type /Font /Subtype /Type0 /BaseFont /DejaVuSans /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
		"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /DejaVuSans /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 600 >>",
		streamObj(cmap),
	)
}
