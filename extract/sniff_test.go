package extract

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hoso/internal/fixture"
	"hoso/pipeline"
)

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"pdf", []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj"), MIMEPDF},
		{"pdf after junk", append(bytes.Repeat([]byte{' '}, 300), []byte("%PDF-1.7\n")...), MIMEPDF},
		{"docx", docxOf(t, `<w:p><w:r><w:t>x</w:t></w:r></w:p>`), MIMEDOCX},
		{"odt", odtOf(t, `<text:p>x</text:p>`), MIMEODT},
		{"zip", fixture.Zip("a.txt", "hello"), MIMEZip},
		// Programs in a ZIP container are not archives to unpack.
		{"jar", fixture.Zip("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMain-Class: HelloWorld\r\n", "HelloWorld.class", "\xca\xfe\xba\xbe\x00\x00\x00\x34"), "application/java-archive"},
		{"apk", fixture.Zip("AndroidManifest.xml", "\x03\x00\x08\x00", "classes.dex", "dex\n035\x00"), "application/vnd.android.package-archive"},
		{"html", []byte("<!DOCTYPE html><html><body><p>Xin chào</p></body></html>"), MIMEHTML},
		{"html fragment", []byte("<html><head><title>t</title></head><body>x</body></html>"), MIMEHTML},
		{"utf-8 text", []byte("Cộng hòa xã hội chủ nghĩa Việt Nam\n"), MIMEText},
		{"utf-16 text", []byte("\xff\xfeH\x00\xe0\x00"), MIMEText},
		{"windows-1258 text", []byte("Quy\xea\xect \xf0i\xf2nh s\xf4\xec 12\n"), MIMEText},
		// Data in text is read as text.
		{"json", []byte(`{"so": "12/2024/QĐ-UBND", "trich_yeu": "Về việc cấp giấy phép xây dựng"}`), MIMEText},
		{"rss", []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Thông báo</title></channel></rss>`), MIMEText},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), MIMEPNG},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), MIMEJPEG},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00"), MIMETIFF},
		{"gzip", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"), MIMEGzip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sniff(bytes.NewReader(tt.in), int64(len(tt.in)))
			if err != nil || got != tt.want {
				t.Errorf("Sniff = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := Sniff(bytes.NewReader(nil), 0); pipeline.ErrorCode(err) != pipeline.EEMPTY {
		t.Errorf("Sniff(empty) error = %v, want code %s", err, pipeline.EEMPTY)
	}
}

// TestSniffCorpus checks that formats are told by content: the corpus
// files keep their extensions, but Sniff never sees the names.
func TestSniffCorpus(t *testing.T) {
	dir := corpus(t, "mixed-formats", "testdata")
	want := map[string]string{
		"docx.docx": MIMEDOCX,
		"doc.doc":   "application/msword",
		"xls.xls":   "application/vnd.ms-excel",
		"ppt.ppt":   "application/vnd.ms-powerpoint",
		"xlsx.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"pptx.pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
		"utf8.txt":  MIMEText,
		"tar.tar":   MIMETar,
		"gif.gif":   "image/gif",
	}
	for name, w := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Sniff(bytes.NewReader(b), int64(len(b)))
		if err != nil || got != w {
			t.Errorf("Sniff(%s) = %q, %v; want %q", name, got, err, w)
		}
	}
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte("%PDF-1.4\n"))
	f.Add([]byte("<html><body>x</body></html>"))
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte("\xff\xfeH\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Sniff(bytes.NewReader(b), int64(len(b)))
		if err != nil && pipeline.ErrorCode(err) == pipeline.EINTERNAL {
			t.Fatalf("Sniff: internal error %v", err)
		}
		if err == nil && got == "" {
			t.Fatal("Sniff returned no type and no error")
		}
		_ = Describe(got)
	})
}

// TestUnreadableKindsNamed: a file hoso cannot read is named the way a
// clerk knows it, never by its MIME type, with advice that fits it: an
// image to save as PNG, JPEG or PDF, an archive to unpack or pack as ZIP.
func TestUnreadableKindsNamed(t *testing.T) {
	for _, c := range []struct {
		name   string
		body   []byte
		advice string
	}{
		{"anh.gif", append([]byte("GIF89a\x01\x00\x01\x00"), make([]byte, 64)...), "save it as PNG, JPEG or PDF"},
		{"anh.webp", append([]byte("RIFF\x40\x00\x00\x00WEBPVP8 "), make([]byte, 64)...), "save it as PNG, JPEG or PDF"},
		{"ho-so.7z", append([]byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C, 0, 4}, make([]byte, 64)...), "pack them in a ZIP archive"},
		{"ho-so.rar", append([]byte("Rar!\x1a\x07\x01\x00"), make([]byte, 64)...), "pack them in a ZIP archive"},
	} {
		path := filepath.Join(t.TempDir(), c.name)
		if err := os.WriteFile(path, c.body, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := File(t.Context(), path, Options{})
		msg := pipeline.ErrorMessage(err)
		if pipeline.ErrorCode(err) != pipeline.EUNSUPPORTED || !strings.Contains(msg, c.advice) || strings.Contains(msg, "/") {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	for _, mime := range []string{"image/x-portable-pixmap", "audio/mpeg", "video/mp4", "font/woff2", "application/tzif", "text/x-unknown"} {
		if d := Describe(mime); strings.Contains(d, "/") {
			t.Errorf("Describe(%s) = %q, a code", mime, d)
		}
	}
}
