package extract

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"hoso/pipeline"
)

// Formats hoso tells apart by content. The values are MIME types.
const (
	MIMEPDF     = "application/pdf"
	MIMEDOCX    = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	MIMEODT     = "application/vnd.oasis.opendocument.text"
	MIMEXLSX    = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	MIMEPPTX    = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	MIMEODS     = "application/vnd.oasis.opendocument.spreadsheet"
	MIMEODP     = "application/vnd.oasis.opendocument.presentation"
	MIMERTF     = "text/rtf"
	MIMEDOC     = "application/msword"
	MIMEXLS     = "application/vnd.ms-excel"
	MIMEPPT     = "application/vnd.ms-powerpoint"
	MIMEMSG     = "application/vnd.ms-outlook"
	MIMEOLE     = "application/x-ole-storage"
	MIMEEML     = "message/rfc822"
	MIMEHTML    = "text/html"
	MIMEText    = "text/plain"
	MIMEZip     = "application/zip"
	MIMETar     = "application/x-tar"
	MIMEGzip    = "application/gzip"
	MIMEPNG     = "image/png"
	MIMEJPEG    = "image/jpeg"
	MIMETIFF    = "image/tiff"
	MIMEUnknown = "application/octet-stream"
)

const sniffLen = 3072

// Sniff finds a file's format from its bytes, never from its name. It
// returns the MIME type; formats hoso cannot read come back as their own
// type so that the reason given to the clerk can name them.
func Sniff(r io.ReaderAt, size int64) (string, error) {
	if size == 0 {
		return "", pipeline.Errorf(pipeline.EEMPTY, "The file is empty.")
	}
	head := make([]byte, min(size, sniffLen))
	n, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return "", err
	}
	head = head[:n]
	// PDF readers accept a header anywhere in the first kilobyte.
	if i := bytes.Index(head[:min(len(head), 1024)], []byte("%PDF-")); i >= 0 {
		return MIMEPDF, nil
	}
	if bytes.HasPrefix(head, oleMagic) {
		return sniffOLE(r, size, head), nil
	}
	if bytes.HasPrefix(head, []byte("{\\rtf")) {
		return MIMERTF, nil
	}
	m := mimetype.Detect(head)
	base, _, _ := strings.Cut(m.String(), ";")
	for p := m; p != nil; p = p.Parent() {
		if p.Is("application/zip") {
			// Java and Android programs are ZIP files too: refused
			// whole, never unpacked as an archive of documents.
			if programs[base] {
				return base, nil
			}
			return sniffZip(r, size, m.String()), nil
		}
	}
	if programs[base] {
		return base, nil
	}
	switch {
	case base == "text/html" || base == "application/xhtml+xml":
		return MIMEHTML, nil
	case base == MIMEEML || looksLikeMail(head):
		return MIMEEML, nil
	case base == "image/png", base == "image/jpeg", base == "image/tiff":
		return base, nil
	case strings.HasPrefix(base, "text/"):
		if looksLikeHTML(head) {
			return MIMEHTML, nil
		}
		return MIMEText, nil
	case base == "application/octet-stream" && looksLikeText(head):
		return MIMEText, nil
	case textData(m):
		return MIMEText, nil
	}
	return base, nil
}

// textData says whether a format is text under another name: JSON and
// XML data (application/json, application/rss+xml, …). Read as plain
// text, for a reason telling the clerk to save such a file "as plain
// text" would ask for what it already is. Images written in text (SVG)
// are not documents to read.
func textData(m *mimetype.MIME) bool {
	if strings.HasPrefix(m.String(), "image/") {
		return false
	}
	for p := m.Parent(); p != nil; p = p.Parent() {
		if p.Is("text/plain") {
			return true
		}
	}
	return false
}

// programs are the formats of executables and scripts: never documents.
var programs = map[string]bool{
	"application/vnd.microsoft.portable-executable": true, "application/x-msdownload": true, "application/x-dosexec": true,
	"application/x-elf": true, "application/x-executable": true, "application/x-sharedlib": true, "application/x-object": true,
	"application/x-coredump": true, "application/x-mach-binary": true, "application/x-java-applet": true, "application/wasm": true,
	"application/x-ms-shortcut": true, "application/java-archive": true, "application/x-java-archive": true,
	"application/vnd.android.package-archive": true, "application/x-ms-installer": true, "application/x-msi": true,
	"text/x-shellscript": true, "text/x-python": true, "text/x-perl": true, "text/x-php": true, "text/x-lua": true, "text/x-tcl": true,
	"application/x-shellscript": true, "application/javascript": true, "text/javascript": true,
}

// Refusal says why a file is refused at upload, by its format, or nil
// when it may be a document: programs are unsafe; sound, video and fonts
// are no office's paperwork. Files of other formats are taken, and those
// the extractors cannot read (a damaged PDF that lost its header, a format
// not read yet) fail with the reason, the original kept.
func Refusal(mime string) error {
	base, _, _ := strings.Cut(mime, ";")
	switch {
	case programs[base]:
		return pipeline.Errorf(pipeline.EUNSAFE, "Refused: the file is a program (%s), not a document.", Describe(base))
	case strings.HasPrefix(base, "audio/"), strings.HasPrefix(base, "video/"), strings.HasPrefix(base, "font/"),
		base == "application/vnd.ms-fontobject", base == "application/x-font-ttf":
		return pipeline.Errorf(pipeline.EUNSUPPORTED, "Refused: hoso cannot read this kind of file (%s). Save it as PDF, DOCX, ODT, HTML or plain text and upload it again.", Describe(base))
	}
	return nil
}

// sniffZip looks inside a ZIP container for the parts that make it an
// office document.
// A container whose directory cannot be read (a truncated file) keeps the
// type its first entries suggested, so the clerk hears "the Word document
// is damaged" rather than "a ZIP archive".
func sniffZip(r io.ReaderAt, size int64, guess string) string {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		if guess == "" || strings.HasPrefix(guess, "application/zip") {
			return MIMEZip
		}
		return guess
	}
	var docx, xlsx, pptx bool
	for _, f := range zr.File {
		switch {
		case f.Name == "mimetype":
			if rc, err := f.Open(); err == nil {
				b, _ := io.ReadAll(io.LimitReader(rc, 100))
				rc.Close()
				t := strings.TrimSpace(string(b))
				if strings.HasPrefix(t, "application/vnd.oasis.opendocument.") {
					return t
				}
			}
		case f.Name == "word/document.xml":
			docx = true
		case strings.HasPrefix(f.Name, "xl/"):
			xlsx = true
		case strings.HasPrefix(f.Name, "ppt/"):
			pptx = true
		}
	}
	switch {
	case docx:
		return MIMEDOCX
	case xlsx:
		return MIMEXLSX
	case pptx:
		return MIMEPPTX
	}
	return MIMEZip
}

func looksLikeHTML(head []byte) bool {
	h := bytes.ToLower(bytes.TrimSpace(head))
	h = bytes.TrimPrefix(h, []byte("\xef\xbb\xbf"))
	return bytes.HasPrefix(h, []byte("<!doctype html")) || bytes.HasPrefix(h, []byte("<html")) ||
		bytes.Contains(h[:min(len(h), 512)], []byte("<body"))
}

// looksLikeText accepts single-byte legacy text (Windows-1252, -1258):
// no NUL bytes and few control characters.
func looksLikeText(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	bad := 0
	for _, c := range head {
		switch {
		case c == 0:
			return false
		case c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f':
			bad++
		}
	}
	return bad*100 < len(head)
}

// Describe names a MIME type the way a clerk knows it.
func Describe(mime string) string {
	switch mime {
	case MIMEPDF:
		return "PDF"
	case MIMEDOCX:
		return "Word document"
	case MIMEODT:
		return "OpenDocument text"
	case MIMEHTML:
		return "web page"
	case MIMEText:
		return "plain text"
	case MIMEZip:
		return "ZIP archive"
	case MIMEPNG, MIMEJPEG, MIMETIFF:
		return "image (" + strings.TrimPrefix(mime, "image/") + ")"
	case MIMEDOC:
		return "Word 97-2003 document (.doc)"
	case MIMEXLS:
		return "Excel 97-2003 workbook (.xls)"
	case MIMEPPT:
		return "PowerPoint 97-2003 presentation (.ppt)"
	case MIMEXLSX:
		return "Excel workbook (.xlsx)"
	case MIMEPPTX:
		return "PowerPoint presentation (.pptx)"
	case MIMEODS:
		return "OpenDocument spreadsheet"
	case MIMEODP:
		return "OpenDocument presentation"
	case MIMERTF:
		return "Rich Text Format document (.rtf)"
	case MIMEEML:
		return "e-mail message (.eml)"
	case MIMEMSG:
		return "Outlook message (.msg)"
	case MIMEOLE:
		return "Microsoft Office file in the old binary format"
	case MIMEUnknown, "":
		return "a format hoso does not recognise"
	case "application/vnd.microsoft.portable-executable", "application/x-msdownload", "application/x-dosexec":
		return "Windows program (.exe, .dll)"
	case "application/x-elf", "application/x-executable", "application/x-sharedlib", "application/x-object", "application/x-coredump":
		return "Linux program or library"
	case "application/x-mach-binary":
		return "macOS program"
	case "application/x-java-applet", "application/java-archive", "application/x-java-archive":
		return "Java program"
	case "application/vnd.android.package-archive":
		return "Android app (.apk)"
	case "application/x-ms-installer", "application/x-msi":
		return "Windows installer (.msi)"
	case "text/x-shellscript", "application/x-shellscript", "text/x-python", "text/x-perl", "text/x-php", "text/x-lua", "text/x-tcl",
		"application/javascript", "text/javascript":
		return "script (a program in text)"
	case "application/wasm":
		return "WebAssembly program"
	case MIMETar:
		return "TAR archive"
	case MIMEGzip:
		return "gzip file"
	case "image/gif":
		return "GIF image"
	case "image/bmp", "image/x-ms-bmp":
		return "BMP image"
	case "image/webp":
		return "WebP image"
	case "image/heic", "image/heif":
		return "HEIC photo"
	case "image/svg+xml":
		return "SVG drawing"
	case "application/vnd.ms-publisher":
		return "Publisher document"
	case "application/vnd.visio", "application/vnd.ms-visio.drawing":
		return "Visio drawing"
	case "application/vnd.shp", "application/vnd.dbf":
		return "map data (shapefile)"
	case "application/x-7z-compressed", "application/vnd.rar", "application/x-rar-compressed":
		return "7-Zip or RAR archive"
	}
	// Whatever else: its family, never the raw type (a code the clerk
	// cannot read).
	switch family, _, _ := strings.Cut(mime, "/"); family {
	case "image":
		return "image in another format"
	case "audio":
		return "sound recording"
	case "video":
		return "video"
	case "font":
		return "font"
	}
	return "a format hoso does not recognise"
}

var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// sniffOLE tells the legacy Office formats apart by the streams their
// compound file holds, which is what the applications themselves read.
// A compound file whose directory cannot be read (a truncated file) keeps
// the type the first sector's class ID suggests, so the clerk hears that
// the workbook is damaged.
func sniffOLE(r io.ReaderAt, size int64, head []byte) string {
	names, err := oleNames(io.NewSectionReader(r, 0, size))
	if err != nil {
		base, _, _ := strings.Cut(mimetype.Detect(head).String(), ";")
		return base
	}
	switch {
	case names["WordDocument"]:
		return MIMEDOC
	case names["Workbook"] || names["Book"]:
		return MIMEXLS
	case names["PowerPoint Document"]:
		return MIMEPPT
	case names["__properties_version1.0"] || names["__nameid_version1.0"]:
		return MIMEMSG
	}
	return MIMEOLE
}

// looksLikeMail accepts an Internet message: its first lines are header
// fields, among them a From or Received and one more a message carries.
func looksLikeMail(head []byte) bool {
	seen := map[string]bool{}
	for i, line := range strings.Split(string(head), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			break
		}
		if i > 60 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		name, _, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(name, " \t") {
			return false
		}
		seen[strings.ToLower(name)] = true
	}
	return (seen["from"] || seen["received"]) && (seen["date"] || seen["subject"] || seen["message-id"] || seen["to"])
}
