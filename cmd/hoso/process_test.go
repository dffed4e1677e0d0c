package main

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"hoso/pipeline"
)

// TestProcessCorpus is the acceptance batch: the project's fixtures, the
// PDFs and hostile files the test builds (a looping PDF, a truncated one,
// zip-slip archives, a ZIP bomb) and, where the shared corpus is present,
// its real PDFs, Word files, the Vietnamese manual and every hostile file
// (damaged and fuzzed PDFs, zip bombs, zip-slip archives) go through
// `hoso process` on each backend. Scans are read by OCR on SQLite;
// on PostgreSQL OCR is switched off (it reads the same way on both, and
// takes minutes), so they wait for it, settled.
func TestProcessCorpus(t *testing.T) {
	paths := []string{filepath.Join("testdata", "fixtures"), builtFiles(t)}
	// Without the corpus: the fixtures' PDFs and the built ones; the built
	// zip-slip entries and the ZIP bomb are refused.
	withCorpus, minPDFs, minRejected := true, builtPDFs+2, 3
	for _, d := range []string{"pdf-samples", "pdf-expected", "docx", "vietnamese", "pdf-malformed", "pdf-fuzz", "archives"} {
		if p, ok := inCorpus(d); ok {
			paths = append(paths, p)
		} else {
			withCorpus = false
		}
	}
	if withCorpus {
		minPDFs, minRejected = 200, 5
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			b.env["HOSO_EXTRACT_TIMEOUT"] = "5s"
			b.env["HOSO_OCR_TIMEOUT"] = "60s"
			b.env["HOSO_OCR_CHILDREN"] = "2"
			ocr := b.name == "sqlite"
			if !ocr {
				b.env["HOSO_TESSERACT"] = "/nonexistent/tesseract"
			}
			out, errs, code := run(t, b, append([]string{"process", "--json", "--batch", "acceptance"}, paths...)...)
			if code != 0 {
				t.Fatalf("process exit %d: %s", code, errs)
			}
			var sum summary
			lastJSON(t, out, &sum)
			t.Logf("%d documents, %d pages, %d refused, states %v, %.1f s, %.1f documents/s, peak memory %.0f MB (extraction processes %.0f MB)",
				sum.Documents, sum.Pages, sum.Rejected, sum.States, sum.ElapsedSeconds, sum.DocumentsPerSecond, sum.PeakRSSMB, sum.PeakChildRSSMB)

			rows := exportRows(t, b, "--text")
			if len(rows) != sum.Documents {
				t.Fatalf("export has %d rows, the summary %d documents", len(rows), sum.Documents)
			}
			byPath := map[string]map[string]any{}
			pdfs := 0
			for _, r := range rows {
				for _, k := range []string{"id", "batch", "filename", "path", "sha256", "size", "mime", "state", "error", "pages", "quality", "duplicate_of"} {
					if _, ok := r[k]; !ok {
						t.Fatalf("export row lacks %q: %v", k, r)
					}
				}
				state := pipeline.State(r["state"].(string))
				waiting := !ocr && state == pipeline.StateReceived && r["error_code"] == pipeline.EOCRMISSING
				if state != pipeline.StateIndexed && state != pipeline.StateFailed && !waiting {
					t.Errorf("%s: state %s is not terminal (%v)", r["path"], state, r["error"])
				}
				if state == pipeline.StateFailed && r["error"] == "" {
					t.Errorf("%s: failed without a reason", r["path"])
				}
				if r["mime"] == "application/pdf" {
					pdfs++
				}
				byPath[r["path"].(string)] = r
			}
			if pdfs < minPDFs {
				t.Errorf("%d PDFs went through, want at least %d", pdfs, minPDFs)
			}
			// One row per accepted file: every plain file on disk is a
			// document, under the path it was uploaded with.
			for _, p := range paths {
				base := filepath.Dir(p)
				filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() {
						return err
					}
					ext := strings.ToLower(filepath.Ext(fp))
					if ext == ".zip" || ext == ".tar" || ext == ".gz" {
						return nil
					}
					rel, _ := filepath.Rel(base, fp)
					if _, ok := byPath[filepath.ToSlash(rel)]; !ok {
						t.Errorf("%s is not in the export", rel)
					}
					return nil
				})
			}
			if sum.Rejected < minRejected {
				t.Errorf("%d files refused; the zip bomb and zip-slip entries must be", sum.Rejected)
			}
			for _, r := range sum.Rejections {
				if r.Reason == "" {
					t.Errorf("%s refused without a reason", r.Path)
				}
			}
			// Vietnamese survives every format.
			texts := map[string]string{
				"fixtures/don-de-nghi-cap-phep.txt":       "ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG",
				"fixtures/cong-van-windows-1258.txt":      "quyền sử dụng đất",
				"fixtures/thong-bao-utf16.txt":            "hồ sơ đăng ký hộ tịch",
				"fixtures/annual-report-windows-1252.txt": "résumé of procedures",
				"fixtures/quyet-dinh.html":                "Điều 1.",
				"fixtures/bien-ban-hop.docx":              "Thành phần gồm: ông Trần Văn Lộc",
				"fixtures/hop-dong-thue-nha.odt":          "Bên thuê (Bên B): Công ty TNHH Sao Mai",
				"fixtures/permit-application.pdf":         "APPLICATION FOR A CONSTRUCTION PERMIT",
				"built/letters/letter-01.pdf":             "CONG VAN so 100/UBND-VP",
			}
			if withCorpus {
				texts["vietnamese/maint-guide.vi.pdf"] = "Hướng dẫn"
				texts["vietnamese/maint-guide.vi.txt.gz/maint-guide.vi.txt"] = "Hướng dẫn"
			}
			for path, want := range texts {
				r, ok := byPath[path]
				if !ok {
					t.Errorf("%s is missing", path)
					continue
				}
				if text, _ := r["text"].(string); !strings.Contains(text, want) || r["state"] != "indexed" {
					t.Errorf("%s (%s, %s): text lacks %q", path, r["state"], r["error"], want)
				}
			}
			if r := byPath["fixtures/bien-ban-hop.docx"]; r != nil && r["pages"].(float64) != 2 {
				t.Errorf("bien-ban-hop.docx has %v pages, want 2", r["pages"])
			}
			// Classification travels in the export: type, department, tags,
			// fields and the explanation.
			for path, want := range map[string]string{
				"fixtures/quyet-dinh.html":           "decision",
				"fixtures/hop-dong-thue-nha.odt":     "contract",
				"fixtures/don-de-nghi-cap-phep.txt":  "construction",
				"fixtures/cong-van-windows-1258.txt": "official-letter",
				"fixtures/meeting-minutes.pdf":       "minutes",
			} {
				r := byPath[path]
				exp, _ := r["explanation"].(map[string]any)
				if r["type"] != want || r["department"] == "" || exp == nil || exp["summary"] == "" || r["rule_set_version"] == nil {
					t.Errorf("%s: type %v, department %v, explanation %v", path, r["type"], r["department"], exp)
				}
			}
			if byPath["fixtures/quyet-dinh.html"]["language"] != "vi" || byPath["fixtures/meeting-minutes.pdf"]["language"] != "en" {
				t.Errorf("languages: %v, %v", byPath["fixtures/quyet-dinh.html"]["language"], byPath["fixtures/meeting-minutes.pdf"]["language"])
			}
			if f, _ := byPath["fixtures/hop-dong-thue-nha.odt"]["fields"].([]any); len(f) != 2 {
				t.Errorf("contract fields: %v", f)
			}
			for _, r := range rows {
				if r["state"] == "indexed" && (r["type"] == "" || r["explanation"] == nil) {
					t.Errorf("%s: checked without a classification", r["path"])
				}
			}
		})
	}
}
