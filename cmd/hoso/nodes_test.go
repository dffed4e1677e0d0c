package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hoso/pipeline/blob/blobtest"
	"hoso/web"
)

// node is a hoso process of a multi-node test: its own data folder (and
// so its own index) and port.
type node struct {
	name, data, base string
	args             []string
	auditKey         []byte // every machine keys the audit chain with the same secret
	cmd              *exec.Cmd
	log              *logBuffer
}

// logBuffer holds a node's standard error. exec copies the child's output
// in a goroutine of its own, so the test reads it under a lock, and a line
// the child wrote before it answered may still be on its way.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor reports whether the log holds s within a few seconds.
func (l *logBuffer) waitFor(s string) bool {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(l.String(), s) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func (n *node) start(t *testing.T, b backend) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(n.data, "audit.key"), n.auditKey, 0o600); err != nil {
		t.Fatal(err)
	}
	n.cmd = hosoCommand(b, n.args...)
	n.cmd.Env = append(n.cmd.Env, "HOSO_DATA="+n.data, "HOSO_NODE="+n.name)
	n.log = &logBuffer{}
	n.cmd.Stderr = n.log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd := n.cmd
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	if n.base == "" {
		return
	}
	for deadline := time.Now().Add(time.Minute); ; {
		resp, err := http.Get(n.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start: %v\n%s", n.name, err, n.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the node with SIGKILL, children and all.
func (n *node) kill() {
	syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
	n.cmd.Wait()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func apiGet[T any](t *testing.T, url, token string) T {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return v
}

// hitIDs searches through a node for the word every document of the test
// holds, waiting for the position, and returns the hits' IDs, sorted, page
// after page.
func hitIDs(t *testing.T, n *node, token string, position int64) ([]int64, bool) {
	t.Helper()
	var ids []int64
	stale, after := false, ""
	for {
		res := apiGet[web.SearchAnswer](t, fmt.Sprintf("%s/api/v1/search?q=nhieumay&limit=100&facets=false&min_position=%d&after=%s", n.base, position, url.QueryEscape(after)), token)
		stale = stale || res.Stale
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		if res.Next == "" || len(res.Hits) == 0 {
			break
		}
		after = res.Next
	}
	slices.Sort(ids)
	return ids, stale
}

// uploadBatch sends count documents, numbered from first, through a node.
func uploadBatch(n *node, token string, first, count int) (web.BatchCreated, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("name", fmt.Sprintf("nodes %d", first))
	for i := first; i < first+count; i++ {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files"; filename="to-trinh-%03d.txt"`, i))
		w, _ := mw.CreatePart(h)
		fmt.Fprintf(w, "Tờ trình số %d/TTr về việc cấp phép xây dựng nhà ở riêng lẻ, hồ sơ nhieumay mã hs%04dq, ngày %d tháng %d.\n", i, i, i%28+1, i%12+1)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", n.base+"/api/v1/batches", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return web.BatchCreated{}, err
	}
	defer resp.Body.Close()
	var created web.BatchCreated
	json.NewDecoder(resp.Body).Decode(&created)
	if resp.StatusCode != http.StatusCreated || len(created.Documents) != count {
		return created, fmt.Errorf("upload through node %s: %d, %d documents", n.name, resp.StatusCode, len(created.Documents))
	}
	return created, nil
}

// waitNodeBatch waits until every document of a batch is done, as a node
// tells, and returns the batch's status.
func waitNodeBatch(t *testing.T, n *node, token string, id int64) web.BatchStatus {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Minute); ; {
		st := apiGet[web.BatchStatus](t, fmt.Sprintf("%s/api/v1/batches/%d", n.base, id), token)
		if st.Done {
			if st.Position == 0 {
				t.Fatalf("batch %d is done without a change-feed position", id)
			}
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %d not done after 5 minutes: %v", id, st.States)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSeveralNodes runs an office on one machine as it would run on
// several: PostgreSQL, an S3 server for the originals, two serve nodes
// with indexes of their own and a worker. The worker and the node that
// took the upload are killed in the middle; every document still reaches
// both indexes exactly once, a search through the other node with the
// upload's position finds them all, and a third node started empty
// unpacks node b's index snapshot, catches up and answers the same.
func TestSeveralNodes(t *testing.T) {
	bs := backends(t)
	if len(bs) < 2 {
		t.Skip("PostgreSQL only")
	}
	b := bs[1]
	s3 := blobtest.StartS3(t)
	b.env["HOSO_BLOB_URL"] = s3.URL
	b.env["AWS_ACCESS_KEY_ID"], b.env["AWS_SECRET_ACCESS_KEY"] = s3.AccessKey, s3.SecretKey
	b.env["HOSO_EXTRACT_CHILDREN"] = "1"
	if _, errs, code := run(t, b, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errs)
	}
	token := testUser(t, b, "nodes", "supervisor", allDepartments...)
	auditKey, err := os.ReadFile(filepath.Join(b.env["HOSO_DATA"], "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	serveNode := func(name string) *node {
		addr := freeAddr(t)
		return &node{name: name, data: t.TempDir(), base: "http://" + addr, args: []string{"serve", "--addr", addr, "--queues", "default"}, auditKey: auditKey}
	}
	a, bb := serveNode("a"), serveNode("b")
	// Node b publishes index snapshots to the S3 server, for node c.
	bb.args = append(bb.args, "--snapshot-every", "1s")
	worker := &node{name: "worker", data: t.TempDir(), args: []string{"worker"}, auditKey: auditKey}
	for _, n := range []*node{a, bb, worker} {
		n.start(t, b)
	}

	// The serve nodes work no stage (the periodic checks only): the
	// worker is killed while the upload goes on through node a, and node
	// a once it is done, with documents at every stage.
	const docs = 200
	probe := openProbe(t, b)
	done := `SELECT count(*) FROM document WHERE state IN ('checked', 'indexed', 'failed')`
	uploaded := make(chan error, 1)
	var created web.BatchCreated
	go func() {
		var err error
		created, err = uploadBatch(a, token, 0, docs)
		uploaded <- err
	}()
	for deadline := time.Now().Add(2 * time.Minute); probe(done) < 10 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	worker.kill()
	if err := <-uploaded; err != nil {
		t.Fatal(err)
	}
	atKill := probe(done)
	a.kill()
	t.Logf("the worker killed, then node a, with %d of %d documents through the pipeline", atKill, docs)
	if atKill == docs {
		t.Error("every document was through before the kills: the test proved nothing")
	}
	a.start(t, b)
	worker.start(t, b)
	position := waitNodeBatch(t, bb, token, created.Batch.ID).Position
	if n := probe(`SELECT count(*) FROM document WHERE state = 'indexed'`); n != docs {
		t.Fatalf("%d documents indexed, want %d", n, docs)
	}
	// Exactly once: one "checked" change-feed entry (flags add their own)
	// and one job of each stage per document, however the kills fell.
	if n := probe(`SELECT count(*) FROM (SELECT document_id FROM change_feed WHERE op = 'checked' GROUP BY document_id HAVING count(*) <> 1) d`); n != 0 {
		t.Errorf("%d documents checked other than once", n)
	}
	if n := probe(`SELECT count(DISTINCT document_id) FROM change_feed`); n != docs {
		t.Errorf("%d documents in the change feed, want %d", n, docs)
	}
	for _, kind := range []string{"extract", "classify", "detect"} {
		if n := probe(fmt.Sprintf(`SELECT count(*) FROM (SELECT args->>'document_id' FROM river_job WHERE kind = '%s' GROUP BY 1 HAVING count(*) <> 1) d`, kind)); n != 0 {
			t.Errorf("%d documents with other than one %s job", n, kind)
		}
	}
	if n := probe(`SELECT count(*) FROM (SELECT kind, flag_key FROM flag GROUP BY 1, 2 HAVING count(*) <> 1) d`); n != 0 {
		t.Errorf("%d flags raised twice", n)
	}

	want, stale := hitIDs(t, bb, token, position)
	if stale || len(want) != docs {
		t.Fatalf("search through node b with the upload's position: %d hits (stale %v), want %d", len(want), stale, docs)
	}
	if got, stale := hitIDs(t, a, token, position); stale || !slices.Equal(got, want) {
		t.Errorf("search through node a: %d hits (stale %v), want the same %d as node b", len(got), stale, len(want))
	}
	snapshotted := `SELECT count(*) FROM index_snapshot WHERE node = 'b' AND documents = 200`
	for deadline := time.Now().Add(time.Minute); probe(snapshotted) == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if probe(snapshotted) == 0 {
		t.Fatalf("node b published no index snapshot of the %d documents\n%s", docs, bb.log.String())
	}
	c := serveNode("c")
	started := time.Now()
	c.start(t, b)
	// Written before node c listens, but copied from its pipe by another
	// goroutine: waited for, not read once.
	if !c.log.waitFor("Search index unpacked from snapshot") {
		t.Errorf("node c did not start from node b's snapshot:\n%s", c.log.String())
	}
	got, stale := hitIDs(t, c, token, position)
	for stale && time.Since(started) < 3*time.Minute {
		got, stale = hitIDs(t, c, token, position)
	}
	if stale || !slices.Equal(got, want) {
		t.Errorf("node c, started empty: %d hits (stale %v), want the same %d as node b", len(got), stale, len(want))
	}
	t.Logf("node c caught up with %d documents in %v", docs, time.Since(started).Round(10*time.Millisecond))
	// Each node records its place just after it answers from it.
	reported := `SELECT count(*) FROM feed_node WHERE node IN ('a', 'b', 'c') AND documents = 200`
	for deadline := time.Now().Add(30 * time.Second); probe(reported) != 3 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if n := probe(reported); n != 3 {
		t.Errorf("%d nodes report %d documents in their index, want 3", n, docs)
	}
	// Any node's document API says which nodes hold the document.
	holders := func(info web.DocumentInfo) (s string) {
		for _, n := range info.Search.Nodes {
			if n.Holds && slices.Contains([]string{"a", "b", "c"}, n.Node) {
				s += n.Node
			}
		}
		return s
	}
	docURL := fmt.Sprintf("%s/api/v1/documents/%d", bb.base, want[0])
	info := apiGet[web.DocumentInfo](t, docURL, token)
	for deadline := time.Now().Add(30 * time.Second); holders(info) != "abc" && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		info = apiGet[web.DocumentInfo](t, docURL, token)
	}
	if holders(info) != "abc" || info.Search.Position == nil {
		t.Errorf("document %d held by nodes %q, want abc: %+v", want[0], holders(info), info.Search)
	}
	// The worker read every original from the S3 server: its data folder
	// is its own, and the uploads went to node a's.
}
