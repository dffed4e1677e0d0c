package extract

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hoso/internal/fixture"
	"hoso/pipeline"
)

// msgOf builds an Outlook message with the MAPI properties Outlook writes
// for sender, recipients, subject, submit time, body and one attachment.
func msgOf(sent time.Time) []byte {
	return fixture.MSG("Nguyễn Văn An", "an@example.vn", "Phòng Tư pháp", "Đề nghị cấp phép", "Kính gửi Phòng Tư pháp,\r\nxin gửi hồ sơ đính kèm.", sent,
		fixture.Attachment{Name: "ho-so.txt", Data: []byte("Đơn đề nghị cấp phép xây dựng")})
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
	res, err := File(t.Context(), writeTemp(t, "m.msg", msgOf(sent)), Options{AttachDir: dir})
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
	b := msgOf(sent)
	_, err = File(t.Context(), writeTemp(t, "cut.msg", b[:len(b)-600]), Options{})
	if code := pipeline.ErrorCode(err); code != pipeline.ECORRUPT {
		t.Errorf("cut MSG: %v, want code %s", err, pipeline.ECORRUPT)
	}
}

func FuzzMail(f *testing.F) {
	f.Add([]byte(emlSample))
	f.Add(msgOf(time.Unix(0, 0)))
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
