package extract

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/text/encoding/htmlindex"

	"hoso/pipeline"
)

// ExtractorMail names hoso's e-mail reader (EML and MSG).
const ExtractorMail = "mail"

// Message holds the header fields of an e-mail.
type Message struct {
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Cc      string    `json:"cc,omitempty"`
	Date    time.Time `json:"date,omitzero"`
	Subject string    `json:"subject,omitempty"`
}

// Attachment is a file carried in a message. The extraction child writes
// it under Options.AttachDir; the caller makes it a document of its own.
type Attachment struct {
	Name string `json:"name"`
	Path string `json:"path,omitempty"` // "" when no AttachDir was given
	Size int64  `json:"size"`
}

// Limits of one message: how many attachments and how many bytes they may
// hold in all, and how deep multiparts may nest.
const (
	maxAttachments    = 200
	maxAttachmentData = 512 << 20
	maxMIMEDepth      = 20
)

type mailReader struct {
	what  string
	dir   string
	body  strings.Builder
	html  strings.Builder
	atts  []Attachment
	total int64
}

// EML reads an Internet message: its header fields, its text (the plain
// part of an alternative, else the HTML part as text) and its attachments,
// which are saved under dir when dir is not "".
func EML(r io.Reader, dir string) ([]PageText, *Message, []Attachment, error) {
	const what = "e-mail message (.eml)"
	msg, err := mail.ReadMessage(bufio.NewReader(io.LimitReader(r, 1<<30)))
	if err != nil {
		return nil, nil, nil, pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: its header cannot be read.", what)
	}
	dec := &mime.WordDecoder{CharsetReader: charsetReader}
	field := func(name string) string {
		v := msg.Header.Get(name)
		if d, err := dec.DecodeHeader(v); err == nil {
			v = d
		}
		return strings.Join(strings.Fields(v), " ")
	}
	m := &Message{From: field("From"), To: field("To"), Cc: field("Cc"), Subject: field("Subject")}
	if t, err := msg.Header.Date(); err == nil {
		m.Date = t.UTC()
	}
	mr := &mailReader{what: what, dir: dir}
	if err := mr.part(textproto.MIMEHeader(msg.Header), msg.Body, 0); err != nil {
		return nil, nil, nil, err
	}
	return mr.pages(m), m, mr.atts, nil
}

func (mr *mailReader) pages(m *Message) []PageText {
	text := mr.body.String()
	if strings.TrimSpace(text) == "" {
		text = mr.html.String()
	}
	if m.Subject != "" {
		text = m.Subject + "\n\n" + strings.TrimSpace(text)
	}
	return []PageText{{Text: strings.TrimSpace(text), Extractor: ExtractorMail}}
}

func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}

// part reads one MIME part: multiparts recurse, text parts become the
// body, anything else (and any part with a file name) an attachment.
func (mr *mailReader) part(h textproto.MIMEHeader, body io.Reader, depth int) error {
	if depth > maxMIMEDepth {
		return pipeline.Errorf(pipeline.ECORRUPT, "The %s is damaged: its parts nest too deep.", mr.what)
	}
	ct, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		ct, params = "text/plain", map[string]string{}
	}
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &base64Clean{r: body})
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	if strings.HasPrefix(ct, "multipart/") && params["boundary"] != "" {
		r := multipart.NewReader(body, params["boundary"])
		alternative := ct == "multipart/alternative"
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return nil
			} else if err != nil {
				return nil // a truncated message keeps what was read
			}
			if alternative && mr.body.Len() > 0 && strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
				continue // the plain version was read
			}
			if err := mr.part(p.Header, p, depth+1); err != nil {
				return err
			}
		}
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if d, err := (&mime.WordDecoder{CharsetReader: charsetReader}).DecodeHeader(name); err == nil {
		name = d
	}
	if disp != "attachment" && name == "" && (ct == "text/plain" || ct == "text/html") {
		var r io.Reader = io.LimitReader(body, int64(maxSheetText))
		if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
			if cr, err := charsetReader(cs, r); err == nil {
				r = cr
			}
		}
		if ct == "text/html" {
			pages, err := HTML(r)
			if err == nil {
				for _, p := range pages {
					mr.html.WriteString(p.Text)
					mr.html.WriteByte('\n')
				}
			}
			return nil
		}
		b, _ := io.ReadAll(r)
		mr.body.Write(b)
		mr.body.WriteByte('\n')
		return nil
	}
	if name == "" {
		exts, _ := mime.ExtensionsByType(ct)
		name = "attachment"
		if ct == "message/rfc822" {
			name = "message.eml"
		} else if len(exts) > 0 {
			name += exts[0]
		}
	}
	return mr.attach(name, body)
}

// attach saves an attachment under the reader's folder.
func (mr *mailReader) attach(name string, body io.Reader) error {
	if len(mr.atts) >= maxAttachments {
		return pipeline.Errorf(pipeline.ETOOLARGE, "The %s has more than %d attachments.", mr.what, maxAttachments)
	}
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || name == ".." {
		name = "attachment"
	}
	a := Attachment{Name: name}
	limit := maxAttachmentData - mr.total
	if mr.dir == "" {
		n, _ := io.Copy(io.Discard, io.LimitReader(body, limit+1))
		a.Size = n
	} else {
		f, err := os.CreateTemp(mr.dir, "attachment-*")
		if err != nil {
			return fmt.Errorf("save attachment: %w", err)
		}
		n, err := io.Copy(f, io.LimitReader(body, limit+1))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil && n == 0 {
			os.Remove(f.Name())
			return nil // an attachment whose encoding is broken is left out
		}
		a.Path, a.Size = f.Name(), n
	}
	mr.total += a.Size
	if mr.total > maxAttachmentData {
		return pipeline.Errorf(pipeline.ETOOLARGE, "The %s is too large to read within the memory limit.", mr.what)
	}
	mr.atts = append(mr.atts, a)
	return nil
}

// base64Clean drops the bytes base64 has no use for (line breaks, spaces)
// so that a sloppy encoder's output still decodes.
type base64Clean struct{ r io.Reader }

func (c *base64Clean) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		k := 0
		for _, b := range p[:n] {
			if b == '+' || b == '/' || b == '=' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' {
				p[k] = b
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// MSG reads an Outlook message (a compound file of MAPI properties): the
// sender, recipients, submit time and subject, the plain body (else the
// HTML body as text) and the attachments, saved under dir.
func MSG(r io.ReaderAt, size int64, dir string) ([]PageText, *Message, []Attachment, error) {
	const what = "Outlook message (.msg)"
	streams, err := oleStreams(io.NewSectionReader(r, 0, size), what, func(p string) bool {
		return strings.Contains(p, "__substg1.0_") || strings.HasSuffix(p, "__properties_version1.0")
	})
	if err != nil {
		return nil, nil, nil, err
	}
	prop := func(prefix, tag string) string {
		if b, ok := streams[prefix+"__substg1.0_"+tag+"001F"]; ok {
			return utf16String(b)
		}
		if b, ok := streams[prefix+"__substg1.0_"+tag+"001E"]; ok {
			return strings.TrimRight(string(b), "\x00")
		}
		return ""
	}
	m := &Message{Subject: prop("", "0037"), To: prop("", "0E04"), Cc: prop("", "0E03")}
	from, addr := prop("", "0C1A"), prop("", "5D01")
	if addr == "" {
		addr = prop("", "0C1F")
	}
	switch {
	case from != "" && addr != "" && from != addr:
		m.From = from + " <" + addr + ">"
	case addr != "":
		m.From = addr
	default:
		m.From = from
	}
	m.Date = msgTime(streams["__properties_version1.0"], 0x0039)
	if m.Date.IsZero() {
		m.Date = msgTime(streams["__properties_version1.0"], 0x0E06)
	}
	mr := &mailReader{what: what, dir: dir}
	mr.body.WriteString(prop("", "1000"))
	if strings.TrimSpace(mr.body.String()) == "" {
		h := streams["__substg1.0_10130102"]
		if h == nil {
			h = []byte(prop("", "1013"))
		}
		if pages, err := HTML(bytes.NewReader(h)); err == nil && len(pages) > 0 {
			mr.html.WriteString(pages[0].Text)
		}
	}
	seen := map[string]bool{}
	for p := range streams {
		storage, _, ok := strings.Cut(p, "/")
		if !ok || !strings.HasPrefix(storage, "__attach_version1.0_") || seen[storage] {
			continue
		}
		seen[storage] = true
	}
	for _, storage := range slices.Sorted(maps.Keys(seen)) {
		data, ok := streams[storage+"/__substg1.0_37010102"]
		if !ok {
			continue // an embedded message or OLE object: not a file
		}
		name := prop(storage+"/", "3707")
		if name == "" {
			name = prop(storage+"/", "3704")
		}
		if name == "" {
			name = "attachment"
		}
		if err := mr.attach(name, bytes.NewReader(data)); err != nil {
			return nil, nil, nil, err
		}
	}
	return mr.pages(m), m, mr.atts, nil
}

func utf16String(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return strings.TrimRight(string(utf16.Decode(u)), "\x00")
}

// msgTime finds a PT_SYSTIME property in a top-level property stream
// (a 32-byte header, then 16-byte entries).
func msgTime(b []byte, id uint16) time.Time {
	for off := 32; off+16 <= len(b); off += 16 {
		tag := binary.LittleEndian.Uint32(b[off:])
		if uint16(tag>>16) != id || uint16(tag) != 0x0040 {
			continue
		}
		ft := int64(binary.LittleEndian.Uint64(b[off+8:]))
		if ft <= 0 {
			return time.Time{}
		}
		// FILETIME: 100 ns since 1601-01-01.
		return time.Unix((ft-116444736000000000)/10000000, 0).UTC()
	}
	return time.Time{}
}
