package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"hoso/pipeline"
	"hoso/search"
	"hoso/workers"
)

// doctor checks what hoso needs on this machine and says what to do about
// each missing piece.
func (m *Main) doctor(ctx context.Context, args []string) error {
	f := m.newFlags("doctor")
	if _, err := f.parse(args); err != nil {
		return err
	}
	problems := 0
	report := func(ok bool, what, detail, fix string) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			problems++
		}
		fmt.Fprintf(m.Stdout, "%s  %-22s %s\n", mark, what, detail)
		if !ok && fix != "" {
			fmt.Fprintf(m.Stdout, "      %s\n", fix)
		}
	}
	cfg := f.cfg
	cfg.fill()
	// Data folder and free disk.
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		report(false, "data folder", cfg.DataDir, "create it or point --data / HOSO_DATA elsewhere: "+err.Error())
	} else {
		var st syscall.Statfs_t
		if err := syscall.Statfs(cfg.DataDir, &st); err == nil {
			free := float64(st.Bavail) * float64(st.Bsize) / 1e9
			report(free >= 5, "free disk", fmt.Sprintf("%.1f GB free in %s", free, cfg.DataDir), "originals, the database and the index need room: keep at least 5 GB free")
		}
	}
	// Database.
	rt, err := OpenRuntime(ctx, cfg)
	if err != nil {
		report(false, "database", err.Error(), "check --database-url / HOSO_DATABASE_URL and that the database answers")
	} else {
		defer rt.Close()
		n, err := rt.Store.UserCount(ctx)
		report(err == nil, "database", fmt.Sprintf("%s, migrated, %d users", dbName(cfg.DatabaseURL), n), "")
		counts, err := rt.Store.DocumentCountByState(ctx, pipeline.DocumentCountByStateParams{})
		if err == nil {
			report(true, "documents", fmt.Sprint(counts), "")
		}
		m.doctorProcesses(ctx, rt, report)
	}
	doctorIndex(cfg.DataDir, report)
	m.doctorTools(cfg, report)
	if problems > 0 {
		return fmt.Errorf("%d problems found", problems)
	}
	fmt.Fprintln(m.Stdout, "\nEverything hoso needs is here.")
	return nil
}

func which(name string) string {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "not found"
	}
	return s
}

func dbName(url string) string {
	if url == "" || isSQLiteURL(url) {
		return "SQLite"
	}
	return "PostgreSQL"
}

// doctorIndex checks that the search index opens (or is held by a
// running server).
func doctorIndex(dataDir string, report func(ok bool, what, detail, fix string)) {
	ix, err := search.Open(filepath.Join(dataDir, "index"))
	switch {
	case err == nil:
		c, _ := ix.Count()
		report(true, "search index", fmt.Sprintf("%d documents, generation %d", c, ix.Generation()), "")
		ix.Close()
	case errors.Is(err, search.ErrInUse):
		report(true, "search index", "held by a running hoso serve", "")
	default:
		report(false, "search index", err.Error(), "rebuild it with hoso reindex")
	}
}

// doctorTools checks the extraction and OCR programs and OCR's
// languages.
func (m *Main) doctorTools(cfg Config, report func(ok bool, what, detail, fix string)) {
	tools := workers.CachedOCRTools(cfg.Tesseract)()
	pdftotext := which("pdftotext")
	report(pdftotext != "", "pdftotext", orNone(pdftotext), "apt-get install poppler-utils (it reads the PDF pages hoso's reader handles badly)")
	report(tools.PDFToPPM != "", "pdftoppm", orNone(tools.PDFToPPM), "apt-get install poppler-utils (it renders scanned PDF pages for OCR)")
	report(tools.Tesseract != "", "tesseract", orNone(tools.Tesseract), "apt-get install tesseract-ocr")
	has := strings.Join(tools.Languages, " ")
	report(strings.Contains(has, "vie"), "OCR Vietnamese data", orNone(has), "apt-get install tesseract-ocr-vie")
	report(strings.Contains(has, "eng"), "OCR English data", orNone(has), "apt-get install tesseract-ocr-eng")
	if msg := tools.MissingTools(true); msg != "" {
		fmt.Fprintf(m.Stdout, "\nScans wait until OCR is installed: %s\n", strings.TrimPrefix(msg, "OCR is not installed: "))
	}
}

// doctorProcesses lists the processes working jobs, the dead among them,
// and running jobs no live process holds.
func (m *Main) doctorProcesses(ctx context.Context, rt *Runtime, report func(ok bool, what, detail, fix string)) {
	procs, err := rt.Store.ProcessList(ctx)
	if err != nil {
		report(false, "processes", err.Error(), "")
		return
	}
	host, _ := os.Hostname()
	live := map[string]bool{}
	var alive, dead []string
	for _, p := range procs {
		desc := fmt.Sprintf("%s (pid %d on %s, last heard %s ago)", p.Kind, p.PID, p.Host, p.Silent.Round(time.Second))
		if deadProcess(p, host, heartbeatGrace) {
			dead = append(dead, desc)
			continue
		}
		live[p.ID] = true
		alive = append(alive, desc)
	}
	detail := "none running"
	if len(alive) > 0 {
		detail = strings.Join(alive, "; ")
	}
	report(true, "processes", detail, "")
	if len(dead) > 0 {
		report(false, "dead processes", strings.Join(dead, "; "), "their jobs go back to the queue as soon as any hoso serve, worker or process runs")
	}
	jobs, err := rt.Store.JobsRunningBy(ctx)
	if err != nil {
		report(false, "running jobs", err.Error(), "")
		return
	}
	var orphans []string
	for _, j := range jobs {
		if !live[j.AttemptedBy] {
			orphans = append(orphans, fmt.Sprintf("%s job %d (since %s, by %s)", j.Kind, j.ID, j.AttemptedAt.UTC().Format(time.DateTime), j.AttemptedBy))
		}
	}
	if len(orphans) > 0 {
		report(false, "orphaned jobs", strings.Join(orphans, "; "), "start hoso serve, worker or process: a live process frees them at once")
	}
}
