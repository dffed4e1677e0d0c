package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const modelTestRules = `
name: model test rules
types:
  - {id: tax, name: Tax}
  - {id: permit, name: Permit}
rules:
  - {id: tax-header, type: tax, all: ["MẪU THUẾ"]}
  - {id: permit-header, type: permit, all: ["MẪU PHÉP"]}
`

// TestModelCommands: rules type documents, hoso model train learns from
// them, a document no rule claims takes the model's type (in the export,
// with its probability and model version), HOSO_MODEL=off keeps it
// unclassified, and hoso rules propose drafts a rule from the decisions.
func TestModelCommands(t *testing.T) {
	b := backends(t)[0]
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte(modelTestRules), 0o600)
	typed, bare, bare2 := filepath.Join(dir, "typed"), filepath.Join(dir, "bare"), filepath.Join(dir, "bare2")
	for _, d := range []string{typed, bare, bare2} {
		os.Mkdir(d, 0o700)
	}
	tax := "Tờ khai thuế giá trị gia tăng, hóa đơn bán hàng, số thuế phải nộp kỳ %d, mã số thuế doanh nghiệp."
	permit := "Giấy phép xây dựng công trình nhà ở, diện tích sàn, chiều cao tầng, bản vẽ thiết kế số %d."
	for i := range 10 {
		os.WriteFile(filepath.Join(typed, fmt.Sprintf("tax%d.txt", i)), []byte("MẪU THUẾ\n"+fmt.Sprintf(tax, i)), 0o600)
		os.WriteFile(filepath.Join(typed, fmt.Sprintf("permit%d.txt", i)), []byte("MẪU PHÉP\n"+fmt.Sprintf(permit, i)), 0o600)
	}
	os.WriteFile(filepath.Join(bare, "a.txt"), []byte(fmt.Sprintf(tax, 42)), 0o600)
	os.WriteFile(filepath.Join(bare2, "b.txt"), []byte(fmt.Sprintf(tax, 43)), 0o600)

	if _, errs, code := run(t, b, "model", "train"); code != 1 || !strings.Contains(errs, "at least two kinds") {
		t.Errorf("model train on an empty archive: exit %d %s", code, errs)
	}
	for _, args := range [][]string{{"rules", "load", rules}, {"process", typed}} {
		if _, errs, code := run(t, b, args...); code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, errs)
		}
	}
	out, errs, code := run(t, b, "model", "train")
	if code != 0 || !strings.Contains(out, "trained on 20 documents") || !strings.Contains(errs, "Training: pass 12 of 12") {
		t.Fatalf("model train: exit %d\n%s\n%s", code, out, errs)
	}
	var version int
	fmt.Sscanf(out, "Model version %d", &version)
	if out, _, _ := run(t, b, "model", "list"); !strings.Contains(out, "(in force)") {
		t.Errorf("model list:\n%s", out)
	}
	if _, errs, code := run(t, b, "process", bare); code != 0 {
		t.Fatal(errs)
	}
	off := backend{name: b.name, env: maps.Clone(b.env)}
	off.env["HOSO_MODEL"] = "off"
	if _, errs, code := run(t, off, "process", bare2); code != 0 {
		t.Fatal(errs)
	}
	rows := exportRows(t, b)
	if len(rows) != 22 {
		t.Fatalf("%d exported documents, want 22", len(rows))
	}
	first, got, offRow := rows[0], rows[20], rows[21]
	if first["type_source"] != "rule" || first["type_confidence"] != nil {
		t.Errorf("a rule's document: type_source %v, type_confidence %v", first["type_source"], first["type_confidence"])
	}
	if got["type"] != "tax" || got["type_source"] != "model" || got["model_version"] != float64(version) || got["type_confidence"].(float64) < 0.8 {
		t.Errorf("the model's document: type %v from %v, confidence %v, model %v (want %d)", got["type"], got["type_source"], got["type_confidence"], got["model_version"], version)
	}
	if offRow["type"] != "unclassified" || offRow["suggestion"] != nil {
		t.Errorf("with HOSO_MODEL=off: type %v, suggestion %v", offRow["type"], offRow["suggestion"])
	}
	out, errs, code = run(t, b, "rules", "propose", "--type", "tax", "--body")
	if code != 0 || !strings.Contains(out, "id: tax-proposed") || !strings.Contains(out, "exact: true}") || !strings.Contains(out, "matches 10 of the 10 tax documents and 0 of the 10 others") {
		t.Errorf("rules propose: exit %d\n%s\n%s", code, out, errs)
	}
	if _, errs, code := run(t, b, "rules", "propose", "--type", "nothing"); code != 1 || !strings.Contains(errs, "No document of type") {
		t.Errorf("rules propose for a type with no documents: exit %d %s", code, errs)
	}
}
