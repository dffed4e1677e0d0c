package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hoso/detect/sample"
)

// TestPlantedPatterns runs hoso process on a generated archive: forty
// applications on one form by different people, then a second batch that
// plants one of each pattern — an application filed again re-dated and
// once more as a poor scan, a file uploaded twice, one phone number behind
// three applicants in two batches, a red-flag phrase. Every planted
// pattern is flagged once, as one cluster; the forty honest applications
// raise nothing.
func TestPlantedPatterns(t *testing.T) {
	b := backends(t)[0]
	r := rand.New(rand.NewPCG(11, 12))
	dir := t.TempDir()
	write := func(batch, name string, paras []string) {
		p := filepath.Join(dir, batch, name)
		os.MkdirAll(filepath.Dir(p), 0o750)
		if err := os.WriteFile(p, []byte(strings.Join(paras, "\n\n")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		write("phuong-5", fmt.Sprintf("don-%02d.txt", i), sample.PermitForm(sample.NewApplicant(r)))
	}
	shared := sample.NewApplicant(r)
	shared.Phone = "0912 345 678"
	write("phuong-5", "don-sdt-1.txt", sample.PermitForm(shared))

	planted := sample.NewApplicant(r)
	write("phuong-7", "don-goc.txt", sample.PermitForm(planted))
	write("phuong-7", "don-ghi-lai-ngay.txt", sample.PermitForm(sample.Redate(r, planted)))
	write("phuong-7", "don-ban-quet.txt", strings.Split(sample.OCRNoise(r, strings.Join(sample.Reorder(sample.PermitForm(planted)), "\n\n")), "\n\n"))
	twice := sample.PermitForm(sample.NewApplicant(r))
	write("phuong-7", "ho-so-a.txt", twice)
	write("phuong-7", "ho-so-a-ban-sao.txt", twice)
	for i := range 2 {
		a := sample.NewApplicant(r)
		a.Phone = "+84 912 345 678"
		write("phuong-7", fmt.Sprintf("don-sdt-%d.txt", i+2), sample.PermitForm(a))
	}
	bribe := sample.PermitForm(sample.NewApplicant(r))
	bribe = append(bribe, "Ghi chú: cán bộ tiếp nhận yêu cầu chuyển tiền vào tài khoản cá nhân để được giải quyết nhanh.")
	write("phuong-7", "don-phi.txt", bribe)

	for _, batch := range []string{"phuong-5", "phuong-7"} {
		if _, errs, code := run(t, b, "process", "--batch", batch, filepath.Join(dir, batch)); code != 0 {
			t.Fatal(errs)
		}
	}
	out, errs, code := run(t, b, "export")
	if code != 0 {
		t.Fatal(errs)
	}
	names := map[float64]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var d map[string]any
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatal(err)
		}
		names[d["id"].(float64)] = d["filename"].(string)
		if d["type"] != "construction" {
			t.Errorf("%s classified as %v", d["filename"], d["type"])
		}
	}
	out, errs, code = run(t, b, "export", "--flags")
	if code != 0 {
		t.Fatal(errs)
	}
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var f map[string]any
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("flag line %q: %v", line, err)
		}
		var docs []string
		for _, e := range f["evidence"].([]any) {
			docs = append(docs, names[e.(map[string]any)["document_id"].(float64)])
		}
		slices.Sort(docs)
		got[f["kind"].(string)] = append(got[f["kind"].(string)], strings.Join(docs, " "))
	}
	want := map[string][]string{
		"near_duplicate":       {"don-ban-quet.txt don-ghi-lai-ngay.txt don-goc.txt"},
		"exact_duplicate":      {"ho-so-a-ban-sao.txt ho-so-a.txt"},
		"recurring_identifier": {"don-sdt-1.txt don-sdt-2.txt don-sdt-3.txt"},
		"red_flag":             {"don-phi.txt"},
	}
	for kind, w := range want {
		if !slices.Equal(got[kind], w) {
			t.Errorf("%s flags: %q, want %q", kind, got[kind], w)
		}
	}
	// Forty applications on a day after none are a volume spike too; the
	// periodic check (on start and every ten minutes) flags it or not
	// depending on when it runs during the batch. Volumes have tests of
	// their own (TestVolumeSpikes, TestVolumeCommand).
	delete(got, "volume_spike")
	for kind := range got {
		if _, ok := want[kind]; !ok {
			t.Errorf("unexpected %s flags: %q", kind, got[kind])
		}
	}
	// Flag kinds are searchable and a facet.
	out, errs, code = run(t, b, "search", "--json", "--facets", "flag:near_duplicate")
	if code != 0 {
		t.Fatal(errs)
	}
	var res struct {
		Total  int
		Facets map[string][]struct {
			Term  string
			Count int
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("search output: %v\n%s", err, out)
	}
	if res.Total != 3 {
		t.Errorf("flag:near_duplicate finds %d documents, want 3", res.Total)
	}
	facet := map[string]int{}
	for _, f := range res.Facets["flags"] {
		facet[f.Term] = f.Count
	}
	if facet["near_duplicate"] != 3 {
		t.Errorf("flags facet: %v", facet)
	}
}

// TestVolumeCommand: complaints arrive about one a day for four weeks,
// then fourteen in one day; hoso volume flags that day once, with its
// documents, and a second run adds nothing.
func TestVolumeCommand(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(21, 22))
			dir := t.TempDir()
			for i := range 42 {
				p := filepath.Join(dir, fmt.Sprintf("khieu-nai-%02d.txt", i))
				if err := os.WriteFile(p, []byte(strings.Join(sample.Complaint(sample.NewApplicant(r)), "\n\n")), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if _, errs, code := run(t, b, "process", dir); code != 0 {
				t.Fatal(errs)
			}
			// Spread the first 28 over the four weeks before today.
			for i := 1; i <= 28; i++ {
				q := fmt.Sprintf("UPDATE document SET created_at = created_at - INTERVAL '%d days' WHERE id = %d", i, i)
				if b.name == "sqlite" {
					q = fmt.Sprintf("UPDATE document SET created_at = datetime(substr(created_at, 1, 19), '-%d days') WHERE id = %d", i, i)
				}
				execSQL(t, b, q)
			}
			// The periodic job may have seen all 42 on one day before the
			// dates were moved: start from no volume flag.
			execSQL(t, b, "DELETE FROM flag WHERE kind = 'volume_spike'")
			out, errs, code := run(t, b, "volume", "--days", "3")
			if code != 0 {
				t.Fatal(errs)
			}
			if !strings.Contains(out, "14 documents (usual 1") || !strings.Contains(out, "1 spikes flagged") {
				t.Errorf("hoso volume:\n%s", out)
			}
			run(t, b, "volume")
			out, _, _ = run(t, b, "export", "--flags")
			if strings.Count(out, `"kind":"volume_spike"`) != 1 || strings.Count(out, "uploaded on") != 14 {
				t.Errorf("volume flags:\n%s", out)
			}
		})
	}
}

// TestRecurringWindow: an identifier counts only in documents uploaded
// within the window (180 days): an old application does not make a
// pattern with two new ones, a third new one does, without the old.
func TestRecurringWindow(t *testing.T) {
	b := backends(t)[0]
	r := rand.New(rand.NewPCG(31, 32))
	dir := t.TempDir()
	app := func(batch, name string) string {
		a := sample.NewApplicant(r)
		a.Phone = "0977 123 456"
		p := filepath.Join(dir, batch, name)
		os.MkdirAll(filepath.Dir(p), 0o750)
		if err := os.WriteFile(p, []byte(strings.Join(sample.PermitForm(a), "\n\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, batch)
	}
	if _, errs, code := run(t, b, "process", app("cu", "don-cu.txt")); code != 0 {
		t.Fatal(errs)
	}
	execSQL(t, b, "UPDATE document SET created_at = datetime(substr(created_at, 1, 19), '-200 days')")
	app("moi", "don-1.txt")
	if _, errs, code := run(t, b, "process", app("moi", "don-2.txt")); code != 0 {
		t.Fatal(errs)
	}
	out, _, _ := run(t, b, "export", "--flags")
	if strings.Contains(out, "recurring_identifier") {
		t.Fatalf("an application 200 days old counted:\n%s", out)
	}
	if _, errs, code := run(t, b, "process", app("sau", "don-3.txt")); code != 0 {
		t.Fatal(errs)
	}
	out, _, _ = run(t, b, "export", "--flags")
	if strings.Count(out, "recurring_identifier") != 1 || strings.Contains(out, `"document_id":1,`) || !strings.Contains(out, "3 documents from 2 batches") {
		t.Errorf("after a third new application:\n%s", out)
	}
}
