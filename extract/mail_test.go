package extract

import (
	"bytes"
	"encoding/binary"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"hoso/pipeline"
)

// cfbOf writes a compound file (version 3, 512-byte sectors) holding the
// given streams, named "storage/stream" or "stream". Every stream is under
// the 4 KiB cutoff and so lives in the mini stream, as the format asks.
func cfbOf(t testing.TB, streams map[string][]byte) []byte {
	t.Helper()
	const (
		endOfChain = 0xFFFFFFFE
		free       = 0xFFFFFFFF
		fatSect    = 0xFFFFFFFD
		noStream   = 0xFFFFFFFF
	)
	type entry struct {
		name     string
		typ      byte // 1 storage, 2 stream, 5 root
		children []int
		data     []byte
		start    uint32
	}
	entries := []*entry{{name: "Root Entry", typ: 5}}
	storages := map[string]int{"": 0}
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for k := range streams {
			if !yield(k) {
				return
			}
		}
	}) {
		dir, name := "", p
		if i := strings.LastIndex(p, "/"); i >= 0 {
			dir, name = p[:i], p[i+1:]
		}
		parent, ok := storages[dir]
		if !ok {
			entries = append(entries, &entry{name: dir, typ: 1})
			parent = len(entries) - 1
			storages[dir] = parent
			entries[0].children = append(entries[0].children, parent)
		}
		if len(streams[p]) >= 4096 {
			t.Fatalf("cfbOf: stream %s is not small", p)
		}
		entries = append(entries, &entry{name: name, typ: 2, data: streams[p]})
		entries[parent].children = append(entries[parent].children, len(entries)-1)
	}
	// The mini stream and its FAT.
	var mini []byte
	var miniFAT []uint32
	for _, e := range entries {
		if e.typ != 2 || len(e.data) == 0 {
			e.start = endOfChain
			continue
		}
		e.start = uint32(len(mini) / 64)
		n := (len(e.data) + 63) / 64
		for i := range n {
			next := uint32(len(miniFAT) + 1)
			if i == n-1 {
				next = endOfChain
			}
			miniFAT = append(miniFAT, next)
		}
		mini = append(mini, e.data...)
		mini = append(mini, make([]byte, n*64-len(e.data))...)
	}
	// Sectors: FAT, directory, mini FAT, mini stream.
	dirSectors := (len(entries)*128 + 511) / 512
	miniFATSectors := (len(miniFAT)*4 + 511) / 512
	miniSectors := (len(mini) + 511) / 512
	fat := []uint32{fatSect}
	chain := func(n int) uint32 {
		if n == 0 {
			return endOfChain
		}
		start := uint32(len(fat))
		for i := range n {
			if i == n-1 {
				fat = append(fat, endOfChain)
			} else {
				fat = append(fat, uint32(len(fat)+1))
			}
		}
		return start
	}
	dirStart, miniFATStart, miniStart := chain(dirSectors), chain(miniFATSectors), chain(miniSectors)
	if len(fat) > 128 {
		t.Fatal("cfbOf: too many sectors for one FAT sector")
	}
	entries[0].start, entries[0].data = miniStart, mini
	var out bytes.Buffer
	le := func(v any) { _ = binary.Write(&out, binary.LittleEndian, v) }
	out.Write([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	out.Write(make([]byte, 16))
	le(uint16(0x3E))
	le(uint16(3))
	le(uint16(0xFFFE))
	le(uint16(9))
	le(uint16(6))
	out.Write(make([]byte, 6))
	le(uint32(0)) // directory sectors (v3: 0)
	le(uint32(1)) // FAT sectors
	le(dirStart)
	le(uint32(0))
	le(uint32(4096))
	le(miniFATStart)
	le(uint32(miniFATSectors))
	le(uint32(endOfChain))
	le(uint32(0))
	le(uint32(0)) // DIFAT[0]: the FAT is sector 0
	for range 108 {
		le(uint32(free))
	}
	sector := func(words []uint32, fill uint32) {
		for i := range 128 {
			if i < len(words) {
				le(words[i])
			} else {
				le(fill)
			}
		}
	}
	sector(fat, free)
	var dir bytes.Buffer
	for _, e := range entries {
		var b [128]byte
		u := utf16.Encode([]rune(e.name))
		for i, c := range u {
			binary.LittleEndian.PutUint16(b[2*i:], c)
		}
		binary.LittleEndian.PutUint16(b[64:], uint16(2*len(u)+2))
		b[66], b[67] = e.typ, 1
		binary.LittleEndian.PutUint32(b[68:], noStream)
		binary.LittleEndian.PutUint32(b[72:], noStream)
		binary.LittleEndian.PutUint32(b[76:], noStream)
		binary.LittleEndian.PutUint32(b[116:], e.start)
		binary.LittleEndian.PutUint32(b[120:], uint32(len(e.data)))
		dir.Write(b[:])
	}
	// Children hang off their parent as a chain of right siblings.
	raw := dir.Bytes()
	for i, e := range entries {
		if len(e.children) == 0 {
			continue
		}
		binary.LittleEndian.PutUint32(raw[i*128+76:], uint32(e.children[0]))
		for k := 0; k+1 < len(e.children); k++ {
			binary.LittleEndian.PutUint32(raw[e.children[k]*128+72:], uint32(e.children[k+1]))
		}
	}
	raw = append(raw, make([]byte, dirSectors*512-len(raw))...)
	for i := len(entries); i < dirSectors*4; i++ {
		for _, off := range []int{68, 72, 76} {
			binary.LittleEndian.PutUint32(raw[i*128+off:], noStream)
		}
	}
	out.Write(raw)
	mf := make([]uint32, miniFATSectors*128)
	for i := range mf {
		mf[i] = free
	}
	copy(mf, miniFAT)
	for _, w := range mf {
		le(w)
	}
	out.Write(mini)
	out.Write(make([]byte, miniSectors*512-len(mini)))
	return out.Bytes()
}

func utf16LE(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return append(b, 0, 0)
}

// msgOf builds an Outlook message with the MAPI properties Outlook writes
// for sender, recipients, subject, submit time, body and one attachment.
func msgOf(t testing.TB, sent time.Time) []byte {
	props := make([]byte, 32)
	ft := uint64(sent.Unix())*10000000 + 116444736000000000
	props = binary.LittleEndian.AppendUint32(props, 0x00390040)
	props = binary.LittleEndian.AppendUint32(props, 6)
	props = binary.LittleEndian.AppendUint64(props, ft)
	return cfbOf(t, map[string][]byte{
		"__properties_version1.0":                            props,
		"__nameid_version1.0/__substg1.0_00020102":           {},
		"__substg1.0_0037001F":                               utf16LE("Đề nghị cấp phép"),
		"__substg1.0_0C1A001F":                               utf16LE("Nguyễn Văn An"),
		"__substg1.0_5D01001F":                               utf16LE("an@example.vn"),
		"__substg1.0_0E04001F":                               utf16LE("Phòng Tư pháp"),
		"__substg1.0_1000001F":                               utf16LE("Kính gửi Phòng Tư pháp,\r\nxin gửi hồ sơ đính kèm."),
		"__attach_version1.0_#00000000/__substg1.0_3707001F": utf16LE("ho-so.txt"),
		"__attach_version1.0_#00000000/__substg1.0_37010102": []byte("Đơn đề nghị cấp phép xây dựng"),
	})
}

const emlSample = "From: =?UTF-8?B?Tmd1eeG7hW4gVsSDbiBBbg==?= <an@example.vn>\r\n" +
	"To: Phong Tu phap <tuphap@example.vn>, b@example.vn\r\n" +
	"Cc: c@example.vn\r\n" +
	"Date: Tue, 5 Mar 2024 09:30:00 +0700\r\n" +
	"Subject: =?UTF-8?Q?=C4=90=E1=BB=81_ngh=E1=BB=8B_c=E1=BA=A5p_ph=C3=A9p?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=\"alt\"\r\n" +
	"\r\n" +
	"--alt\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"K=C3=ADnh g=E1=BB=ADi Ph=C3=B2ng T=C6=B0 ph=C3=A1p,\r\n" +
	"xin g=E1=BB=ADi h=E1=BB=93 s=C6=A1 =C4=91=C3=ADnh k=C3=A8m.\r\n" +
	"--alt\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"\r\n" +
	"<p>HTML copy</p>\r\n" +
	"--alt--\r\n" +
	"--outer\r\n" +
	"Content-Type: application/pdf; name=\"don.pdf\"\r\n" +
	"Content-Disposition: attachment; filename=\"=?UTF-8?Q?=C4=91=C6=A1n.pdf?=\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"JVBERi0xLjQK\r\nJSVFT0YK\r\n" +
	"--outer\r\n" +
	"Content-Type: message/rfc822\r\n" +
	"\r\n" +
	"From: x@example.vn\r\nSubject: forwarded\r\n\r\nbody\r\n" +
	"--outer--\r\n"

// TestEML: the header fields, the plain text of an alternative, and the
// attachments saved as files (an encoded name, base64 data, a forwarded
// message).
func TestEML(t *testing.T) {
	dir := t.TempDir()
	res, err := File(t.Context(), writeTemp(t, "m.eml", []byte(emlSample)), Options{AttachDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.MIME != MIMEEML {
		t.Errorf("MIME = %q", res.MIME)
	}
	want := &Message{From: "Nguyễn Văn An <an@example.vn>", To: "Phong Tu phap <tuphap@example.vn>, b@example.vn", Cc: "c@example.vn",
		Date: time.Date(2024, 3, 5, 2, 30, 0, 0, time.UTC), Subject: "Đề nghị cấp phép"}
	if diff := cmp.Diff(want, res.Message); diff != "" {
		t.Errorf("Message (-want +got):\n%s", diff)
	}
	if got := texts(res.Pages); !cmp.Equal(got, []string{"Đề nghị cấp phép\n\nKính gửi Phòng Tư pháp,\nxin gửi hồ sơ đính kèm."}) {
		t.Errorf("pages = %q", got)
	}
	var names []string
	for _, a := range res.Attachments {
		names = append(names, a.Name)
		if !strings.HasPrefix(a.Path, dir) {
			t.Errorf("attachment %s saved at %q, outside %s", a.Name, a.Path, dir)
		}
	}
	if !cmp.Equal(names, []string{"đơn.pdf", "message.eml"}) {
		t.Fatalf("attachments = %q", names)
	}
	if b, _ := os.ReadFile(res.Attachments[0].Path); string(b) != "%PDF-1.4\n%%EOF\n" {
		t.Errorf("attachment bytes = %q", b)
	}
}

// TestMSG reads an Outlook message written as Outlook lays it out.
func TestMSG(t *testing.T) {
	dir := t.TempDir()
	sent := time.Date(2024, 3, 5, 2, 30, 0, 0, time.UTC)
	res, err := File(t.Context(), writeTemp(t, "m.msg", msgOf(t, sent)), Options{AttachDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.MIME != MIMEMSG {
		t.Errorf("MIME = %q", res.MIME)
	}
	want := &Message{From: "Nguyễn Văn An <an@example.vn>", To: "Phòng Tư pháp", Date: sent, Subject: "Đề nghị cấp phép"}
	if diff := cmp.Diff(want, res.Message); diff != "" {
		t.Errorf("Message (-want +got):\n%s", diff)
	}
	if got := texts(res.Pages); !cmp.Equal(got, []string{"Đề nghị cấp phép\n\nKính gửi Phòng Tư pháp,\nxin gửi hồ sơ đính kèm."}) {
		t.Errorf("pages = %q", got)
	}
	if len(res.Attachments) != 1 || res.Attachments[0].Name != "ho-so.txt" {
		t.Fatalf("attachments = %+v", res.Attachments)
	}
	if b, _ := os.ReadFile(res.Attachments[0].Path); string(b) != "Đơn đề nghị cấp phép xây dựng" {
		t.Errorf("attachment bytes = %q", b)
	}
	// Cut short, it is damaged, not unsupported.
	b := msgOf(t, sent)
	_, err = File(t.Context(), writeTemp(t, "cut.msg", b[:len(b)-600]), Options{})
	if code := pipeline.ErrorCode(err); code != pipeline.ECORRUPT {
		t.Errorf("cut MSG: %v, want code %s", err, pipeline.ECORRUPT)
	}
}

func FuzzMail(f *testing.F) {
	f.Add([]byte(emlSample))
	f.Add(msgOf(f, time.Unix(0, 0)))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := writeTemp(t, "m", b)
		res, err := File(t.Context(), path, Options{AttachDir: t.TempDir()})
		if err != nil && pipeline.ErrorCode(err) == pipeline.EINTERNAL {
			t.Fatalf("mail: internal error %v", err)
		}
		if res != nil && len(res.Attachments) > maxAttachments {
			t.Fatalf("%d attachments", len(res.Attachments))
		}
	})
}
