package extract

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"hoso/pipeline"
)

// ArchiveLimits bound what unpacking an uploaded archive may cost. Zero
// fields take the defaults given.
type ArchiveLimits struct {
	MaxEntries int   // files in one archive; default 10,000
	MaxTotal   int64 // bytes unpacked from one archive; default 2 GB
	MaxEntry   int64 // bytes of one entry; default 500 MB
	MaxRatio   int64 // unpacked bytes per packed byte of an entry; default 200
}

func (l ArchiveLimits) withDefaults() ArchiveLimits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = 10000
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = 2_000_000_000
	}
	if l.MaxEntry <= 0 {
		l.MaxEntry = 500_000_000
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = 200
	}
	return l
}

// ArchiveEntry is one file found in an archive. Err, when set, says why the
// entry is refused (its Body is nil then). Name is empty for a gzip file
// whose header names no file.
type ArchiveEntry struct {
	Name string
	Body io.Reader
	Err  error
}

// IsArchive reports whether files of this type are unpacked at upload.
func IsArchive(mime string) bool {
	return mime == MIMEZip || mime == MIMETar || mime == MIMEGzip
}

// Unpack calls fn for each regular file of a ZIP or TAR archive in order;
// a gzip file yields its one file (a .tar.gz yields the TAR, to unpack in
// turn).
// Entries with unsafe names (absolute, or climbing out with ..) and entries
// that break the limits are passed with Err set, so the caller can report
// each by name. Unpack stops with an error when the archive itself is
// unreadable or breaks the limits as a whole; entries already passed stay
// passed. The bytes an entry yields are capped whatever its header says.
func Unpack(r io.ReaderAt, size int64, mime string, limits ArchiveLimits, fn func(ArchiveEntry) error) error {
	limits = limits.withDefaults()
	switch mime {
	case MIMEZip:
		return unpackZip(r, size, limits, fn)
	case MIMETar:
		return unpackTar(io.NewSectionReader(r, 0, size), limits, fn)
	case MIMEGzip:
		return unpackGzip(io.NewSectionReader(r, 0, size), size, limits, fn)
	}
	return fmt.Errorf("unpack: %s is not an archive", mime)
}

// SafeEntryName cleans an archive entry's name, or says why it is unsafe.
func SafeEntryName(name string) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	n := strings.ReplaceAll(name, "\\", "/")
	if strings.HasPrefix(n, "/") || (len(n) > 1 && n[1] == ':') {
		return "", pipeline.Errorf(pipeline.EUNSAFE, "Refused: the archive entry %q has an absolute path.", name)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", pipeline.Errorf(pipeline.EUNSAFE, "Refused: the archive entry %q points outside the archive (a zip-slip path).", name)
		}
	}
	return path.Clean(n), nil
}

// MaxNameLength is the longest file name (one folder or file of a path)
// hoso takes, in bytes, as file systems do.
const MaxNameLength = 255

// CheckName refuses a file name that is not valid UTF-8, holds control
// characters (NUL, line breaks) or text-direction overrides (which make
// "gpj.exe" show as "exe.jpg"), or has a part over MaxNameLength bytes.
func CheckName(name string) error {
	if !utf8.ValidString(name) {
		return pipeline.Errorf(pipeline.EINVALID, "Refused: the file name is not valid UTF-8 text.")
	}
	for _, r := range name {
		if unicode.IsControl(r) || bidiControl(r) {
			return pipeline.Errorf(pipeline.EUNSAFE, "Refused: the file name holds control or text-direction characters, which can disguise what the file is.")
		}
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if len(part) > MaxNameLength {
			return pipeline.Errorf(pipeline.EINVALID, "Refused: the file name is longer than %d bytes.", MaxNameLength)
		}
	}
	return nil
}

// bidiControl reports the invisible marks that change the direction of
// text.
func bidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// DisplayName is a name safe to record and show: invalid bytes, control
// and text-direction characters become U+FFFD, and it is cut to 300 bytes.
func DisplayName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || bidiControl(r) {
			return '\uFFFD'
		}
		return r
	}, name)
	if len(name) > 300 {
		cut := 300
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + "…"
	}
	return name
}

func unpackZip(r io.ReaderAt, size int64, limits ArchiveLimits, fn func(ArchiveEntry) error) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return pipeline.Errorf(pipeline.ECORRUPT, "The ZIP archive is damaged and cannot be opened.")
	}
	files := 0
	var declared uint64
	for _, f := range zr.File {
		if !f.Mode().IsDir() {
			files++
			declared += f.UncompressedSize64
		}
	}
	if files > limits.MaxEntries {
		return pipeline.Errorf(pipeline.EUNSAFE, "The ZIP archive holds %d files, more than the limit of %d; split it.", files, limits.MaxEntries)
	}
	if declared > uint64(limits.MaxTotal) {
		return pipeline.Errorf(pipeline.EUNSAFE, "The ZIP archive would unpack to %d MB, more than the limit of %d MB (it may be a ZIP bomb).", declared/1_000_000, limits.MaxTotal/1_000_000)
	}
	var total int64
	for _, f := range zr.File {
		if f.Mode().IsDir() || strings.HasSuffix(f.Name, "/") {
			continue
		}
		name, err := SafeEntryName(f.Name)
		if err == nil && f.Mode()&^0o777 != 0 {
			err = pipeline.Errorf(pipeline.EUNSAFE, "Refused: the archive entry %q is not a regular file.", f.Name)
		}
		if err == nil && f.UncompressedSize64 > uint64(limits.MaxEntry) {
			err = pipeline.Errorf(pipeline.ETOOLARGE, "Refused: %q unpacks to %d MB, more than the limit of %d MB.", f.Name, f.UncompressedSize64/1_000_000, limits.MaxEntry/1_000_000)
		}
		if err == nil && f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > uint64(limits.MaxRatio) && f.UncompressedSize64 > 1<<20 {
			err = pipeline.Errorf(pipeline.EUNSAFE, "Refused: %q is compressed %d to 1, a sign of a ZIP bomb.", f.Name, f.UncompressedSize64/f.CompressedSize64)
		}
		if err != nil {
			if err := fn(ArchiveEntry{Name: f.Name, Err: err}); err != nil {
				return err
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			if err := fn(ArchiveEntry{Name: name, Err: pipeline.Errorf(pipeline.ECORRUPT, "Refused: %q cannot be read from the archive (%v).", f.Name, err)}); err != nil {
				return err
			}
			continue
		}
		cap := min(limits.MaxEntry, limits.MaxTotal-total)
		body := &cappedReader{r: rc, left: cap, name: f.Name, packed: int64(f.CompressedSize64), ratio: limits.MaxRatio}
		err = fn(ArchiveEntry{Name: name, Body: body})
		rc.Close()
		total += body.read
		if err != nil {
			return err
		}
	}
	return nil
}

func unpackGzip(r io.Reader, size int64, limits ArchiveLimits, fn func(ArchiveEntry) error) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return pipeline.Errorf(pipeline.ECORRUPT, "The gzip file is damaged and cannot be opened.")
	}
	defer zr.Close()
	zr.Multistream(false)
	// The name stored in the header, when there is one; else "" and the
	// caller names the file after the archive.
	name := ""
	if zr.Name != "" {
		if n, err := SafeEntryName(path.Base(zr.Name)); err == nil && n != "." && n != "/" {
			name = n
		}
	}
	body := &cappedReader{r: zr, left: min(limits.MaxEntry, limits.MaxTotal), name: name, packed: size, ratio: limits.MaxRatio}
	return fn(ArchiveEntry{Name: name, Body: body})
}

func unpackTar(r io.Reader, limits ArchiveLimits, fn func(ArchiveEntry) error) error {
	tr := tar.NewReader(r)
	var total int64
	files := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return pipeline.Errorf(pipeline.ECORRUPT, "The TAR archive is damaged and cannot be read to its end.")
		}
		if h.Typeflag != tar.TypeReg {
			if h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink {
				if err := fn(ArchiveEntry{Name: h.Name, Err: pipeline.Errorf(pipeline.EUNSAFE, "Refused: the archive entry %q is a link.", h.Name)}); err != nil {
					return err
				}
			}
			continue
		}
		files++
		if files > limits.MaxEntries {
			return pipeline.Errorf(pipeline.EUNSAFE, "The TAR archive holds more than %d files; split it.", limits.MaxEntries)
		}
		name, err := SafeEntryName(h.Name)
		if err == nil && h.Size > limits.MaxEntry {
			err = pipeline.Errorf(pipeline.ETOOLARGE, "Refused: %q is %d MB, more than the limit of %d MB.", h.Name, h.Size/1_000_000, limits.MaxEntry/1_000_000)
		}
		if err == nil && total+h.Size > limits.MaxTotal {
			return pipeline.Errorf(pipeline.EUNSAFE, "The TAR archive holds more than %d MB; split it.", limits.MaxTotal/1_000_000)
		}
		if err != nil {
			if err := fn(ArchiveEntry{Name: h.Name, Err: err}); err != nil {
				return err
			}
			continue
		}
		body := &cappedReader{r: tr, left: h.Size, name: h.Name}
		if err := fn(ArchiveEntry{Name: name, Body: body}); err != nil {
			return err
		}
		total += body.read
	}
}

// cappedReader stops an entry that unpacks to more than it may, whatever
// its header declared.
type cappedReader struct {
	r      io.Reader
	left   int64
	read   int64
	name   string
	packed int64
	ratio  int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			return 0, pipeline.Errorf(pipeline.EUNSAFE, "Refused: %q unpacks to more than its limit (it may be a ZIP bomb).", c.name)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	c.read += int64(n)
	if err != nil && err != io.EOF {
		var de *pipeline.Error
		if !errors.As(err, &de) {
			err = pipeline.Errorf(pipeline.ECORRUPT, "Refused: %q is damaged inside the archive (%v).", c.name, err)
		}
		return n, err
	}
	if c.packed > 0 && c.ratio > 0 && c.read > 1<<20 && c.read/c.packed > c.ratio {
		return n, pipeline.Errorf(pipeline.EUNSAFE, "Refused: %q is compressed more than %d to 1, a sign of a ZIP bomb.", c.name, c.ratio)
	}
	return n, err
}
