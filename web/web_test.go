package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"hoso/ingest"
	"hoso/pipeline"
	"hoso/pipeline/blob"
	"hoso/pipeline/sqlite/sqlitetest"
	"hoso/pipeline/sqlstore"
	"hoso/search"
	"hoso/web"
	"hoso/web/auth"
)

// fixture is a real server over SQLite, a blob store and a Bleve index,
// with two departments' documents, a flag in each, and a user of every
// role.
type fixture struct {
	t      *testing.T
	store  *sqlstore.Store
	blobs  *blob.Dir
	index  *search.Index
	server *web.Server
	ts     *httptest.Server
	// tokens by user name; docs and flags by department
	tokens    map[string]string
	passwords map[string]string
	doc       map[string]int64
	flag      map[string]int64
	batch     map[string]int64
}

const testPassword = "correct horse battery"

func newFixture(t *testing.T, cfg web.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	st, _, blobs := sqlitetest.Open(t)
	ix, err := search.Open(filepath.Join(t.TempDir(), "index"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	f := &fixture{t: t, store: st, index: ix, tokens: map[string]string{}, passwords: map[string]string{},
		doc: map[string]int64{}, flag: map[string]int64{}, batch: map[string]int64{}}
	hash, err := auth.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []pipeline.User{
		{Name: "clerk-land", Role: pipeline.RoleClerk, Departments: []string{"land"}},
		{Name: "officer-land", Role: pipeline.RoleOfficer, Departments: []string{"land"}},
		{Name: "officer-tax", Role: pipeline.RoleOfficer, Departments: []string{"tax"}},
		{Name: "supervisor-land", Role: pipeline.RoleSupervisor, Departments: []string{"land"}},
		{Name: "admin", Role: pipeline.RoleAdmin},
	} {
		u.PasswordHash = hash
		created, err := st.UserCreate(ctx, &u)
		if err != nil {
			t.Fatal(err)
		}
		secret := auth.NewSecret("hoso_")
		if _, err := st.TokenCreate(ctx, created.ID, "test", auth.HashSecret(secret)); err != nil {
			t.Fatal(err)
		}
		f.tokens[u.Name], f.passwords[u.Name] = secret, testPassword
	}
	// One document per department, both mentioning the same applicant,
	// and a flag in each department.
	for i, dep := range []string{"land", "tax"} {
		b, err := st.BatchCreate(ctx, pipeline.BatchCreateParams{Name: dep + " batch", Department: dep})
		if err != nil {
			t.Fatal(err)
		}
		f.batch[dep] = b.ID
		info, err := blobs.Put(ctx, strings.NewReader("%PDF-1.4 fake "+dep), 0)
		if err != nil {
			t.Fatal(err)
		}
		d, err := st.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: b.ID, Filename: dep + ".pdf", Path: dep + ".pdf", SHA256: info.SHA256, Size: info.Size, MIME: "application/pdf"})
		if err != nil {
			t.Fatal(err)
		}
		text := fmt.Sprintf("Đơn đề nghị của ông Nguyễn Văn Thành về hồ sơ %s, số điện thoại 0912 345 678.", map[string]string{"land": "đất đai", "tax": "thuế"}[dep])
		if err := st.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, MIME: "application/pdf", Language: "vi",
			Pages: []pipeline.Page{{Number: 1, Text: text, Quality: 1, Extractor: "pdf"}}, Quality: 1, Extractor: "pdf"}); err != nil {
			t.Fatal(err)
		}
		if err := st.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: pipeline.Classification{
			Type: []string{"application", "complaint"}[i], Department: dep, Rule: "test"}}); err != nil {
			t.Fatal(err)
		}
		if err := st.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: d.ID, Flags: []pipeline.FlagUpsert{{
			Kind: "red_flag", Key: dep, Severity: "high", Department: dep, Title: "flag in " + dep,
			Evidence: []pipeline.FlagEvidence{{DocumentID: d.ID, Detail: `"Nguyễn Văn Thành" on page 1, character 20`}},
		}}}); err != nil {
			t.Fatal(err)
		}
		f.doc[dep] = d.ID
		fl, err := st.FlagList(ctx, pipeline.FlagListParams{Scope: pipeline.ScopeAll, DocumentID: d.ID})
		if err != nil || len(fl) != 1 {
			t.Fatalf("flag of %s: %v, %v", dep, fl, err)
		}
		f.flag[dep] = fl[0].ID
	}
	if err := (&search.Indexer{Index: ix, Store: st}).DrainCommitted(ctx); err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Blobs, cfg.Index = st, blobs, ix
	f.blobs = blobs
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(tWriter{t}, nil))
	}
	if cfg.Jobs == nil {
		cfg.Jobs = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "river UI") })
	}
	if cfg.Metrics == nil {
		cfg.Metrics = web.NewMetrics(st, ix, nil).Handler()
	}
	cfg.Ingester = &ingest.Ingester{Store: st, Blobs: blobs}
	f.server = web.New(cfg)
	f.ts = httptest.NewServer(f.server)
	t.Cleanup(f.ts.Close)
	return f
}

// do sends a request as a user (by token; "" for nobody) and returns the
// response with its body read.
func (f *fixture) do(user, method, path string, body io.Reader, header ...string) (*http.Response, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[user])
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// tWriter sends the server's log to the test's.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
