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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"hoso/internal/stats"
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
	o := scaleOptions{exe: exe, pgURL: *pgURL, blobURL: f.cfg.BlobURL, docs: *docs, rate: *rate}
	children := f.cfg.Children
	if children <= 0 {
		children = runtime.NumCPU()
	}
	fmt.Fprintf(m.Stdout, "%d text documents a run, uploaded through one serve node (which works no stage); worker processes with %d extraction children each\n", *docs, children)
	for _, workers := range []int{1, 2} {
		if err := m.scaleThroughput(ctx, o, workers); err != nil {
			return err
		}
	}
	return m.scaleLag(ctx, o)
}

// scaleOptions are what every office of the scale bench is started with.
type scaleOptions struct {
	exe   string // the hoso program the processes run
	pgURL string
	// blobURL is where the originals go (--blob-url); empty, the first
	// node's data folder, which the workers share.
	blobURL string
	docs    int // documents per run
	rate    int // documents per second of the steady upload
}

// scaleThroughput uploads o.docs documents at once to an office of one
// serve node and the given number of workers, and prints the documents
// per second end to end and the CPU time each cost.
func (m *Main) scaleThroughput(ctx context.Context, o scaleOptions, workers int) error {
	s, err := startScale(ctx, m, o, workers, 1)
	if err != nil {
		return err
	}
	start := time.Now()
	err = s.upload(ctx, 0, o.docs)
	if err == nil {
		err = s.waitIndexed(ctx, o.docs)
	}
	elapsed := time.Since(start)
	cpu := s.stop()
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%d worker process(es): %.1f documents/s end to end, %.1f ms CPU per document in hoso's processes (%.1f s CPU in all)\n",
		workers, float64(o.docs)/elapsed.Seconds(), 1000*cpu.Seconds()/float64(o.docs), cpu.Seconds())
	return nil
}

// scaleLag runs two serve nodes and two workers under a steady upload
// and prints each node's lag, then how fast a third, empty node catches
// up with the archive.
func (m *Main) scaleLag(ctx context.Context, o scaleOptions) error {
	s, err := startScale(ctx, m, o, 2, 2)
	if err != nil {
		return err
	}
	defer s.stop()
	lags, err := s.steadyUpload(ctx, o.docs, o.rate)
	if err != nil {
		return err
	}
	for _, n := range s.nodes {
		l := lags[n.name]
		if len(l) == 0 {
			continue
		}
		fmt.Fprintf(m.Stdout, "node %s under a steady upload of %d documents/s: lag median %d, 95th percentile %d, most %d change-feed entries (%d samples)\n",
			n.name, o.rate, stats.Quantile(l, 0.5), stats.Quantile(l, 0.95), stats.Quantile(l, 1), len(l))
	}
	return m.scaleEmptyNode(ctx, s, o.docs)
}

// steadyUpload uploads docs documents at rate a second, in five batches a
// second, waits until all are indexed, and returns each node's lag
// sampled meanwhile.
func (s *scaleRun) steadyUpload(ctx context.Context, docs, rate int) (map[string][]int, error) {
	lags := map[string][]int{}
	sampled := make(chan error, 1)
	sctx, cancel := context.WithCancel(ctx)
	go func() { sampled <- s.sampleLag(sctx, lags) }()
	defer func() {
		cancel()
		<-sampled
	}()
	batch := max(1, rate/5)
	for sent := 0; sent < docs; sent += batch {
		t := time.Now()
		if err := s.upload(ctx, sent, min(batch, docs-sent)); err != nil {
			return nil, err
		}
		time.Sleep(time.Until(t.Add(200 * time.Millisecond)))
	}
	if err := s.waitIndexed(ctx, docs); err != nil {
		return nil, err
	}
	return lags, nil
}

// scaleEmptyNode starts a serve node with an empty index and prints how
// long it took to hold the docs documents of the archive.
func (m *Main) scaleEmptyNode(ctx context.Context, s *scaleRun, docs int) error {
	start := time.Now()
	if _, err := s.startNode(ctx, "empty"); err != nil {
		return err
	}
	err := pollUntil(start.Add(5*time.Minute), func() (bool, error) {
		var n int
		err := s.pool.QueryRow(ctx, `SELECT coalesce(max(documents), 0) FROM feed_node WHERE node = 'empty' AND horizon > (SELECT coalesce(max(tx_id), 0) FROM change_feed)`).Scan(&n)
		return n >= docs, err
	}, func() error {
		return fmt.Errorf("the empty node did not catch up within 5 minutes: %s", s.nodeReport(ctx))
	})
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(m.Stdout, "an empty node caught up with %d documents in %v from its start: %.0f documents/s\n", docs, took.Round(time.Millisecond), float64(docs)/took.Seconds())
	return nil
}

// pollUntil asks done every 20 ms until it answers true or fails; once
// deadline has passed it gives up with the error late returns.
func pollUntil(deadline time.Time, done func() (bool, error), late func() error) error {
	for {
		ok, err := done()
		if ok || err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return late()
		}
		time.Sleep(20 * time.Millisecond)
	}
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

// startScale starts an office on a scratch schema with the given numbers
// of worker processes and serve nodes; stop ends it.
func startScale(ctx context.Context, m *Main, o scaleOptions, workers, nodes int) (*scaleRun, error) {
	dir, err := os.MkdirTemp("", "hoso-bench-scale-")
	if err != nil {
		return nil, err
	}
	s := &scaleRun{m: m, exe: o.exe, url: o.pgURL, schema: scratchSchema("hoso_scale"), dir: dir}
	if err := s.start(ctx, o.blobURL, workers, nodes); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// start sets the office up, then starts its nodes and its workers.
func (s *scaleRun) start(ctx context.Context, blobURL string, workers, nodes int) error {
	if err := s.setUp(ctx, blobURL); err != nil {
		return err
	}
	if err := s.openPool(ctx); err != nil {
		return err
	}
	for i := range nodes {
		if _, err := s.startNode(ctx, fmt.Sprintf("node-%d", i+1)); err != nil {
			return err
		}
	}
	for i := range workers {
		if err := s.startWorker(fmt.Sprintf("worker-%d", i+1), blobURL); err != nil {
			return err
		}
	}
	return nil
}

// setUp migrates the schema and makes a supervisor and its API token with
// hoso's own commands, run in this process on an admin data folder, and
// keeps the token, the audit key and the environment every process of
// the office starts with.
func (s *scaleRun) setUp(ctx context.Context, blobURL string) error {
	m := s.m
	env := map[string]string{"HOSO_DATABASE_URL": s.url, "HOSO_DATABASE_SCHEMA": s.schema, "HOSO_DATA": filepath.Join(s.dir, "admin"),
		"HOSO_EXTRACT_CHILDREN": m.Getenv("HOSO_EXTRACT_CHILDREN"), "HOSO_BLOB_URL": blobURL,
		"AWS_ACCESS_KEY_ID": m.Getenv("AWS_ACCESS_KEY_ID"), "AWS_SECRET_ACCESS_KEY": m.Getenv("AWS_SECRET_ACCESS_KEY")}
	var out bytes.Buffer
	sub := &Main{Stdout: &out, Stderr: io.Discard, Getenv: func(k string) string { return env[k] }}
	for _, args := range [][]string{{"migrate"}, {"users", "add", "--name", "bench", "--role", "supervisor", "--department", "one-stop"}, {"users", "token", "--name", "bench"}} {
		out.Reset()
		if code := sub.Run(ctx, args); code != 0 {
			return fmt.Errorf("hoso %s failed", strings.Join(args, " "))
		}
	}
	s.token = strings.TrimSpace(out.String())
	key, err := os.ReadFile(filepath.Join(s.dir, "admin", auditKeyFile))
	if err != nil {
		return err
	}
	s.auditKey = key // every process keys the audit chain alike
	for k, v := range env {
		if k != "HOSO_DATA" {
			s.env = append(s.env, k+"="+v)
		}
	}
	return nil
}

// openPool opens the bench's own connections to the office's schema, to
// watch its documents and its nodes.
func (s *scaleRun) openPool(ctx context.Context) error {
	cfg, err := pgxpool.ParseConfig(s.url)
	if err != nil {
		return err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = s.schema
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	return err
}

// startWorker starts a worker process; without blobURL it shares the
// first node's data folder, where the originals are.
func (s *scaleRun) startWorker(name, blobURL string) error {
	p := &scaleProc{name: name}
	data := p.name
	if blobURL == "" {
		data = s.nodes[0].name
	}
	p.cmd = s.command(data, "worker")
	p.cmd.Env = append(p.cmd.Env, "HOSO_NODE="+p.name)
	if err := p.cmd.Start(); err != nil {
		return err
	}
	s.workers = append(s.workers, p)
	return nil
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
	err = pollUntil(time.Now().Add(time.Minute), func() (bool, error) {
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil, nil
	}, func() error { return fmt.Errorf("serve node %s did not start", name) })
	if err != nil {
		return nil, err
	}
	return p, nil
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
	return pollUntil(time.Now().Add(30*time.Minute), func() (bool, error) {
		var done, failed, behind int
		err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM document WHERE state = 'indexed'), (SELECT count(*) FROM document WHERE state = 'failed'),
			(SELECT count(*) FROM feed_node WHERE horizon <= (SELECT coalesce(max(tx_id), 0) FROM change_feed))`).Scan(&done, &failed, &behind)
		if err != nil {
			return false, err
		}
		if failed > 0 {
			return false, fmt.Errorf("%d documents failed", failed)
		}
		return done >= n && behind == 0, nil
	}, func() error { return fmt.Errorf("documents not indexed within 30 minutes") })
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
