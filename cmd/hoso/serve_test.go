package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/web"
)

// testTokens holds, per served base URL, the API tokens of a supervisor
// of every department and of an admin.
var testTokens sync.Map

type serveTokens struct{ supervisor, admin string }

// tokenFor returns the supervisor's token for a URL of a served test.
func tokenFor(url string) string {
	tok := ""
	testTokens.Range(func(k, v any) bool {
		if strings.HasPrefix(url, k.(string)) {
			tok = v.(serveTokens).supervisor
			return false
		}
		return true
	})
	return tok
}

// adminToken returns the admin's token for a served test.
func adminToken(base string) string {
	v, _ := testTokens.Load(base)
	return v.(serveTokens).admin
}

// testUser adds a user and returns an API token for them.
func testUser(t *testing.T, b backend, name, role string, deps ...string) string {
	t.Helper()
	args := []string{"users", "add", "--name", name, "--role", role}
	for _, d := range deps {
		args = append(args, "--department", d)
	}
	if _, errs, code := run(t, b, args...); code != 0 {
		t.Fatalf("users add %s: %s", name, errs)
	}
	out, errs, code := run(t, b, "users", "token", "--name", name)
	if code != 0 {
		t.Fatalf("users token %s: %s", name, errs)
	}
	return strings.TrimSpace(out)
}

// allDepartments are the departments the migrations create.
var allDepartments = []string{"administration", "construction", "finance", "inspection", "justice", "land", "legal", "one-stop", "police", "tax"}

// serveTest boots `hoso serve` on a free port and returns its base URL.
// A supervisor of every department ("tester") and an admin exist; the
// supervisor's token is in the backend's HOSO_TOKEN.
func serveTest(t *testing.T, b backend) string {
	t.Helper()
	toks := serveTokens{
		supervisor: testUser(t, b, fmt.Sprintf("tester-%d", time.Now().UnixNano()), "supervisor", allDepartments...),
		admin:      testUser(t, b, fmt.Sprintf("root-%d", time.Now().UnixNano()), "admin"),
	}
	b.env["HOSO_TOKEN"] = toks.supervisor
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var errb bytes.Buffer
	m := &Main{Stdout: io.Discard, Stderr: &errb, Getenv: b.getenv, Ready: func(addr string) { ready <- addr }}
	go func() { done <- m.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exit %d: %s", code, errb.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30s of SIGTERM")
		}
	})
	select {
	case addr := <-ready:
		testTokens.Store("http://"+addr, toks)
		return "http://" + addr
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

type upload struct {
	name string // as sent, may hold folders
	body []byte
}

func postBatch(t *testing.T, base, name string, files ...upload) *http.Response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if name != "" {
		mw.WriteField("name", name)
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files"; filename=%q`, f.name))
		w, _ := mw.CreatePart(h)
		w.Write(f.body)
	}
	mw.Close()
	return post(t, base+"/api/v1/batches", mw.FormDataContentType(), &buf)
}

// post sends a request with the served test's supervisor token.
func post(t *testing.T, url, ctype string, body io.Reader) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+tokenFor(url))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func decode[T any](t *testing.T, resp *http.Response, status int) T {
	t.Helper()
	defer resp.Body.Close()
	var v T
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, b)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, b)
	}
	return v
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tokenFor(url))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

type apiErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func TestServeAPI(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			b.env["HOSO_MAX_BATCH_MB"] = "5"
			base := serveTest(t, b)
			pdf, _ := os.ReadFile(filepath.Join("testdata", "fixtures", "permit-application.pdf"))
			don, _ := os.ReadFile(filepath.Join("testdata", "fixtures", "don-de-nghi-cap-phep.txt"))
			created := decode[web.BatchCreated](t, postBatch(t, base, "Phường Hàng Bạc",
				upload{"ho-so/permit-application.pdf", pdf},
				upload{"ho-so/don.txt", don},
				upload{"ban sao/don.txt", don},
				upload{"../../etc/passwd", []byte("root")},
				upload{"scan.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")},
			), http.StatusCreated)
			if created.Batch.Name != "Phường Hàng Bạc" || len(created.Documents) != 4 || len(created.Rejected) != 1 {
				t.Fatalf("created %+v", created)
			}
			if created.Documents[0].Path != "ho-so/permit-application.pdf" || created.Documents[2].DuplicateOf == nil ||
				*created.Documents[2].DuplicateOf != created.Documents[1].DocumentID {
				t.Errorf("documents %+v", created.Documents)
			}
			if !strings.Contains(created.Rejected[0].Reason, "outside") {
				t.Errorf("rejection %+v", created.Rejected[0])
			}

			id := created.Batch.ID
			var st web.BatchStatus
			deadline := time.Now().Add(60 * time.Second)
			for !st.Done {
				if time.Now().After(deadline) {
					t.Fatalf("batch not done within 60s: %+v", st.States)
				}
				st = decode[web.BatchStatus](t, get(t, fmt.Sprintf("%s/api/v1/batches/%d", base, id)), http.StatusOK)
				time.Sleep(50 * time.Millisecond)
			}
			if st.States["indexed"] != 3 || st.States["failed"] != 1 || len(st.Rejections) != 1 {
				t.Errorf("batch states %v, rejections %d", st.States, len(st.Rejections))
			}
			for _, d := range st.Documents {
				// Sixteen bytes of PNG header: OCR cannot open it.
				if d.Filename == "scan.png" && (d.Stage != "ocr" || d.ErrorCode != "corrupt" || !strings.Contains(d.Error, "damaged")) {
					t.Errorf("scan.png: %+v", d)
				}
			}

			pdfID := created.Documents[0].DocumentID
			doc := decode[map[string]any](t, get(t, fmt.Sprintf("%s/api/v1/documents/%d", base, pdfID)), http.StatusOK)
			if doc["mime"] != "application/pdf" || doc["pages"].(float64) != 2 || doc["state"] != "indexed" {
				t.Errorf("document %v", doc)
			}
			text := decode[web.DocumentText](t, get(t, fmt.Sprintf("%s/api/v1/documents/%d/text", base, pdfID)), http.StatusOK)
			if len(text.Pages) != 2 || !strings.Contains(text.Pages[0].Text, "CONSTRUCTION PERMIT") || text.Pages[1].Number != 2 {
				t.Errorf("text %+v", text)
			}

			resp := get(t, fmt.Sprintf("%s/api/v1/documents/%d/original", base, pdfID))
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(body, pdf) || resp.Header.Get("Content-Type") != "application/pdf" ||
				!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("original: %d bytes, headers %v", len(body), resp.Header)
			}
			txtID := created.Documents[1].DocumentID
			resp = get(t, fmt.Sprintf("%s/api/v1/documents/%d/original", base, txtID))
			resp.Body.Close()
			if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
				t.Errorf("a text original is served as %q; only safe types may be named", ct)
			}

			found := decode[map[string]any](t, get(t, base+"/api/v1/search?q=CONSTRUCTION+PERMIT&limit=5"), http.StatusOK)
			hits, _ := found["hits"].([]any)
			if found["total"].(float64) != 1 || len(hits) != 1 || hits[0].(map[string]any)["id"].(float64) != float64(pdfID) {
				t.Errorf("search: %v", found)
			}
			found = decode[map[string]any](t, get(t, base+"/api/v1/search?q=gi%E1%BA%A5y+ph%C3%A9p+x%C3%A2y+d%E1%BB%B1ng&type=construction"), http.StatusOK)
			if found["total"].(float64) != 2 {
				t.Errorf("search in Vietnamese with a type filter: %v", found)
			}
			for _, tc := range []struct {
				url    string
				status int
				code   string
			}{
				{"/api/v1/documents/999999", http.StatusNotFound, "not_found"},
				{"/api/v1/documents/abc", http.StatusBadRequest, "invalid"},
				{"/api/v1/batches/999999", http.StatusNotFound, "not_found"},
				{"/api/v1/search?from=yesterday", http.StatusBadRequest, "invalid"},
				{"/api/v1/search?q=%22open", http.StatusBadRequest, "invalid"},
			} {
				e := decode[apiErrorBody](t, get(t, base+tc.url), tc.status)
				if e.Error.Code != tc.code || e.Error.Message == "" {
					t.Errorf("GET %s: %+v", tc.url, e)
				}
			}
			e := decode[apiErrorBody](t, postBatch(t, base, "", upload{"a.txt", []byte("x")}), http.StatusBadRequest)
			if !strings.Contains(e.Error.Message, "name") {
				t.Errorf("upload without a name: %+v", e)
			}
			e = decode[apiErrorBody](t, postBatch(t, base, "too big", upload{"big.bin", bytes.Repeat([]byte("x"), 16<<20)}), http.StatusRequestEntityTooLarge)
			if e.Error.Code != "too_large" {
				t.Errorf("oversize upload: %+v", e)
			}
		})
	}
}

// TestIngestCommand uploads a folder with `hoso ingest --wait` to a served
// hoso and reads its per-file report.
func TestIngestCommand(t *testing.T) {
	b := backends(t)[0]
	base := serveTest(t, b)
	client := backend{name: "client", env: map[string]string{}}
	out, errs, code := run(t, client, "ingest", "--server", base, "--token", tokenFor(base), "--batch", "Sở Tư pháp", "--wait", "--quiet",
		filepath.Join("testdata", "fixtures"), filepath.Join(builtFiles(t), "hostile", "zip-slip.zip"))
	if code != 0 {
		t.Fatalf("ingest exit %d: %s", code, errs)
	}
	for _, want := range []string{
		`Batch 1 "Sở Tư pháp": 11 documents accepted, 1 files refused`,
		"accepted", "fixtures/bien-ban-hop.docx",
		"refused", "zip-slip.zip/../../",
		"Batch 1 finished: 11 indexed",
		"indexed   ", "fixtures/permit-application.pdf (2 pages)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest output lacks %q:\n%s", want, out)
		}
	}
	_, errs, code = run(t, client, "ingest", "--server", "http://127.0.0.1:1", "--token", "x", "--quiet", filepath.Join("testdata", "fixtures"))
	if code != 1 || !strings.Contains(errs, "upload to http://127.0.0.1:1") {
		t.Errorf("ingest to a dead server: exit %d, %q", code, errs)
	}
}

// TestServeAdminEndpoints: /metrics and River's UI answer admins, and
// only admins.
func TestServeAdminEndpoints(t *testing.T) {
	b := backends(t)[0]
	if _, errs, code := run(t, b, "process", filepath.Join("testdata", "fixtures")); code != 0 {
		t.Fatal(errs)
	}
	base := serveTest(t, b)
	call := func(token, path string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, body := call(adminToken(base), "/metrics")
	for _, want := range []string{`hoso_documents{state="indexed"} 10`, `hoso_queue_depth{queue="extract"} 0`, "hoso_index_lag 0"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q (status %d)", want, code)
		}
	}
	code, body = call(adminToken(base), "/admin/jobs/")
	if code != 200 || !strings.Contains(body, "<html") || !strings.Contains(body, `class="hoso-back"`) || !strings.Contains(body, `href="/static/jobs.css"`) {
		t.Errorf("/admin/jobs/ (with a way back to hoso): %d %.400s", code, body)
	}
	code, body = call(adminToken(base), "/admin/jobs/api/jobs?state=completed&limit=5")
	if code != 200 || !strings.Contains(body, `"kind":"detect"`) {
		t.Errorf("River UI's job list: %d %.300s", code, body)
	}
	for _, path := range []string{"/metrics", "/admin/jobs/", "/admin/jobs/api/jobs?state=completed"} {
		if code, _ := call(tokenFor(base), path); code != http.StatusForbidden {
			t.Errorf("%s as a supervisor: %d, want 403", path, code)
		}
	}
}
