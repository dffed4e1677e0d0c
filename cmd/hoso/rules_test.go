package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRulesCommands(t *testing.T) {
	b := backends(t)[0]
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("types:\n  - {id: a}\nrules:\n  - id: r\n    type: b\n    all: [{regex: '('}]\n"), 0o600)
	_, errs, code := run(t, b, "rules", "check", bad)
	if code != 1 || !strings.Contains(errs, bad+`:4: rule "r" names type "b"`) || !strings.Contains(errs, bad+":6:") {
		t.Errorf("rules check on a bad file: exit %d\n%s", code, errs)
	}

	// A first document, classified with the built-in rules.
	if _, errs, code := run(t, b, "process", filepath.Join("testdata", "fixtures", "meeting-minutes.pdf")); code != 0 {
		t.Fatal(errs)
	}
	out, errs, code := run(t, b, "rules", "default")
	if code != 0 {
		t.Fatalf("rules default: exit %d %s", code, errs)
	}
	good := filepath.Join(dir, "rules.yaml")
	os.WriteFile(good, []byte(out), 0o600)
	out, errs, code = run(t, b, "rules", "check", good)
	if code != 0 || !strings.Contains(out, "no problems") {
		t.Errorf("rules check on the default rules: exit %d %s %s", code, out, errs)
	}
	out, errs, code = run(t, b, "rules", "load", good)
	if code != 0 || !strings.Contains(out, "as rule set version 1") {
		t.Fatalf("rules load: exit %d %s %s", code, out, errs)
	}
	out, _, _ = run(t, b, "rules", "load", good)
	if !strings.Contains(out, "same as version 1") {
		t.Errorf("loading the same file again: %s", out)
	}
	// A supervisor's change: minutes go to a department of their own.
	os.WriteFile(good, []byte(strings.Replace(string(mustReadFile(t, good)), "  - id: minutes-heading\n    type: minutes\n", "  - id: minutes-heading\n    type: minutes\n    department: secretariat\n", 1)), 0o600)
	out, _, _ = run(t, b, "rules", "load", good)
	if !strings.Contains(out, "version 2") {
		t.Errorf("loading a changed file: %s", out)
	}
	out, _, _ = run(t, b, "rules", "list")
	if !strings.Contains(out, "   2  ") || !strings.Contains(out, "(in force)") {
		t.Errorf("rules list:\n%s", out)
	}

	// Documents processed now use version 2.
	_, errs, code = run(t, b, "process", filepath.Join("testdata", "fixtures", "meeting-minutes.pdf"))
	if code != 0 {
		t.Fatal(errs)
	}
	rows := exportRows(t, b)
	if len(rows) != 2 || rows[1]["department"] != "secretariat" || rows[1]["rule_set_version"].(float64) != 2 {
		t.Errorf("processed with version 2: %v", rows[1])
	}
	// The document processed before the change follows it once reclassified.
	if rows[0]["department"] != "administration" || rows[0]["rule_set_version"].(float64) != 0 {
		t.Errorf("processed with the built-in rules: %v", rows[0])
	}
	out, errs, code = run(t, b, "reclassify", "--type", "minutes")
	if code != 0 || !strings.Contains(out, "Reclassified 2 documents; 0 changed type") {
		t.Errorf("reclassify: exit %d\n%s%s", code, out, errs)
	}
	rows = exportRows(t, b)
	if rows[0]["department"] != "secretariat" || rows[0]["rule_set_version"].(float64) != 2 || rows[0]["state"] != "indexed" {
		t.Errorf("after reclassify: %v", rows[0])
	}
	out, _, _ = run(t, b, "search", "--json", "department:secretariat")
	if !strings.Contains(out, `"total": 2`) {
		t.Errorf("the index does not show the new department:\n%s", out)
	}
	out, errs, code = run(t, b, "rules", "test", "default", "1", filepath.Join("testdata", "fixtures", "quyet-dinh.html"))
	if code != 0 || !strings.Contains(out, "1: minutes, department administration") || !strings.Contains(out, "quyet-dinh.html: decision") ||
		!strings.Contains(out, `field number (reference) = "56/2024/QĐ-UBND"`) {
		t.Errorf("rules test: exit %d\n%s%s", code, out, errs)
	}
}

func mustReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSearchCommand(t *testing.T) {
	b := backends(t)[0]
	if _, errs, code := run(t, b, "process", filepath.Join("testdata", "fixtures")); code != 0 {
		t.Fatal(errs)
	}
	// Ranked: the one document with all four words first, with them
	// marked; then, since fewer than ten hold two of them, documents that
	// hold one, with the words they lack.
	out, errs, code := run(t, b, "search", "quyen", "su", "dung", "dat")
	first := strings.Index(out, "cong-van-windows-1258.txt")
	if code != 0 || first < 0 || !strings.Contains(out, "«quyền» «sử» «dụng» «đất»") || !strings.Contains(out, "those holding at least 1 of them are shown too") ||
		!strings.Contains(out, "missing: su, dung, dat") || strings.Index(out, "missing:") < first {
		t.Errorf("search: exit %d\n%s%s", code, out, errs)
	}
	out, errs, code = run(t, b, "search", "--all", "quyen", "su", "dung", "dat")
	if code != 0 || !strings.Contains(out, "1 documents found") || !strings.Contains(out, "cong-van-windows-1258.txt") {
		t.Errorf("search --all: exit %d\n%s%s", code, out, errs)
	}
	// Identifiers: found by the detect stage, exported, searchable in any
	// spelling of the same number.
	rows := exportRows(t, b)
	var ids []any
	for _, r := range rows {
		if r["filename"] == "don-de-nghi-cap-phep.txt" {
			ids, _ = r["identifiers"].([]any)
		}
	}
	if len(ids) != 2 || ids[0].(map[string]any)["value"] != "001185012345" || ids[1].(map[string]any)["value"] != "+84912345678" {
		t.Errorf("identifiers of the application: %v", ids)
	}
	for _, q := range []string{"+84912345678", "0912345678"} {
		out, _, _ = run(t, b, "search", "--json", q)
		if !strings.Contains(out, "don-de-nghi-cap-phep.txt") {
			t.Errorf("search %s does not find the application:\n%s", q, out)
		}
	}
	out, _, code = run(t, b, "search", "--json", "--type", "contract", "12.500.000")
	if code != 0 || !strings.Contains(out, `"filename": "hop-dong-thue-nha.odt"`) || !strings.Contains(out, `"highlights"`) {
		t.Errorf("search --json:\n%s", out)
	}
}

func TestReindexCommand(t *testing.T) {
	b := backends(t)[0]
	if _, errs, code := run(t, b, "process", filepath.Join("testdata", "fixtures")); code != 0 {
		t.Fatal(errs)
	}
	out, errs, code := run(t, b, "reindex")
	if code != 0 || !strings.Contains(out, "Reindexed 10 documents into generation 2") {
		t.Fatalf("reindex: exit %d %s %s", code, out, errs)
	}
	// With a server holding the index, the command asks the server.
	base := serveTest(t, b)
	out, errs, code = run(t, b, "reindex", "--server", base, "--token", adminToken(base))
	if code != 0 || !strings.Contains(out, "Reindexed 10 documents into generation 3") {
		t.Fatalf("reindex through the server: exit %d %s %s", code, out, errs)
	}
	out, _, _ = run(t, b, "search", "--server", base, "--json", `"Nguyễn Thị Hương"`)
	// The exact form first, the unaccented English form after it.
	if !strings.Contains(out, `"total": 2`) || strings.Index(out, "don-de-nghi-cap-phep.txt") > strings.Index(out, "permit-application.pdf") {
		t.Errorf("search after reindex:\n%s", out)
	}
}
