package extract

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os/exec"
	"strings"
	"time"
	"unicode/utf16"

	"hoso/pipeline"
)

// Extractor names of the legacy Office readers.
const (
	ExtractorDOC = "doc" // catdoc
	ExtractorXLS = "xls" // xls2csv, with sheet names read by hoso
	ExtractorPPT = "ppt" // hoso's reader of the PowerPoint 97 record stream
)

// maxToolOutput is the most text a converter may print for one file.
var maxToolOutput = 64 << 20

// DOC reads a Word 97-2003 document with catdoc (Debian's catdoc
// package), run from the extraction child so that its limits hold for the
// converter too. Page breaks (form feeds) start new pages.
func DOC(ctx context.Context, r io.ReaderAt, size int64, path string, opts Options) ([]PageText, error) {
	const what = "Word 97-2003 document (.doc)"
	// catdoc loops on some damaged files: read the streams it needs first.
	streams, err := oleStreams(io.NewSectionReader(r, 0, size), what, func(p string) bool {
		return p == "WordDocument" || p == "1Table" || p == "0Table"
	})
	if err != nil {
		return nil, err
	}
	if streams["WordDocument"] == nil {
		return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: it has no %s.", what, "WordDocument")
	}
	out, err := runConverter(ctx, opts, what, "catdoc", "-d", "utf-8", "-w", path)
	if err != nil {
		return nil, err
	}
	var pages []PageText
	for _, p := range strings.Split(out, "\f") {
		pages = append(pages, PageText{Text: strings.TrimSpace(p), Extractor: ExtractorDOC})
	}
	return pages, nil
}

// XLS reads an Excel 97-2003 workbook with xls2csv (catdoc package): one
// page per sheet, its name on the first line, rows as lines and cells
// separated by tabs.
func XLS(ctx context.Context, r io.ReaderAt, size int64, path string, opts Options) ([]PageText, error) {
	const what = "Excel 97-2003 workbook (.xls)"
	streams, err := oleStreams(io.NewSectionReader(r, 0, size), what, func(p string) bool { return p == "Workbook" || p == "Book" })
	if err != nil {
		return nil, err
	}
	var names []string
	for _, b := range streams {
		names = biffSheetNames(b)
	}
	if len(streams) == 0 {
		return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: it has no %s.", what, "Workbook")
	}
	out, err := runConverter(ctx, opts, what, "xls2csv", "-d", "utf-8", "-q", "0", "-c", "\t", "-b", "\f", path)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(strings.TrimRight(out, "\f\n"), "\f")
	var pages []PageText
	for i, p := range parts {
		text := strings.TrimSpace(p)
		if len(parts) == len(names) {
			text = names[i] + "\n" + text
		}
		pages = append(pages, PageText{Text: text, Extractor: ExtractorXLS})
	}
	return pages, nil
}

// biffSheetNames reads the worksheet names of a BIFF8 workbook stream from
// its BOUNDSHEET records, in order.
func biffSheetNames(b []byte) []string {
	var names []string
	for off := 0; off+4 <= len(b); {
		typ := binary.LittleEndian.Uint16(b[off:])
		n := int(binary.LittleEndian.Uint16(b[off+2:]))
		rec := b[off+4 : min(len(b), off+4+n)]
		off += 4 + n
		if typ == 0x000A && len(names) > 0 { // EOF of the globals
			break
		}
		if typ != 0x0085 || len(rec) < 8 || rec[5] != 0 { // a worksheet (not a chart or macro sheet)
			continue
		}
		cch, flags := int(rec[6]), rec[7]
		s := rec[8:]
		if flags&1 == 1 {
			u := make([]uint16, 0, cch)
			for i := 0; i+1 < len(s) && len(u) < cch; i += 2 {
				u = append(u, binary.LittleEndian.Uint16(s[i:]))
			}
			names = append(names, string(utf16.Decode(u)))
		} else {
			rs := make([]rune, 0, cch)
			for i := 0; i < len(s) && len(rs) < cch; i++ {
				rs = append(rs, rune(s[i]))
			}
			names = append(names, string(rs))
		}
	}
	return names
}

// runConverter runs a converter on a file, bounded by the extraction's
// deadline and by maxToolOutput.
func runConverter(ctx context.Context, opts Options, what, tool string, args ...string) (string, error) {
	bin, err := exec.LookPath(tool)
	if err != nil {
		return "", pipeline.Errorf(pipeline.EUNSUPPORTED, "Reading a %s needs the %s program, which is not installed on this server (Debian package catdoc).", what, tool)
	}
	// Without a deadline (in-process use), a converter that loops on a
	// damaged file still ends.
	deadline := opts.Deadline
	if deadline.IsZero() {
		deadline = time.Now().Add(DefaultTimeout)
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	cmd := dieWithParent(exec.CommandContext(ctx, bin, args...))
	out := &capped{max: maxToolOutput}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	switch {
	case out.over:
		return "", pipeline.Errorf(pipeline.ETOOLARGE, "The %s is too large to read within the memory limit.", what)
	case ctx.Err() != nil:
		return "", pipeline.Errorf(pipeline.ETIMEOUT, "Reading the %s took too long; the file is probably damaged or far too complex.", what)
	case err != nil:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: %s cannot read it.", what, tool)
		}
		return "", err
	}
	return strings.ToValidUTF8(out.String(), "\uFFFD"), nil
}

// capped is a buffer that stops taking bytes past max.
type capped struct {
	bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if c.Len()+len(p) > c.max {
		c.over = true
		return 0, errors.New("output too large")
	}
	return c.Buffer.Write(p)
}
