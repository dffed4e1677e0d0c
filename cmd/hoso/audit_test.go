package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// execSQL changes the backend's database behind hoso's back, as someone
// with access to the database files could.
func execSQL(t *testing.T, b backend, sql string) {
	t.Helper()
	f := (&Main{Getenv: b.getenv, Stderr: &strings.Builder{}}).newFlags("test")
	if _, err := f.parse(nil); err != nil {
		t.Fatal(err)
	}
	rt, err := OpenRuntime(context.Background(), f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if _, err := rt.Store.DB().Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

// TestAuditVerify builds a real trail through the commands and the served
// API, verifies it, then changes and removes records and checks that
// hoso audit verify names them.
func TestAuditVerify(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			if _, errs, code := run(t, b, "process", filepath.Join("testdata", "fixtures")); code != 0 {
				t.Fatal(errs)
			}
			if _, errs, code := run(t, b, "users", "add", "--name", "lan", "--role", "officer", "--department", "land,tax"); code != 0 {
				t.Fatal(errs)
			}
			base := serveTest(t, b)
			for _, path := range []string{"/api/v1/search?q=phép", "/api/v1/documents/1", "/api/v1/documents/1/original"} {
				resp := get(t, base+path)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("GET %s: %d", path, resp.StatusCode)
				}
			}
			out, errs, code := run(t, b, "audit", "verify")
			if code != 0 || !strings.Contains(out, "The audit trail is intact") {
				t.Fatalf("verify on a real trail: exit %d %s %s", code, out, errs)
			}
			out, _, _ = run(t, b, "audit", "export", "--action", "search")
			if !strings.Contains(out, `"action":"search"`) || !strings.Contains(out, "phép") {
				t.Errorf("export of searches: %s", out)
			}

			execSQL(t, b, `UPDATE audit_log SET detail = '{"q":"something else"}' WHERE action = 'search'`)
			execSQL(t, b, `DELETE FROM audit_log WHERE seq = 2`)
			out, errs, code = run(t, b, "audit", "verify")
			if code != 1 || !strings.Contains(errs, "tampered") {
				t.Fatalf("verify after tampering: exit %d %s", code, errs)
			}
			for _, want := range []string{"record 2: record 2 is missing", "was changed: its content does not match its hash"} {
				if !strings.Contains(out, want) {
					t.Errorf("verify output lacks %q:\n%s", want, out)
				}
			}
			// Removing the newest record shows too: the head remembers it.
			execSQL(t, b, `DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)`)
			out, _, _ = run(t, b, "audit", "verify")
			if !strings.Contains(out, "the newest records were removed") {
				t.Errorf("verify after removing the newest record:\n%s", out)
			}
		})
	}
}
