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

// RTF reads a Rich Text Format document: its text with paragraphs, tabs,
// table cells and page breaks (\page starts a new page), Unicode (\u) and
// code-page (\'hh) characters decoded by the font's character set. Font
// tables, pictures, field instructions and other non-text groups are left
// out; field results (the text a field shows) are kept.
func RTF(r io.Reader) ([]PageText, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, 1<<30), 1<<16)
	var out strings.Builder
	var pending []byte // \'hh bytes waiting to be decoded together
	st := rtfState{uc: 1, codePage: 1252}
	var stack []rtfState
	defaultCP := 1252
	fontCP := map[int]int{}
	curFont := -1
	skipChars := 0 // \uN stand-ins still to skip
	flush := func() {
		if len(pending) > 0 {
			s, _ := codePage(st.codePage).NewDecoder().Bytes(pending)
			out.Write(s)
			pending = pending[:0]
		}
	}
	emit := func(s string) {
		if st.skip || st.fontTbl {
			return
		}
		flush()
		out.WriteString(s)
	}
	depth := 0
	for {
		if out.Len() > maxSheetText {
			return nil, pipeline.Errorf(pipeline.ETOOLARGE, "The %s is too large to read within the memory limit.", "Rich Text Format document (.rtf)")
		}
		c, err := br.ReadByte()
		if err != nil {
			break
		}
		switch c {
		case '{':
			flush()
			if depth > 1000 {
				return nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: its groups nest too deep.", "Rich Text Format document (.rtf)")
			}
			depth++
			stack = append(stack, st)
			skipChars = 0
		case '}':
			flush()
			if len(stack) > 0 {
				st = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				depth--
			}
			skipChars = 0
		case '\r', '\n':
		case '\\':
			word, param, hasParam, sym := rtfControl(br)
			if sym != 0 {
				switch sym {
				case '\'':
					h1, _ := br.ReadByte()
					h2, _ := br.ReadByte()
					v, err := strconv.ParseUint(string([]byte{h1, h2}), 16, 8)
					if err != nil {
						continue
					}
					if skipChars > 0 {
						skipChars--
						continue
					}
					if !st.skip && !st.fontTbl {
						pending = append(pending, byte(v))
					}
				case '*':
					// An optional destination: unknown ones are skipped.
					if b, _ := br.Peek(1); len(b) == 1 && b[0] == '\\' {
						_, _ = br.ReadByte()
					}
					w, _, _, _ := rtfControl(br)
					if !st.fontTbl && !strings.HasPrefix(w, "shp") && w != "fldrslt" && w != "ud" {
						st.skip = true
					}
				case '~':
					emit("\u00a0")
				case '_':
					emit("-")
				case '\\', '{', '}':
					if skipChars > 0 {
						skipChars--
						continue
					}
					emit(string(sym))
				case '\n', '\r':
					emit("\n")
				case '\t':
					emit("\t")
				}
				continue
			}
			switch {
			case word == "u" && hasParam:
				if param < 0 {
					param += 65536
				}
				emit(string(rune(param)))
				skipChars = st.uc
			case word == "uc" && hasParam:
				st.uc = param
			case word == "ansicpg" && hasParam:
				defaultCP = param
				st.codePage = param
			case word == "fonttbl":
				st.fontTbl = true
			case word == "f" && hasParam:
				curFont = param
				if !st.fontTbl {
					flush()
					if cp, ok := fontCP[param]; ok {
						st.codePage = cp
					} else {
						st.codePage = defaultCP
					}
				}
			case word == "fcharset" && st.fontTbl:
				if cp, ok := rtfCharsets[param]; ok && curFont >= 0 {
					fontCP[curFont] = cp
				}
			case word == "cpg" && st.fontTbl && curFont >= 0 && param > 0:
				fontCP[curFont] = param
			case rtfSkip[word]:
				st.skip = true
			default:
				if s, ok := rtfSymbols[word]; ok {
					emit(s)
				}
			}
		default:
			if skipChars > 0 {
				skipChars--
				continue
			}
			if st.skip || st.fontTbl {
				continue
			}
			if c >= 0x80 {
				pending = append(pending, c)
				continue
			}
			flush()
			out.WriteByte(c)
		}
	}
	flush()
	var pages []PageText
	for _, p := range strings.Split(out.String(), "\f") {
		pages = append(pages, PageText{Text: strings.TrimSpace(p), Extractor: ExtractorRTF})
	}
	return pages, nil
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
