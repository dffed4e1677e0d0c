package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"hoso/pipeline/postgres"
)

// benchScale measures hoso on several processes over PostgreSQL: documents
// per second end to end with 1 and 2 worker processes and the CPU-seconds
// each document cost (flat CPU-seconds per document is what linear
// scaling looks like on a machine with few cores), each search node's lag
// under a steady upload, and how fast an empty node catches up.
func (m *Main) benchScale(ctx context.Context, args []string) error {
	f := m.newFlags("bench scale")
	pgURL := f.fs.String("postgres", m.Getenv("HOSO_TEST_DATABASE_URL"), "PostgreSQL URL (a scratch schema is used and dropped)")
	docs := f.fs.Int("docs", 400, "documents per run")
	rate := f.fs.Int("rate", 40, "documents per second of the steady upload")
	catchUp := f.fs.String("catch-up", "", "also compare an empty node's catch-up from the feed and from an index snapshot, at these archive sizes (e.g. 2000,10000)")
	catchUpOnly := f.fs.Bool("catch-up-only", false, "with --catch-up: only that comparison")
	catchUpWords := f.fs.Int("catch-up-words", 300, "words per generated document of the catch-up comparison")
	if _, err := f.parse(args); err != nil {
		return err
	}
	// --blob-url: where the originals go; without it, the first node's
	// data folder, which the workers share.
	blobURL := &f.cfg.BlobURL
	if *pgURL == "" {
		return usageError{"hoso bench scale needs PostgreSQL: --postgres URL or HOSO_TEST_DATABASE_URL"}
	}
	if *catchUp != "" {
		sizes, err := parseSizes(*catchUp)
		if err != nil {
			return err
		}
		if err := m.benchCatchUp(ctx, *pgURL, f.cfg, sizes, *catchUpWords); err != nil {
			return err
		}
		if *catchUpOnly {
			return nil
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	children := f.cfg.Children
	if children <= 0 {
		children = runtime.NumCPU()
	}
	fmt.Fprintf(m.Stdout, "%d text documents a run, uploaded through one serve node (which works no stage); worker processes with %d extraction children each\n", *docs, children)
	for _, workers := range []int{1, 2} {
		s, err := startScale(ctx, m, exe, *pgURL, *blobURL, workers, 1)
		if err != nil {
			return err
		}
		start := time.Now()
		if err := s.upload(ctx, 0, *docs); err != nil {
			s.stop()
			return err
		}
		if err := s.waitIndexed(ctx, *docs); err != nil {
			s.stop()
			return err
		}
		elapsed := time.Since(start)
		cpu := s.stop()
		fmt.Fprintf(m.Stdout, "%d worker process(es): %.1f documents/s end to end, %.1f ms CPU per document in hoso's processes (%.1f s CPU in all)\n",
			workers, float64(*docs)/elapsed.Seconds(), 1000*cpu.Seconds()/float64(*docs), cpu.Seconds())
	}

	// Two serve nodes, two workers, a steady upload: each node's lag.
	s, err := startScale(ctx, m, exe, *pgURL, *blobURL, 2, 2)
	if err != nil {
		return err
	}
	defer s.stop()
	lags := map[string][]int{}
	sampled := make(chan error, 1)
	sctx, cancel := context.WithCancel(ctx)
	go func() { sampled <- s.sampleLag(sctx, lags) }()
	batch := max(1, *rate/5)
	for sent := 0; sent < *docs; sent += batch {
		t := time.Now()
		if err := s.upload(ctx, sent, min(batch, *docs-sent)); err != nil {
			cancel()
			return err
		}
		time.Sleep(time.Until(t.Add(200 * time.Millisecond)))
	}
	err = s.waitIndexed(ctx, *docs)
	cancel()
	<-sampled
	if err != nil {
		return err
	}
	for _, n := range s.nodes {
		l := lags[n.name]
		slices.Sort(l)
		if len(l) == 0 {
			continue
		}
		fmt.Fprintf(m.Stdout, "node %s under a steady upload of %d documents/s: lag median %d, 95th percentile %d, most %d change-feed entries (%d samples)\n",
			n.name, *rate, l[len(l)/2], l[len(l)*95/100], l[len(l)-1], len(l))
	}
	// An empty node catches up.
	start := time.Now()
	if _, err := s.startNode(ctx, "empty"); err != nil {
		return err
	}
	for {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(documents), 0) FROM feed_node WHERE node = 'empty' AND horizon > (SELECT coalesce(max(tx_id), 0) FROM change_feed)`).Scan(&n); err != nil {
			return err
		}
		if n >= *docs {
			break
		}
		if time.Since(start) > 5*time.Minute {
			return fmt.Errorf("the empty node did not catch up within 5 minutes: %s", s.nodeReport(ctx))
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	fmt.Fprintf(m.Stdout, "an empty node caught up with %d documents in %v from its start: %.0f documents/s\n", *docs, took.Round(time.Millisecond), float64(*docs)/took.Seconds())
	return nil
}

// scaleRun is a scratch office: a schema, serve nodes and workers.
type scaleRun struct {
	m       *Main
	exe     string
	env     []string
	url     string
	schema  string
	pool    *pgxpool.Pool
	token   string
	nodes   []*scaleProc
	workers []*scaleProc
	dir     string
	// auditKey is the audit key file each process's data folder gets.
	auditKey []byte
}

type scaleProc struct {
	name string
	base string
	cmd  *exec.Cmd
}

func startScale(ctx context.Context, m *Main, exe, url, blobURL string, workers, nodes int) (*scaleRun, error) {
	dir, err := os.MkdirTemp("", "hoso-bench-scale-")
	if err != nil {
		return nil, err
	}
	s := &scaleRun{m: m, exe: exe, url: url, schema: fmt.Sprintf("hoso_scale_%d", time.Now().UnixNano()), dir: dir}
	env := map[string]string{"HOSO_DATABASE_URL": url, "HOSO_DATABASE_SCHEMA": s.schema, "HOSO_DATA": filepath.Join(dir, "admin"),
		"HOSO_EXTRACT_CHILDREN": m.Getenv("HOSO_EXTRACT_CHILDREN"), "HOSO_BLOB_URL": blobURL,
		"AWS_ACCESS_KEY_ID": m.Getenv("AWS_ACCESS_KEY_ID"), "AWS_SECRET_ACCESS_KEY": m.Getenv("AWS_SECRET_ACCESS_KEY")}
	getenv := func(k string) string { return env[k] }
	var out bytes.Buffer
	sub := &Main{Stdout: &out, Stderr: io.Discard, Getenv: getenv}
	for _, args := range [][]string{{"migrate"}, {"users", "add", "--name", "bench", "--role", "supervisor", "--department", "one-stop"}, {"users", "token", "--name", "bench"}} {
		out.Reset()
		if code := sub.Run(ctx, args); code != 0 {
			s.stop()
			return nil, fmt.Errorf("hoso %s failed", strings.Join(args, " "))
		}
	}
	s.token = strings.TrimSpace(out.String())
	key, err := os.ReadFile(filepath.Join(dir, "admin", auditKeyFile))
	if err != nil {
		s.stop()
		return nil, err
	}
	s.auditKey = key // every process keys the audit chain alike
	for k, v := range env {
		if k != "HOSO_DATA" {
			s.env = append(s.env, k+"="+v)
		}
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		s.stop()
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = s.schema
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		s.stop()
		return nil, err
	}
	for i := range nodes {
		if _, err := s.startNode(ctx, fmt.Sprintf("node-%d", i+1)); err != nil {
			s.stop()
			return nil, err
		}
	}
	for i := range workers {
		p := &scaleProc{name: fmt.Sprintf("worker-%d", i+1)}
		data := p.name
		if blobURL == "" {
			data = s.nodes[0].name // the originals are in its data folder
		}
		p.cmd = s.command(data, "worker")
		p.cmd.Env = append(p.cmd.Env, "HOSO_NODE="+p.name)
		if err := p.cmd.Start(); err != nil {
			s.stop()
			return nil, err
		}
		s.workers = append(s.workers, p)
	}
	return s, nil
}

func (s *scaleRun) command(name string, args ...string) *exec.Cmd {
	data := filepath.Join(s.dir, name)
	if err := os.MkdirAll(data, 0o700); err == nil {
		_ = os.WriteFile(filepath.Join(data, auditKeyFile), s.auditKey, 0o600)
	}
	cmd := exec.Command(s.exe, args...)
	cmd.Env = append(append(os.Environ(), s.env...), "HOSO_DATA="+filepath.Join(s.dir, name), "HOSO_NODE="+name)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// startNode starts a serve node that works no stage, and waits until it
// answers.
func (s *scaleRun) startNode(ctx context.Context, name string) (*scaleProc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &scaleProc{name: name, base: "http://" + addr}
	p.cmd = s.command(name, "serve", "--addr", addr, "--queues", "default")
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	s.nodes = append(s.nodes, p)
	for deadline := time.Now().Add(time.Minute); ; {
		if resp, err := http.Get(p.base + "/healthz"); err == nil {
			resp.Body.Close()
			return p, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("serve node %s did not start", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// upload sends count text documents, numbered from first, through the
// first node.
func (s *scaleRun) upload(ctx context.Context, first, count int) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("name", "scale "+strconv.Itoa(first))
	for i := first; i < first+count; i++ {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files"; filename="to-trinh-%05d.txt"`, i))
		w, _ := mw.CreatePart(h)
		fmt.Fprintf(w, "ỦY BAN NHÂN DÂN PHƯỜNG %d\nTờ trình số %d/TTr-UBND về việc cấp giấy phép xây dựng nhà ở riêng lẻ cho hộ gia đình tại thửa đất số %d, tờ bản đồ số %d.\n", i%20+1, i, i*7%900, i%40)
		for j := range 30 {
			fmt.Fprintf(w, "Căn cứ hồ sơ đề nghị, phòng Quản lý đô thị đã kiểm tra hiện trạng lần %d và đề xuất Ủy ban xem xét, quyết định.\n", j+1)
		}
	}
	mw.Close()
	req, err := http.NewRequestWithContext(ctx, "POST", s.nodes[0].base+"/api/v1/batches", &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("upload: %d %s", resp.StatusCode, body)
	}
	return json.NewDecoder(resp.Body).Decode(&struct{}{})
}

// waitIndexed waits until n documents are indexed and every node holds
// the whole feed.
func (s *scaleRun) waitIndexed(ctx context.Context, n int) error {
	for deadline := time.Now().Add(30 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var done, failed, behind int
		err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM document WHERE state = 'indexed'), (SELECT count(*) FROM document WHERE state = 'failed'),
			(SELECT count(*) FROM feed_node WHERE horizon <= (SELECT coalesce(max(tx_id), 0) FROM change_feed))`).Scan(&done, &failed, &behind)
		if err != nil {
			return err
		}
		if failed > 0 {
			return fmt.Errorf("%d documents failed", failed)
		}
		if done >= n && behind == 0 {
			return nil
		}
	}
	return fmt.Errorf("documents not indexed within 30 minutes")
}

// nodeReport tells where each node is, for an error.
func (s *scaleRun) nodeReport(ctx context.Context) string {
	rows, err := s.pool.Query(ctx, `SELECT node || ' at ' || tx_id || '/' || seq || ', horizon ' || horizon || ', ' || documents || ' documents' FROM feed_node
		UNION ALL SELECT 'feed up to ' || coalesce(max(tx_id), 0) || ', ' || count(*) || ' entries' FROM change_feed
		UNION ALL SELECT state || ': ' || count(*) FROM document GROUP BY state`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		rows.Scan(&line)
		out = append(out, line)
	}
	return strings.Join(out, "; ")
}

// sampleLag samples each node's lag every 50 ms until ctx ends.
func (s *scaleRun) sampleLag(ctx context.Context, lags map[string][]int) error {
	for ctx.Err() == nil {
		rows, err := s.pool.Query(ctx, `SELECT n.node, (SELECT count(*) FROM change_feed c WHERE (c.tx_id, c.seq) > (n.tx_id, n.seq)) FROM feed_node n`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var name string
			var lag int
			if rows.Scan(&name, &lag) == nil {
				lags[name] = append(lags[name], lag)
			}
		}
		rows.Close()
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// stop stops every process (SIGTERM, as an operator would), drops the
// schema and returns the CPU time the processes used, their extraction
// children included.
func (s *scaleRun) stop() time.Duration {
	var cpu time.Duration
	for _, p := range append(append([]*scaleProc{}, s.workers...), s.nodes...) {
		if p.cmd == nil || p.cmd.Process == nil {
			continue
		}
		syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if st := p.cmd.ProcessState; st != nil {
			cpu += st.UserTime() + st.SystemTime()
		}
	}
	s.workers, s.nodes = nil, nil
	if s.pool != nil {
		s.pool.Close()
		s.pool = nil
	}
	_ = postgres.DropSchema(context.Background(), s.url, s.schema)
	os.RemoveAll(s.dir)
	return cpu
}
