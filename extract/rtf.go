package extract

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"hoso/pipeline"
)

// ExtractorRTF names hoso's RTF reader.
const ExtractorRTF = "rtf"

// rtfSkip are destinations whose content is not the document's text.
var rtfSkip = map[string]bool{
	"colortbl": true, "stylesheet": true, "info": true, "pict": true, "themedata": true,
	"colorschememapping": true, "datastore": true, "latentstyles": true, "listtable": true,
	"listoverridetable": true, "rsidtbl": true, "generator": true, "xmlnstbl": true, "mmathPr": true,
	"fldinst": true, "bkmkstart": true, "bkmkend": true, "objdata": true, "filetbl": true,
	"revtbl": true, "pgdsctbl": true, "wgrffmtfilter": true, "nonshppict": true,
	"xe": true, "tc": true, "template": true, "listtext": true, "pntext": true,
}

// rtfSymbols are control words that stand for a character.
var rtfSymbols = map[string]string{
	"par": "\n", "line": "\n", "sect": "\n", "tab": "\t", "cell": "\t", "nestcell": "\t", "row": "\n", "nestrow": "\n",
	"emdash": "—", "endash": "–", "bullet": "•", "lquote": "‘", "rquote": "’", "ldblquote": "“", "rdblquote": "”",
	"emspace": " ", "enspace": " ", "qmspace": " ", "page": "\f",
}

// rtfCharsets maps \fcharset values to Windows code pages.
var rtfCharsets = map[int]int{0: 1252, 161: 1253, 162: 1254, 163: 1258, 177: 1255, 178: 1256, 186: 1257,
	204: 1251, 222: 874, 238: 1250, 128: 932, 134: 936, 129: 949, 136: 950}

func codePage(cp int) encoding.Encoding {
	switch cp {
	case 1250:
		return charmap.Windows1250
	case 1251:
		return charmap.Windows1251
	case 1253:
		return charmap.Windows1253
	case 1254:
		return charmap.Windows1254
	case 1255:
		return charmap.Windows1255
	case 1256:
		return charmap.Windows1256
	case 1257:
		return charmap.Windows1257
	case 1258:
		return charmap.Windows1258
	case 874:
		return charmap.Windows874
	case 932:
		return japanese.ShiftJIS
	case 936:
		return simplifiedchinese.GBK
	case 949:
		return korean.EUCKR
	case 950:
		return traditionalchinese.Big5
	case 437:
		return charmap.CodePage437
	case 850:
		return charmap.CodePage850
	}
	return charmap.Windows1252
}

type rtfState struct {
	skip     bool
	uc       int // characters that stand in for a \u character
	codePage int
	fontTbl  bool
}

// rtfReader is the state of reading one RTF document.
type rtfReader struct {
	br        *bufio.Reader
	out       strings.Builder
	pending   []byte // \'hh bytes waiting to be decoded together
	st        rtfState
	stack     []rtfState
	defaultCP int
	fontCP    map[int]int
	curFont   int
	skipChars int // \uN stand-ins still to skip
}

// RTF reads a Rich Text Format document: its text with paragraphs, tabs,
// table cells and page breaks (\page starts a new page), Unicode (\u) and
// code-page (\'hh) characters decoded by the font's character set. Font
// tables, pictures, field instructions and other non-text groups are left
// out; field results (the text a field shows) are kept.
func RTF(r io.Reader) ([]PageText, error) {
	rr := &rtfReader{
		br: bufio.NewReaderSize(io.LimitReader(r, 1<<30), 1<<16), st: rtfState{uc: 1, codePage: 1252},
		defaultCP: 1252, fontCP: map[int]int{}, curFont: -1,
	}
	for {
		if rr.out.Len() > maxSheetText {
			return nil, pipeline.Errorf(pipeline.ETOOLARGE, "The %s is too large to read within the memory limit.", "Rich Text Format document (.rtf)")
		}
		c, err := rr.br.ReadByte()
		if err != nil {
			break
		}
		if err := rr.byte(c); err != nil {
			return nil, err
		}
	}
	rr.flush()
	var pages []PageText
	for _, p := range strings.Split(rr.out.String(), "\f") {
		pages = append(pages, PageText{Text: strings.TrimSpace(p), Extractor: ExtractorRTF})
	}
	return pages, nil
}

// byte reads one byte of the document: a group's start or end, a control
// word or symbol, or text.
func (r *rtfReader) byte(c byte) error {
	switch c {
	case '{':
		r.flush()
		if len(r.stack) > 1000 {
			return pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: its groups nest too deep.", "Rich Text Format document (.rtf)")
		}
		r.stack = append(r.stack, r.st)
		r.skipChars = 0
	case '}':
		r.flush()
		if n := len(r.stack); n > 0 {
			r.st, r.stack = r.stack[n-1], r.stack[:n-1]
		}
		r.skipChars = 0
	case '\r', '\n':
	case '\\':
		word, param, hasParam, sym := rtfControl(r.br)
		if sym != 0 {
			r.symbol(sym)
		} else {
			r.control(word, param, hasParam)
		}
	default:
		switch {
		case r.skipChars > 0:
			r.skipChars--
		case r.st.skip || r.st.fontTbl:
		case c >= 0x80:
			r.pending = append(r.pending, c)
		default:
			r.flush()
			r.out.WriteByte(c)
		}
	}
	return nil
}

// flush decodes the code-page bytes waiting, by the current font's
// character set.
func (r *rtfReader) flush() {
	if len(r.pending) > 0 {
		s, _ := codePage(r.st.codePage).NewDecoder().Bytes(r.pending)
		r.out.Write(s)
		r.pending = r.pending[:0]
	}
}

// emit writes text, unless the group is not the document's text.
func (r *rtfReader) emit(s string) {
	if r.st.skip || r.st.fontTbl {
		return
	}
	r.flush()
	r.out.WriteString(s)
}

// symbol reads a control symbol: a code-page character (\'hh), an
// optional destination (\*), an escaped or special character.
func (r *rtfReader) symbol(sym byte) {
	switch sym {
	case '\'':
		h1, _ := r.br.ReadByte()
		h2, _ := r.br.ReadByte()
		v, err := strconv.ParseUint(string([]byte{h1, h2}), 16, 8)
		if err != nil {
			return
		}
		if r.skipChars > 0 {
			r.skipChars--
			return
		}
		if !r.st.skip && !r.st.fontTbl {
			r.pending = append(r.pending, byte(v))
		}
	case '*':
		// An optional destination: unknown ones are skipped.
		if b, _ := r.br.Peek(1); len(b) == 1 && b[0] == '\\' {
			_, _ = r.br.ReadByte()
		}
		w, _, _, _ := rtfControl(r.br)
		if !r.st.fontTbl && !strings.HasPrefix(w, "shp") && w != "fldrslt" && w != "ud" {
			r.st.skip = true
		}
	case '~':
		r.emit("\u00a0")
	case '_':
		r.emit("-")
	case '\\', '{', '}':
		if r.skipChars > 0 {
			r.skipChars--
			return
		}
		r.emit(string(sym))
	case '\n', '\r':
		r.emit("\n")
	case '\t':
		r.emit("\t")
	}
}

// control reads a control word: a Unicode character, the code page and
// fonts, a destination to skip, or a word that stands for a character.
func (r *rtfReader) control(word string, param int, hasParam bool) {
	switch {
	case word == "u" && hasParam:
		if param < 0 {
			param += 65536
		}
		r.emit(string(rune(param)))
		r.skipChars = r.st.uc
	case word == "uc" && hasParam:
		r.st.uc = param
	case word == "ansicpg" && hasParam:
		r.defaultCP = param
		r.st.codePage = param
	case word == "fonttbl":
		r.st.fontTbl = true
	case word == "f" && hasParam:
		r.curFont = param
		if !r.st.fontTbl {
			r.flush()
			if cp, ok := r.fontCP[param]; ok {
				r.st.codePage = cp
			} else {
				r.st.codePage = r.defaultCP
			}
		}
	case word == "fcharset" && r.st.fontTbl:
		if cp, ok := rtfCharsets[param]; ok && r.curFont >= 0 {
			r.fontCP[r.curFont] = cp
		}
	case word == "cpg" && r.st.fontTbl && r.curFont >= 0 && param > 0:
		r.fontCP[r.curFont] = param
	case rtfSkip[word]:
		r.st.skip = true
	default:
		if s, ok := rtfSymbols[word]; ok {
			r.emit(s)
		}
	}
}

// rtfControl reads what follows a backslash: a control word with its
// optional numeric parameter (eating one delimiting space), or a control
// symbol.
func rtfControl(br *bufio.Reader) (word string, param int, hasParam bool, sym byte) {
	c, err := br.ReadByte()
	if err != nil {
		return "", 0, false, 0
	}
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return "", 0, false, c
	}
	var w []byte
	for len(w) < 32 {
		w = append(w, c)
		if c, err = br.ReadByte(); err != nil {
			return string(w), 0, false, 0
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			break
		}
	}
	neg := false
	if c == '-' {
		neg = true
		if c, err = br.ReadByte(); err != nil {
			return string(w), 0, false, 0
		}
	}
	digits := 0
	for c >= '0' && c <= '9' && digits < 10 {
		param = param*10 + int(c-'0')
		digits++
		if c, err = br.ReadByte(); err != nil {
			break
		}
	}
	if neg {
		param = -param
	}
	if err == nil && c != ' ' {
		_ = br.UnreadByte()
	}
	return string(w), param, digits > 0, 0
}
