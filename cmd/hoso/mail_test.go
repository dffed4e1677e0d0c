package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hoso/internal/fixture"
	"hoso/pipeline"
)

// TestProcessEmail: `hoso process` reads an e-mail, its attachment becomes
// a document of the batch, and the export links it to the e-mail
// (parent_id) and gives the e-mail's header as fields.
func TestProcessEmail(t *testing.T) {
	dir := t.TempDir()
	const eml = "From: An <an@example.vn>\r\nTo: tuphap@example.vn\r\nDate: Tue, 5 Mar 2024 09:30:00 +0700\r\nSubject: Don de nghi\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nKinh gui phong Tu phap, xin gui don kem theo.\r\n" +
		"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"don.txt\"\r\n\r\nDON DE NGHI cap ban sao tu so goc\r\n--b--\r\n"
	if err := os.WriteFile(filepath.Join(dir, "thu.eml"), []byte(eml), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			if _, errs, code := run(t, b, "process", "--json", "--batch", "mail", dir); code != 0 {
				t.Fatalf("process exit %d: %s", code, errs)
			}
			rows := exportRows(t, b)
			if len(rows) != 2 {
				t.Fatalf("%d export rows, want the e-mail and its attachment: %v", len(rows), rows)
			}
			mail, att := rows[0], rows[1]
			if mail["parent_id"] != nil || att["parent_id"] != mail["id"] || att["path"] != filepath.Base(dir)+"/thu.eml/don.txt" {
				t.Errorf("parent_id: e-mail %v, attachment %v (path %v), want the attachment's to be %v", mail["parent_id"], att["parent_id"], att["path"], mail["id"])
			}
			fields := exportFields(mail)
			want := map[string]any{"mail_from": "An <an@example.vn>", "mail_to": "tuphap@example.vn", "mail_date": "2024-03-05", "mail_subject": "Don de nghi"}
			for k, v := range want {
				if fields[k] != v {
					t.Errorf("field %s = %v, want %v", k, fields[k], v)
				}
			}
			for _, r := range rows {
				if r["state"] != "indexed" {
					t.Errorf("%s: state %v (%v)", r["path"], r["state"], r["error"])
				}
			}
		})
	}
}

// TestProcessEmailArchive: an archive attached to an e-mail is unpacked
// as an uploaded one is, end to end: each of its files (a ZIP inside it
// too) becomes a document of the batch, linked to the e-mail, under
// <mail>/<zip>/<member>; a zip-slip entry, a zip bomb and an archive
// nested too deep are refused by name with their reasons, and nothing is
// lost.
func TestProcessEmailArchive(t *testing.T) {
	inner := fixture.Zip("bien-ban.txt", "BIEN BAN hop ban giao ho so dat dai")
	deep := fixture.Zip("l2.zip", string(fixture.Zip("x.txt", "too deep")))
	zip := fixture.Zip(
		"don.txt", "DON DE NGHI cap ban sao tu so goc",
		"ho-so/to-trinh.txt", "TO TRINH ve viec cap giay phep xay dung",
		"../../evil.txt", "This file tries to escape the archive.",
		"zeros.zip", string(fixture.ZipBomb()),
		"inner.zip", string(inner),
		"deep.zip", string(deep),
	)
	tgz := fixture.Tar("ghi-chu.txt", "GHI CHU cua can bo mot cua")
	eml := "From: An <an@example.vn>\r\nTo: tuphap@example.vn\r\nSubject: Ho so\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nXin gui ho so kem theo.\r\n" +
		attachment("ho-so.zip", "application/zip", zip) + attachment("ghi-chu.tar", "application/x-tar", tgz) + "--b--\r\n"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "thu.eml"), []byte(eml), 0o600); err != nil {
		t.Fatal(err)
	}
	top := filepath.Base(dir) + "/thu.eml"
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			sum := processJSON(t, b, "mail", dir)
			rows := exportRows(t, b, "--text")
			var mailID any
			docs := map[string]map[string]any{}
			for _, r := range rows {
				docs[r["path"].(string)] = r
				if r["path"] == top {
					mailID = r["id"]
				}
			}
			wantDocs := map[string]string{
				top + "/ho-so.zip/don.txt":                "DON DE NGHI",
				top + "/ho-so.zip/ho-so/to-trinh.txt":     "TO TRINH",
				top + "/ho-so.zip/inner.zip/bien-ban.txt": "BIEN BAN",
				top + "/ghi-chu.tar/ghi-chu.txt":          "GHI CHU",
			}
			if len(rows) != len(wantDocs)+1 || mailID == nil {
				t.Errorf("%d documents, want the e-mail and %d files: %v", len(rows), len(wantDocs), keys(docs))
			}
			for p, text := range wantDocs {
				r, ok := docs[p]
				if !ok {
					t.Errorf("%s is not a document (have %v)", p, keys(docs))
					continue
				}
				if r["parent_id"] != mailID || r["state"] != "indexed" || !strings.Contains(fmt.Sprint(r["text"]), text) {
					t.Errorf("%s: parent %v (want the e-mail %v), state %v, text %q", p, r["parent_id"], mailID, r["state"], r["text"])
				}
			}
			refused := map[string]string{}
			for _, r := range sum.Rejections {
				refused[r.Path] = r.Code
				if r.Reason == "" {
					t.Errorf("%s refused without a reason", r.Path)
				}
			}
			wantRefused := map[string]string{
				top + "/ho-so.zip/../../evil.txt":      pipeline.EUNSAFE,
				top + "/ho-so.zip/zeros.zip/zeros.txt": pipeline.EUNSAFE,
				top + "/ho-so.zip/deep.zip/l2.zip":     pipeline.EUNSAFE,
			}
			if !maps.Equal(refused, wantRefused) {
				t.Errorf("refused %v, want %v", refused, wantRefused)
			}
			if sum.Rejected != len(wantRefused) {
				t.Errorf("summary: %d refused, want %d", sum.Rejected, len(wantRefused))
			}
		})
	}
}

// attachment is one MIME part of a multipart/mixed message with boundary
// b, carrying body in base64.
func attachment(name, ctype string, body []byte) string {
	enc := base64.StdEncoding.EncodeToString(body)
	var lines strings.Builder
	for len(enc) > 76 {
		lines.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	lines.WriteString(enc + "\r\n")
	return "--b\r\nContent-Type: " + ctype + "\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + lines.String()
}

func keys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// TestProcessOutlookMessage: an Outlook message (.msg) goes through the
// pipeline as an e-mail does: its header becomes fields, its attachments
// documents of the batch linked to it, a ZIP among them unpacked (a
// zip-slip member refused), each through the pipeline on its own.
func TestProcessOutlookMessage(t *testing.T) {
	zip := fixture.Zip(
		"don.txt", "DON DE NGHI cap giay phep xay dung",
		"../thoat.txt", "This file tries to escape the archive.",
	)
	msg := fixture.MSG("Nguyễn Văn An", "an@example.vn", "Phòng Tư pháp", "Hồ sơ xin phép", "Kính gửi Phòng Tư pháp,\r\nxin gửi hồ sơ đính kèm.",
		time.Date(2024, 3, 5, 2, 30, 0, 0, time.UTC),
		fixture.Attachment{Name: "to-trinh.txt", Data: []byte("TO TRINH ve viec cap phep")},
		fixture.Attachment{Name: "ho-so.zip", Data: zip})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "thu.msg"), msg, 0o600); err != nil {
		t.Fatal(err)
	}
	top := filepath.Base(dir) + "/thu.msg"
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			sum := processJSON(t, b, "outlook", dir)
			docs := map[string]map[string]any{}
			for _, r := range exportRows(t, b, "--text") {
				docs[r["path"].(string)] = r
			}
			mail, ok := docs[top]
			if !ok || len(docs) != 3 {
				t.Fatalf("documents %v, want the message and two attachments", keys(docs))
			}
			fields := exportFields(mail)
			want := map[string]any{"mail_from": "Nguyễn Văn An <an@example.vn>", "mail_to": "Phòng Tư pháp", "mail_date": "2024-03-05", "mail_subject": "Hồ sơ xin phép"}
			for k, v := range want {
				if fields[k] != v {
					t.Errorf("field %s = %v, want %v", k, fields[k], v)
				}
			}
			for p, text := range map[string]string{top: "xin gửi hồ sơ", top + "/to-trinh.txt": "TO TRINH", top + "/ho-so.zip/don.txt": "DON DE NGHI"} {
				r, ok := docs[p]
				if !ok {
					t.Errorf("%s is not a document (have %v)", p, keys(docs))
					continue
				}
				if r["state"] != "indexed" || !strings.Contains(fmt.Sprint(r["text"]), text) {
					t.Errorf("%s: state %v (%v), text %q", p, r["state"], r["error"], r["text"])
				}
				if p != top && r["parent_id"] != mail["id"] {
					t.Errorf("%s: parent %v, want the message %v", p, r["parent_id"], mail["id"])
				}
			}
			if len(sum.Rejections) != 1 || sum.Rejections[0].Path != top+"/ho-so.zip/../thoat.txt" || sum.Rejections[0].Code != pipeline.EUNSAFE {
				t.Errorf("refused %+v, want the zip-slip member", sum.Rejections)
			}
		})
	}
}

// processJSON runs hoso process on dir as one batch and returns the
// summary it prints as JSON.
func processJSON(t *testing.T, b backend, batch, dir string) summary {
	t.Helper()
	out, errs, code := run(t, b, "process", "--json", "--batch", batch, dir)
	if code != 0 {
		t.Fatalf("process exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var sum summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	return sum
}

// exportFields gives an export row's fields by name.
func exportFields(row map[string]any) map[string]any {
	fields := map[string]any{}
	for _, f := range row["fields"].([]any) {
		f := f.(map[string]any)
		fields[f["name"].(string)] = f["value"]
	}
	return fields
}
