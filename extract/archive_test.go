package extract

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hoso/internal/fixture"
	"hoso/pipeline"
)

type entryResult struct {
	name string
	body string
	code string
}

func unpackAll(t *testing.T, b []byte, limits ArchiveLimits) ([]entryResult, error) {
	t.Helper()
	mime, err := Sniff(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out []entryResult
	err = Unpack(bytes.NewReader(b), int64(len(b)), mime, limits, func(e ArchiveEntry) error {
		r := entryResult{name: e.Name}
		if e.Err != nil {
			r.code = pipeline.ErrorCode(e.Err)
		} else {
			data, err := io.ReadAll(e.Body)
			if err != nil {
				r.code = pipeline.ErrorCode(err)
			}
			r.body = string(data)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// TestUnpackZipSlip unpacks zip-slip archives, the ones built here and
// the corpus's where it is present: the entries that climb out are
// refused, the others read.
func TestUnpackZipSlip(t *testing.T) {
	archives := map[string][]byte{
		"zip-slip.zip":     fixture.ZipSlip(),
		"zip-slip-win.zip": fixture.Zip("good.txt", "stays\n", `..\..\evil.txt`, "escapes\n"),
		"zip-slip.tar":     fixture.Tar("good.txt", "stays\n", "../../evil.txt", "escapes\n"),
		"zip-slip-win.tar": fixture.Tar("good.txt", "stays\n", `..\..\evil.txt`, "escapes\n"),
	}
	if dir, ok := inCorpus("archives"); ok {
		for _, name := range []string{"zip-slip.zip", "zip-slip-win.zip", "zip-slip.tar", "zip-slip-win.tar"} {
			archives["corpus "+name] = mustRead(t, filepath.Join(dir, name))
		}
	}
	for name, b := range archives {
		got, err := unpackAll(t, b, ArchiveLimits{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var good, refused int
		for _, e := range got {
			switch {
			case e.code == pipeline.EUNSAFE && strings.Contains(e.name, ".."):
				refused++
			case e.code == "" && !strings.Contains(e.name, ".."):
				good++
			default:
				t.Errorf("%s: entry %q gave code %q", name, e.name, e.code)
			}
		}
		if good == 0 || refused == 0 {
			t.Errorf("%s: %d entries read, %d refused; want both", name, good, refused)
		}
	}
}

// TestUnpackZipBomb: an archive that would unpack past the limit is
// refused whole (the one built here against a limit of 1 MB, the corpus's
// zbsm.zip against the default).
func TestUnpackZipBomb(t *testing.T) {
	_, err := unpackAll(t, fixture.ZipBomb(), ArchiveLimits{MaxTotal: 1 << 20})
	if pipeline.ErrorCode(err) != pipeline.EUNSAFE {
		t.Errorf("ZIP bomb of 16 MiB under a limit of 1 MiB: %v, want code %s", err, pipeline.EUNSAFE)
	}
	if p, ok := inCorpus("archives", "zbsm.zip"); ok {
		if _, err := unpackAll(t, mustRead(t, p), ArchiveLimits{}); pipeline.ErrorCode(err) != pipeline.EUNSAFE {
			t.Errorf("zbsm.zip: %v, want code %s", err, pipeline.EUNSAFE)
		}
	}
}

// TestUnpackLyingSizes builds an entry that declares a small size but
// inflates to more than the limit: the bytes are capped as they come.
func TestUnpackLimits(t *testing.T) {
	big := strings.Repeat("a", 3<<20)
	b := fixture.Zip("big.txt", big, "small.txt", "xin chào")
	got, err := unpackAll(t, b, ArchiveLimits{MaxRatio: 50})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].code != pipeline.EUNSAFE || got[1].code != "" || got[1].body != "xin chào" {
		t.Errorf("ratio limit: %+v", got)
	}
	got, err = unpackAll(t, b, ArchiveLimits{MaxEntry: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].code != pipeline.ETOOLARGE {
		t.Errorf("entry size limit: %+v", got[0].code)
	}
	if _, err := unpackAll(t, b, ArchiveLimits{MaxEntries: 1}); pipeline.ErrorCode(err) != pipeline.EUNSAFE {
		t.Errorf("entry count limit: %v", err)
	}
	if _, err := unpackAll(t, b, ArchiveLimits{MaxTotal: 1 << 20}); pipeline.ErrorCode(err) != pipeline.EUNSAFE {
		t.Errorf("total size limit: %v", err)
	}

	// Headers that claim 10 bytes for an entry of 2 MB: the reader refuses
	// the entry as damaged instead of trusting or overrunning them.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "liar.txt", Method: zip.Deflate})
	io.WriteString(w, strings.Repeat("b", 2<<20))
	zw.Close()
	liar := buf.Bytes()
	for _, sig := range []struct {
		magic string
		off   int
	}{{"PK\x03\x04", 22}, {"PK\x01\x02", 24}} {
		i := bytes.Index(liar, []byte(sig.magic))
		copy(liar[i+sig.off:], []byte{10, 0, 0, 0})
	}
	got, err = unpackAll(t, liar, ArchiveLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].code != pipeline.ECORRUPT || len(got[0].body) > 2<<20 {
		t.Errorf("lying header: code %q after %d bytes, want %s", got[0].code, len(got[0].body), pipeline.ECORRUPT)
	}
}

func TestUnpackGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Name = "ghi-chu.txt"
	io.WriteString(zw, "Biên bản họp")
	zw.Close()
	got, err := unpackAll(t, buf.Bytes(), ArchiveLimits{})
	if err != nil || len(got) != 1 || got[0].name != "ghi-chu.txt" || got[0].body != "Biên bản họp" {
		t.Errorf("gzip: %+v, %v", got, err)
	}
	// A gzip stream without a name gives one nameless entry.
	buf.Reset()
	zw = gzip.NewWriter(&buf)
	io.WriteString(zw, "Hướng dẫn cho người bảo trì Debian")
	zw.Close()
	got, err = unpackAll(t, buf.Bytes(), ArchiveLimits{})
	if err != nil || len(got) != 1 || got[0].name != "" || !strings.Contains(got[0].body, "Debian") {
		t.Errorf("nameless gzip: %+v, %v", got, err)
	}
	if p, ok := inCorpus("vietnamese", "maint-guide.vi.txt.gz"); ok {
		got, err = unpackAll(t, mustRead(t, p), ArchiveLimits{})
		if err != nil || len(got) != 1 || got[0].name != "" || !strings.Contains(got[0].body, "Debian") {
			t.Errorf("maint-guide.vi.txt.gz: %d entries, %v", len(got), err)
		}
	}
}

func TestSafeEntryName(t *testing.T) {
	for in, ok := range map[string]bool{
		"a/b.pdf": true, "./a.pdf": true, "a/../b.pdf": false, "../x": false, `..\..\x`: false,
		"/etc/passwd": false, `C:\x`: false, "hồ sơ/đơn.pdf": true,
	} {
		_, err := SafeEntryName(in)
		if (err == nil) != ok {
			t.Errorf("SafeEntryName(%q) = %v, want ok %v", in, err, ok)
		}
	}
}

func FuzzUnpack(f *testing.F) {
	f.Add(fixture.Zip("a.txt", "x", "../b.txt", "y"))
	f.Add(fixture.Tar("a.txt", "x", "../../b.txt", "y"))
	if b, err := os.ReadFile(filepath.Join("..", "..", "shared", "corpus", "archives", "zip-slip.tar")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mime := range []string{MIMEZip, MIMETar, MIMEGzip} {
			var total int64
			err := Unpack(bytes.NewReader(b), int64(len(b)), mime, ArchiveLimits{MaxTotal: 1 << 20, MaxEntry: 1 << 20}, func(e ArchiveEntry) error {
				if e.Err == nil {
					n, _ := io.Copy(io.Discard, e.Body)
					total += n
				}
				return nil
			})
			if err != nil && pipeline.ErrorCode(err) == pipeline.EINTERNAL {
				t.Fatalf("Unpack(%s): internal error %v", mime, err)
			}
			if total > 3<<20 {
				t.Fatalf("Unpack(%s) read %d bytes past its limits", mime, total)
			}
		}
	})
}
