package main

import (
	"os"
	"path/filepath"
	"testing"
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
			fields := map[string]any{}
			for _, f := range mail["fields"].([]any) {
				f := f.(map[string]any)
				fields[f["name"].(string)] = f["value"]
			}
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
