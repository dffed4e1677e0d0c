package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite"

	"hoso/internal/fixture"
)

// queryFunc runs a query that returns one integer.
type queryFunc func(q string) int

func openProbe(t *testing.T, b backend) queryFunc {
	t.Helper()
	if u := b.env["HOSO_DATABASE_URL"]; u != "" {
		cfg, err := pgxpool.ParseConfig(u)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = b.env["HOSO_DATABASE_SCHEMA"]
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return func(q string) int {
			var n int
			if err := pool.QueryRow(context.Background(), strings.ReplaceAll(q, "$.document_id", "document_id")).Scan(&n); err != nil {
				return -1 // tables not there yet
			}
			return n
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(b.env["HOSO_DATA"], "hoso.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return func(q string) int {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			return -1
		}
		return n
	}
}

// hosoCommand runs this test binary as the hoso command (see TestMain).
func hosoCommand(b backend, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), b.environ()...), "HOSO_TEST_MAIN=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// TestCrashSafety kills `hoso process` with SIGKILL in the middle of a
// batch, starts it again, and checks that every document finished exactly
// once: one change-feed entry per document, one job per stage, nothing
// left in the queue.
func TestCrashSafety(t *testing.T) {
	// The busy PDF keeps an extraction busy until its time limit, so
	// that the kill surely lands while a document is being worked. The
	// corpus, where present, adds real PDFs and Word files.
	built := builtFiles(t)
	busy := filepath.Join(t.TempDir(), "busy.pdf")
	if err := os.WriteFile(busy, fixture.BusyPDF(), 0o600); err != nil {
		t.Fatal(err)
	}
	paths := []string{filepath.Join("testdata", "fixtures"), filepath.Join(built, "letters")}
	for _, d := range []string{"pdf-samples", "docx"} {
		if p, ok := inCorpus(d); ok {
			paths = append(paths, p)
		}
	}
	paths = append(paths, busy)
	if p, ok := inCorpus("vietnamese"); ok {
		paths = append(paths, p)
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			b.env["HOSO_EXTRACT_CHILDREN"] = "1"
			b.env["HOSO_EXTRACT_TIMEOUT"] = "3s"
			// River's own rescue timeouts stay at their defaults (13
			// minutes): the restarted process frees the killed one's jobs
			// itself (liveness.go).
			first := hosoCommand(b, append([]string{"process", "--json", "--batch", "crash"}, paths...)...)
			var firstErr strings.Builder
			first.Stderr = &firstErr
			if err := first.Start(); err != nil {
				t.Fatal(err)
			}
			probe := openProbe(t, b)
			// Generous: on a loaded machine (the other packages' tests,
			// OCR among them, run beside this one) the batch crawls.
			deadline := time.Now().Add(5 * time.Minute)
			var total, done, inFlight int
			for {
				total = probe(`SELECT count(*) FROM document`)
				done = probe(`SELECT count(*) FROM document WHERE state IN ('checked', 'failed')`)
				// The busy PDF takes its whole time limit: a kill while
				// its job runs surely lands in the middle of a stage.
				inFlight = probe(`SELECT coalesce(min(j.id), 0) FROM river_job j JOIN document d ON d.id = CAST(j.args->>'$.document_id' AS BIGINT)
					WHERE j.state = 'running' AND d.state = 'received' AND d.filename = 'busy.pdf'`)
				// Only that job is waited for: under load the later stages
				// lag behind extraction, and a count of finished documents
				// could still be low when both of its attempts are over.
				if total > 0 && inFlight > 0 {
					break
				}
				if time.Now().After(deadline) {
					syscall.Kill(-first.Process.Pid, syscall.SIGKILL)
					t.Fatalf("the busy PDF was not in flight within 5 minutes (%d of %d done, job %d in flight): %s", done, total, inFlight, firstErr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := syscall.Kill(-first.Process.Pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			first.Wait()
			total = probe(`SELECT count(*) FROM document`)
			done = probe(`SELECT count(*) FROM document WHERE state IN ('checked', 'failed')`)
			inFlightJob := inFlight
			t.Logf("killed with %d of %d documents finished, job %d in flight", done, total, inFlightJob)
			if done >= total {
				t.Fatalf("the batch finished before the kill (%d of %d): the test proves nothing", done, total)
			}

			second := hosoCommand(b, "process", "--json")
			start := time.Now()
			out, err := second.Output()
			t.Logf("the second run took %v", time.Since(start))
			if err != nil {
				t.Fatalf("second run: %v\n%s", err, out)
			}
			var sum summary
			lastJSON(t, string(out), &sum)
			if sum.Documents != total || sum.States["indexed"]+sum.States["failed"] != total {
				t.Errorf("after the restart: %d documents, states %v; want %d terminal", sum.Documents, sum.States, total)
			}
			checks := map[string]string{
				// One entry per document as it ends (flags add "flagged" ones).
				"documents with other than one change-feed entry": `SELECT count(*) FROM (SELECT d.id FROM document d LEFT JOIN change_feed c ON c.document_id = d.id AND c.op IN ('checked', 'failed') GROUP BY d.id HAVING count(c.seq) <> 1) x`,
				// Periodic jobs (patterns, volume) name no document.
				"stages queued twice for a document": `SELECT count(*) FROM (SELECT kind, args->>'$.document_id' FROM river_job WHERE args->>'$.document_id' IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) x`,
				"documents without an extract job":   `SELECT count(*) FROM document d WHERE NOT EXISTS (SELECT 1 FROM river_job j WHERE j.kind = 'extract' AND CAST(j.args->>'$.document_id' AS BIGINT) = d.id)`,
				"jobs waiting to run":                `SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded', 'running')`,
				// The restart frees what the killed process held, at once.
				"jobs left running":      `SELECT count(*) FROM river_job WHERE state = 'running'`,
				"documents not terminal": `SELECT count(*) FROM document WHERE state NOT IN ('checked', 'failed', 'indexed')`,
			}
			for what, q := range checks {
				if n := probe(q); n != 0 {
					t.Errorf("%s: %d", what, n)
				}
			}
			if n := probe(fmt.Sprintf(`SELECT attempt FROM river_job WHERE id = %d AND state IN ('completed', 'cancelled')`, inFlightJob)); n < 2 {
				t.Errorf("job %d, in flight at the kill, finished after %d attempts; want a second", inFlightJob, n)
			}
		})
	}
}
