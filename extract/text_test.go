package extract

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestDecodeText(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		want     string
		encoding string
	}{
		{"utf-8", []byte("Quyết định số 12/2024/QĐ-UBND"), "Quyết định số 12/2024/QĐ-UBND", "utf-8"},
		{"utf-8 bom", []byte("\xef\xbb\xbfHồ sơ"), "Hồ sơ", "utf-8"},
		{"utf-8 nfd becomes nfc", []byte(norm.NFD.String("Thanh Hóa")), "Thanh Hóa", "utf-8"},
		{"utf-16le", []byte("\xff\xfeH\x00\xd3\x00 \x00s\x00\xa1\x01"), "HÓ sơ", "utf-16"},
		{"utf-16be", []byte("\xfe\xff\x00H\x00\xd3\x00 \x00s\x01\xa1"), "HÓ sơ", "utf-16"},
		{"windows-1258", []byte("Quy\xea\xect \xf0i\xf2nh v\xea\xcc vi\xea\xf2c c\xe2\xecp gi\xe2\xecy ph\xe9p"), "Quyết định về việc cấp giấy phép", "windows-1258"},
		{"windows-1252", []byte("Caf\xe9 r\xe9sum\xe9 \x80 12"), "Café résumé € 12", "windows-1252"},
		{"crlf", []byte("a\r\nb\rc  \n"), "a\nb\nc\n", "utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, enc := DecodeText(tt.in)
			if got != tt.want || enc != tt.encoding {
				t.Errorf("DecodeText(%q) = %q, %q; want %q, %q", tt.in, got, enc, tt.want, tt.encoding)
			}
		})
	}
}

func TestTextPages(t *testing.T) {
	pages, enc, err := Text(strings.NewReader("trang một\fTrang hai\f"))
	if err != nil || enc != "utf-8" {
		t.Fatal(err, enc)
	}
	if len(pages) != 2 || pages[0].Text != "trang một" || pages[1].Text != "Trang hai" {
		t.Errorf("Text pages = %+v", pages)
	}
}

func TestQuality(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		min, max float64
	}{
		{"clean vietnamese", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc", 0.99, 1},
		{"clean english", "The applicant requests a construction permit for the lot.", 0.99, 1},
		{"empty", "  \n ", 0, 0},
		{"replacement characters", "Quy\ufffd\ufffdt \ufffd\ufffdnh s\ufffd 12", 0, 0.3},
		{"control bytes from a broken cmap", "C\x10NG H\x11A X\x12 H\x13I", 0, 0.3},
		{"mojibake", "Quyáº¿t Ä‘á»‹nh vá»\x81 viá»‡c", 0, 0.5},
		{"glued words", "Thisisalongrunofwordswithoutanyspacesbetweenthemthatnobodywrites", 0, 0.1},
		{"symbols only", "... --- ||| *** ### ...", 0, 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if q := Quality(tt.in); q < tt.min || q > tt.max {
				t.Errorf("Quality(%q) = %.3f, want in [%.2f, %.2f]", tt.in, q, tt.min, tt.max)
			}
		})
	}
}

func FuzzDecodeText(f *testing.F) {
	f.Add([]byte("Quy\xea\xect \xf0i\xf2nh"))
	f.Add([]byte("\xff\xfeH\x00"))
	f.Add([]byte("plain"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, enc := DecodeText(b)
		if !utf8.ValidString(s) {
			t.Fatalf("DecodeText(%q) = invalid UTF-8 %q (%s)", b, s, enc)
		}
		if strings.ContainsRune(s, 0) || !norm.NFC.IsNormalString(s) {
			t.Fatalf("DecodeText(%q) = %q: NUL or not NFC", b, s)
		}
		_ = Quality(s)
		if bytes.Contains(b, []byte{0xc3}) && enc == "" {
			t.Fatal("no encoding named")
		}
	})
}
