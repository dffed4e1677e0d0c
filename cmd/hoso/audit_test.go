package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hoso/pipeline"
	"hoso/pipeline/sqlite"
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
			for _, want := range []string{"record 2: record 2 is missing", "was changed: its content does not match its"} {
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

// rewriteAudit rewrites the trail as someone with write access to the
// database but without the key would: the given SQL, then every hash
// recomputed as a plain chain and the head set to match.
func rewriteAudit(t *testing.T, b backend, sqls ...string) {
	t.Helper()
	for _, q := range sqls {
		execSQL(t, b, q)
	}
	f := (&Main{Getenv: b.getenv, Stderr: &strings.Builder{}}).newFlags("test")
	if _, err := f.parse(nil); err != nil {
		t.Fatal(err)
	}
	rt, err := OpenRuntime(context.Background(), f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	list, err := rt.Store.AuditList(context.Background(), pipeline.AuditListParams{Limit: 100000})
	rt.Close()
	if err != nil {
		t.Fatal(err)
	}
	prev := ""
	for _, r := range list {
		r.PrevHash = prev
		r.Hash = r.ComputeHash()
		execSQL(t, b, fmt.Sprintf(`UPDATE audit_log SET prev_hash = '%s', hash = '%s', chain_version = 1 WHERE seq = %d`, r.PrevHash, r.Hash, r.Seq))
		prev = r.Hash
	}
	execSQL(t, b, fmt.Sprintf(`UPDATE audit_head SET seq = %d, hash = '%s', key_id = ''`, len(list), prev))
}

// TestAuditRewriteDetected replays the review's attack: a record's user
// changed, four records deleted and the rest renumbered, the chain and
// head recomputed. With the plain chain, verify called that intact; the
// keyed chain and a checkpoint kept elsewhere show it.
func TestAuditRewriteDetected(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			for i := range 10 {
				if _, errs, code := run(t, b, "departments", "add", fmt.Sprintf("dep%d", i)); code != 0 {
					t.Fatal(errs)
				}
			}
			if fi, err := os.Stat(filepath.Join(b.env["HOSO_DATA"], "audit.key")); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("audit key file: %v %v", fi, err)
			}
			cpFile := filepath.Join(t.TempDir(), "checkpoint.json")
			if _, errs, code := run(t, b, "audit", "checkpoint", "--out", cpFile); code != 0 {
				t.Fatalf("checkpoint: %s", errs)
			}
			if out, errs, code := run(t, b, "audit", "verify", "--checkpoint", cpFile); code != 0 || !strings.Contains(out, "The checkpoint of") {
				t.Fatalf("verify against a fresh checkpoint: exit %d %s %s", code, out, errs)
			}
			// Without the checkpoint: the key alone shows the rewrite.
			rewriteAudit(t, b, `UPDATE audit_log SET user_name = 'someone' WHERE seq = 2`,
				`DELETE FROM audit_log WHERE seq BETWEEN 4 AND 7`,
				`UPDATE audit_log SET seq = -seq WHERE seq > 7`,
				`UPDATE audit_log SET seq = -seq - 4 WHERE seq < 0`)
			out, errs, code := run(t, b, "audit", "verify")
			if code != 1 || !strings.Contains(errs, "tampered") || !strings.Contains(out, "rewritten without the key") {
				t.Fatalf("verify after a rewrite: exit %d\n%s\n%s", code, out, errs)
			}
			out, _, code = run(t, b, "audit", "verify", "--checkpoint", cpFile)
			if code != 1 || !strings.Contains(out, "the checkpoint of") {
				t.Errorf("verify --checkpoint after a rewrite: exit %d\n%s", code, out)
			}
			// A forged checkpoint (its seq changed) is refused.
			var cp pipeline.AuditCheckpoint
			raw, _ := os.ReadFile(cpFile)
			json.Unmarshal(raw, &cp)
			cp.Seq = 7
			raw, _ = json.Marshal(cp)
			os.WriteFile(cpFile, raw, 0o644)
			if _, errs, code := run(t, b, "audit", "verify", "--checkpoint", cpFile); code != 1 || !strings.Contains(errs, "signature is not valid") {
				t.Errorf("verify with a forged checkpoint: exit %d %s", code, errs)
			}
		})
	}
}

// TestAuditTailRemovalNeedsCheckpoint: removing the newest records and
// moving the head back cannot be seen from the database and the key alone;
// the checkpoint shows it.
func TestAuditTailRemovalNeedsCheckpoint(t *testing.T) {
	b := backends(t)[0]
	for i := range 4 {
		if _, errs, code := run(t, b, "departments", "add", fmt.Sprintf("dep%d", i)); code != 0 {
			t.Fatal(errs)
		}
	}
	cpFile := filepath.Join(t.TempDir(), "checkpoint.json")
	if _, errs, code := run(t, b, "audit", "checkpoint", "--out", cpFile); code != 0 {
		t.Fatalf("checkpoint: %s", errs)
	}
	execSQL(t, b, `DELETE FROM audit_log WHERE seq > 3`)
	execSQL(t, b, `UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3)`)
	if out, _, code := run(t, b, "audit", "verify", "--checkpoint", cpFile); code != 1 || !strings.Contains(out, "records were removed") {
		t.Errorf("verify --checkpoint after removing the tail: exit %d\n%s", code, out)
	}
}

// TestCommandLineAudited: reads of the archive from the terminal leave
// records as reads from the pages do: processing (an upload), hoso export
// --text (every text of the archive) and hoso search.
func TestCommandLineAudited(t *testing.T) {
	b := backends(t)[0]
	if _, errs, code := run(t, b, "process", filepath.Join("testdata", "fixtures")); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := run(t, b, "export", "--text"); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := run(t, b, "search", "phép"); code != 0 {
		t.Fatal(errs)
	}
	out, _, _ := run(t, b, "audit", "export")
	for _, want := range []string{`"action":"upload"`, `"action":"export","object":"export","detail":"{\"flags\":false,\"text\":true}"`, `"action":"search","object":"search","detail":"{\"hits\":`} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %s:\n%s", want, out)
		}
	}
}

// TestAuditUpgradeKeepsOldRecords: a trail written before the audit key
// (plain SHA-256 records) still verifies, is said to be plain, and the
// keyed records continue it.
func TestAuditUpgradeKeepsOldRecords(t *testing.T) {
	b := backends(t)[0]
	ctx := context.Background()
	st, _, err := sqlite.OpenStore(ctx, filepath.Join(b.env["HOSO_DATA"], "hoso.db"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := st.AuditAppend(ctx, &pipeline.AuditRecord{UserName: "lan", Action: pipeline.AuditView, Object: fmt.Sprintf("document:%d", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if _, errs, code := run(t, b, "departments", "add", "archive"); code != 0 {
		t.Fatal(errs)
	}
	out, errs, code := run(t, b, "audit", "verify")
	if code != 0 || !strings.Contains(out, "intact: 4 records") || !strings.Contains(out, "Records 1 to 3 were written before the audit key") {
		t.Fatalf("verify after the upgrade: exit %d\n%s%s", code, out, errs)
	}
	key, _ := os.ReadFile(filepath.Join(b.env["HOSO_DATA"], "audit.key"))
	if !strings.Contains(string(key), "plain-records 3") {
		t.Errorf("the key file does not record the plain records:\n%s", key)
	}
}
