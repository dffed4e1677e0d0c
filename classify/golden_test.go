package classify

import (
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden classifies one Vietnamese and one English sample of every
// default type and compares the whole result — type, department, tags,
// fields and explanation — with testdata/golden. Run with -update to
// rewrite the files, and review the diff.
func TestGolden(t *testing.T) {
	rs := DefaultRules()
	var types []string
	for typ := range templates {
		types = append(types, typ)
	}
	sort.Strings(types)
	for _, typ := range types {
		r := rand.New(rand.NewPCG(7, uint64(len(typ))))
		seen := map[bool]bool{}
		for _, tmpl := range templates[typ] {
			en := isEnglish(tmpl)
			if seen[en] {
				continue
			}
			seen[en] = true
			lang := "vi"
			if en {
				lang = "en"
			}
			name := typ + "-" + lang
			text := fill(r, tmpl, en)
			res := rs.Classify(Document{Filename: name + ".pdf", Batch: "golden", Pages: []string{text}})
			got, _ := json.MarshalIndent(map[string]any{"text": text, "classification": res}, "", "  ")
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%s: %v (run go test ./classify -run TestGolden -update)", name, err)
			}
			if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
				t.Errorf("%s (-golden +got):\n%s", name, diff)
			}
			if res.Type != typ {
				t.Errorf("%s: classified as %s", name, res.Type)
			}
		}
	}
}
