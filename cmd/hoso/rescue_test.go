package main

import (
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"hoso/extract/scanfixture"
	"hoso/pipeline"
	"hoso/pipeline/sqlstore"
)

// TestRescueAfterKill kills `hoso process` on PostgreSQL (SIGKILL to it
// and its sandbox children) while it holds extraction and OCR jobs, with
// the default time limits, so that River's own rescuer would take 13
// minutes to free the OCR job. The restarted process sees that the killed
// one is gone and frees its jobs at once: the second run ends with every
// document final and nothing done twice, long before River would have.
func TestRescueAfterKill(t *testing.T) {
	bs := backends(t)
	if len(bs) < 2 {
		t.Skip("PostgreSQL only: on SQLite a restart frees every running job (TestCrashSafety)")
	}
	b := bs[1]
	b.env["HOSO_EXTRACT_CHILDREN"] = "1"
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Scans of three pages keep an OCR job busy for many seconds.
	page, err := scanfixture.Render(scanfixture.Vietnamese, 300)
	if err != nil {
		t.Fatal(err)
	}
	half := scanfixture.Downscale(page, 2)
	var jpegs [][]byte
	var sizes []image.Point
	for range 3 {
		jpegs = append(jpegs, scanfixture.JPEG(half, 70))
		sizes = append(sizes, half.Rect.Size())
	}
	for i := range 2 {
		write(fmt.Sprintf("a-scan-%d.pdf", i), scanfixture.PDF(jpegs, sizes, 150, ""))
	}
	for _, name := range []string{"permit-application.pdf", "meeting-minutes.pdf", "bien-ban-hop.docx", "don-de-nghi-cap-phep.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 8 {
			write(fmt.Sprintf("b-%02d-%s", i, name), data)
		}
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := len(entries)
	first := hosoCommand(b, "process", "--json", "--batch", "rescue", dir)
	var firstErr strings.Builder
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	probe := openProbe(t, b)
	deadline := time.Now().Add(3 * time.Minute)
	var ocrJob, extractJobs int
	for {
		ocrJob = probe(`SELECT coalesce(min(id), 0) FROM river_job WHERE state = 'running' AND kind = 'ocr'`)
		extractJobs = probe(`SELECT count(*) FROM river_job WHERE state = 'running' AND kind = 'extract'`)
		// Every file stored (a kill during storing leaves the rest
		// unstored, for the clerk to send again), and both kinds of work
		// in flight.
		if ocrJob > 0 && extractJobs > 0 && probe(`SELECT count(*) FROM document`) == files {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(-first.Process.Pid, syscall.SIGKILL)
			t.Fatalf("no OCR and extraction jobs running together within 3 minutes: %s", firstErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	children := childrenOf(first.Process.Pid)
	if len(children) == 0 {
		t.Error("the process has no extraction children to kill")
	}
	if err := syscall.Kill(-first.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	// The sandbox children live in process groups of their own; they die
	// with their parent all the same, and nothing goes on reading.
	for _, pid := range children {
		gone := false
		for range 100 {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", pid)); err != nil || processState(pid) == "Z" {
				gone = true
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !gone {
			syscall.Kill(-pid, syscall.SIGKILL)
			t.Errorf("child %d of the killed process still runs", pid)
		}
	}
	total := probe(`SELECT count(*) FROM document`)
	t.Logf("killed holding OCR job %d and %d extraction jobs; %d documents", ocrJob, extractJobs, total)

	// A hang here is River's rescuer at work, not hoso's: the run gets
	// far less than the 13 minutes River would wait.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	second := hosoCommand(b, "process", "--json")
	var secondErr strings.Builder
	second.Stderr = &secondErr
	start := time.Now()
	out, err := execOutput(ctx, second)
	t.Logf("the second run took %v", time.Since(start).Round(time.Second))
	if n := probe(fmt.Sprintf(`SELECT CAST(EXTRACT(EPOCH FROM CAST(errors[array_length(errors, 1)]->>'at' AS timestamptz)) * 1000 AS BIGINT) FROM river_job WHERE id = %d`, ocrJob)); n > 0 {
		t.Logf("the OCR job in flight at the kill was free again %v after the restart", time.UnixMilli(int64(n)).Sub(start).Round(100*time.Millisecond))
	}
	if n := probe(fmt.Sprintf(`SELECT CAST(EXTRACT(EPOCH FROM attempted_at) * 1000 AS BIGINT) FROM river_job WHERE id = %d`, ocrJob)); n > 0 {
		t.Logf("and ran again %v after the restart", time.UnixMilli(int64(n)).Sub(start).Round(100*time.Millisecond))
	}
	if ctx.Err() != nil {
		t.Fatalf("the second run did not end within 3 minutes: the killed process's jobs were not freed\n%s", secondErr.String())
	}
	if err != nil {
		t.Fatalf("second run: %v\n%s\n%s", err, out, secondErr.String())
	}
	var sum summary
	lastJSON(t, out, &sum)
	if sum.Documents != total || sum.States["indexed"]+sum.States["failed"] != total {
		t.Errorf("after the restart: %d documents, states %v; want %d final", sum.Documents, sum.States, total)
	}
	for what, q := range map[string]string{
		"documents not final":               `SELECT count(*) FROM document WHERE state NOT IN ('indexed', 'failed')`,
		"documents with other than one end": `SELECT count(*) FROM (SELECT d.id FROM document d LEFT JOIN change_feed c ON c.document_id = d.id AND c.op IN ('checked', 'failed') GROUP BY d.id HAVING count(c.seq) <> 1) x`,
		"stages queued twice":               `SELECT count(*) FROM (SELECT kind, args->>'document_id' FROM river_job WHERE args->>'document_id' IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) x`,
		"jobs still running":                `SELECT count(*) FROM river_job WHERE state = 'running'`,
		"processes still registered":        `SELECT count(*) FROM process`,
	} {
		if n := probe(q); n != 0 {
			t.Errorf("%s: %d", what, n)
		}
	}
	if n := probe(fmt.Sprintf(`SELECT attempt FROM river_job WHERE id = %d AND state = 'completed'`, ocrJob)); n < 2 {
		t.Errorf("OCR job %d, in flight at the kill, finished after %d attempts; want a second", ocrJob, n)
	}
	if n := probe(fmt.Sprintf(`SELECT count(*) FROM river_job WHERE id = %d AND errors::text LIKE '%%made available again%%'`, ocrJob)); n != 1 {
		t.Errorf("OCR job %d does not say why it ran again", ocrJob)
	}
}

// TestWorkersRescueEachOther: a `hoso worker` runs beside `hoso process`
// on PostgreSQL; the process is killed holding jobs and never restarted.
// The worker sees it gone and finishes its documents.
func TestWorkersRescueEachOther(t *testing.T) {
	bs := backends(t)
	if len(bs) < 2 {
		t.Skip("PostgreSQL only")
	}
	b := bs[1]
	b.env["HOSO_EXTRACT_CHILDREN"] = "1"
	dir := t.TempDir()
	page, err := scanfixture.Render(scanfixture.Vietnamese, 300)
	if err != nil {
		t.Fatal(err)
	}
	half := scanfixture.Downscale(page, 2)
	for i := range 2 {
		scan := scanfixture.PDF([][]byte{scanfixture.JPEG(half, 70), scanfixture.JPEG(half, 70)}, []image.Point{half.Rect.Size(), half.Rect.Size()}, 150, "")
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("scan-%d.pdf", i)), scan, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, errs, code := run(t, b, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errs)
	}
	worker := hosoCommand(b, "worker")
	var workerErr strings.Builder
	worker.Stderr = &workerErr
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-worker.Process.Pid, syscall.SIGKILL)
		worker.Wait()
	})
	first := hosoCommand(b, "process", "--batch", "nodes", dir)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	probe := openProbe(t, b)
	deadline := time.Now().Add(3 * time.Minute)
	var held int
	for {
		// A job the process (not the worker) runs.
		held = probe(`SELECT coalesce(min(j.id), 0) FROM river_job j JOIN process p ON p.id = j.attempted_by[array_length(j.attempted_by, 1)]
			WHERE j.state = 'running' AND p.kind = 'process' AND j.kind IN ('extract', 'ocr')`)
		if held > 0 {
			break
		}
		if time.Now().After(deadline) || probe(`SELECT count(*) FROM document WHERE state NOT IN ('checked', 'indexed', 'failed')`) == 0 && probe(`SELECT count(*) FROM document`) == 2 {
			syscall.Kill(-first.Process.Pid, syscall.SIGKILL)
			t.Skip("the worker took every job: nothing of the process's to rescue this time")
		}
		time.Sleep(20 * time.Millisecond)
	}
	syscall.Kill(-first.Process.Pid, syscall.SIGKILL)
	first.Wait()
	killed := time.Now()
	for probe(`SELECT count(*) FROM document WHERE state NOT IN ('checked', 'indexed', 'failed')`) != 0 ||
		probe(fmt.Sprintf(`SELECT count(*) FROM river_job WHERE id = %d AND state = 'running'`, held)) != 0 {
		if time.Since(killed) > 3*time.Minute {
			t.Fatalf("the worker did not finish the killed process's documents within 3 minutes\n%s", workerErr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the worker finished the killed process's documents %v after the kill", time.Since(killed).Round(100*time.Millisecond))
	if n := probe(fmt.Sprintf(`SELECT count(*) FROM river_job WHERE id = %d AND state = 'completed' AND errors::text LIKE '%%made available again%%'`, held)); n != 1 {
		t.Errorf("job %d, held by the killed process, was not freed and finished: state %d (1 completed), %d errors, %d attempts", held,
			probe(fmt.Sprintf(`SELECT CASE WHEN state = 'completed' THEN 1 ELSE 0 END FROM river_job WHERE id = %d`, held)),
			probe(fmt.Sprintf(`SELECT coalesce(array_length(errors, 1), 0) FROM river_job WHERE id = %d`, held)),
			probe(fmt.Sprintf(`SELECT attempt FROM river_job WHERE id = %d`, held)))
	}
	if n := probe(`SELECT count(*) FROM process WHERE kind = 'process'`); n != 0 {
		t.Errorf("the killed process is still registered")
	}
}

// TestLivenessSilentProcess: a process of another machine whose heartbeat
// stopped has its running jobs freed by a live one; a live one's are not.
func TestLivenessSilentProcess(t *testing.T) {
	bs := backends(t)
	if len(bs) < 2 {
		t.Skip("PostgreSQL only")
	}
	b := bs[1]
	rt, err := OpenRuntime(t.Context(), Config{DataDir: b.env["HOSO_DATA"], DatabaseURL: b.env["HOSO_DATABASE_URL"], Schema: b.env["HOSO_DATABASE_SCHEMA"]})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	st := rt.Store
	db := st.DB()
	ctx := t.Context()
	register := func(id, host string, silent time.Duration) {
		t.Helper()
		if err := st.ProcessRegister(ctx, sqlstore.Process{ID: id, Kind: "worker", Host: host, PID: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `UPDATE process SET heartbeat_at = heartbeat_at - make_interval(secs => $2) WHERE id = $1`, id, silent.Seconds()); err != nil {
			t.Fatal(err)
		}
	}
	register("worker-far-away-1", "far-away", time.Minute)
	register("worker-next-door-2", "next-door", time.Second)
	job := func(by string) int64 {
		t.Helper()
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO river_job (args, attempt, attempted_at, attempted_by, kind, max_attempts, queue, state, scheduled_at)
			VALUES ('{"document_id": 1}', 1, now(), ARRAY[$1], 'extract', 5, 'extract', 'running', now()) RETURNING id`, by).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	dead, living := job("worker-far-away-1"), job("worker-next-door-2")
	// What hoso process says while it waits on the silent one.
	if got := stalledJobs(ctx, st); !strings.HasPrefix(got, "1 job waits on a silent process (pid 1 on far-away), freed by ") {
		t.Errorf("stalledJobs = %q", got)
	}
	me := newProcess("test")
	l, err := startLiveness(ctx, st, me, rt.cfg.Logger)
	if err != nil {
		t.Fatal(err)
	}
	defer l.stop()
	state := func(id int64) string {
		var s string
		if err := db.QueryRow(ctx, `SELECT state FROM river_job WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := state(dead); s != "available" {
		t.Errorf("the silent process's job is %s, want available", s)
	}
	if s := state(living); s != "running" {
		t.Errorf("the live process's job is %s, want running", s)
	}
	procs, err := st.ProcessList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range procs {
		ids = append(ids, p.ID)
	}
	if strings.Contains(strings.Join(ids, " "), "far-away") || !strings.Contains(strings.Join(ids, " "), "next-door") || !strings.Contains(strings.Join(ids, " "), me.ID) {
		t.Errorf("registered after the rescue: %v", ids)
	}
}

// execOutput runs a command to its end or the context's, and returns its
// standard output; at the context's end the command's group is killed.
func execOutput(ctx context.Context, cmd *exec.Cmd) (string, error) {
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return out.String(), ctx.Err()
	}
}

func TestProgressLine(t *testing.T) {
	counts := map[pipeline.State]int{pipeline.StateReceived: 30, pipeline.StateIndexed: 60, pipeline.StateFailed: 10}
	got := progressLine(counts, 70, 100, 20, 10*time.Second)
	want := "70 of 100 documents done (received 30, indexed 60, failed 10); 2.0 documents/s, about 15s left"
	if got != want {
		t.Errorf("progressLine = %q, want %q", got, want)
	}
	var b strings.Builder
	p := newProgress(&b)
	p.every = 0
	p.update(counts)
	p.finish()
	if !strings.HasPrefix(b.String(), "70 of 100 documents done") || strings.Contains(b.String(), "\r") {
		t.Errorf("not a terminal: %q, want plain lines", b.String())
	}
}

// childrenOf lists the PIDs whose parent is pid.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}

// processState is the state letter of a process ("Z" for a zombie).
func processState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
