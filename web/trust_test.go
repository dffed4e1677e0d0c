package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/netip"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"hoso/pipeline"

	"hoso/web"
	"hoso/web/auth"
)

// TestSessionsRevokedOnPasswordChange: a password change ends every other
// session of the user (the one that made it stays); an admin's reset and
// disabling end them all.
func TestSessionsRevokedOnPasswordChange(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	thief, owner := f.browser(), f.browser()
	thief.login("officer-land", testPassword, "/")
	owner.login("officer-land", testPassword, "/")
	if resp, _ := thief.do("GET", "/api/v1/me", nil); resp.StatusCode != 200 {
		t.Fatalf("thief signed in: %d", resp.StatusCode)
	}
	newPassword := "a new and long passphrase 42"
	resp, body := owner.do("POST", "/account/password", url.Values{"current": {testPassword}, "new": {newPassword}, "again": {newPassword}})
	if resp.StatusCode != 303 {
		t.Fatalf("password change: %d %s", resp.StatusCode, body)
	}
	if resp, _ := owner.do("GET", "/api/v1/me", nil); resp.StatusCode != 200 {
		t.Errorf("the session that changed the password: %d, want 200", resp.StatusCode)
	}
	if resp, _ := thief.do("GET", "/api/v1/me", nil); resp.StatusCode != 401 {
		t.Errorf("another session after a password change: %d, want 401", resp.StatusCode)
	}

	// An admin's reset ends the owner's session too.
	admin := f.browser()
	admin.login("admin", testPassword, "/")
	u, _ := f.store.UserGetByName(ctx, "officer-land")
	if resp, body := admin.do("POST", "/admin/users/"+itoa(u.ID), url.Values{"action": {"reset"}}); resp.StatusCode != 200 {
		t.Fatalf("reset: %d %s", resp.StatusCode, body)
	}
	if resp, _ := owner.do("GET", "/api/v1/me", nil); resp.StatusCode != 401 {
		t.Errorf("a session after a reset: %d, want 401", resp.StatusCode)
	}
	// Disabling ends sessions as well.
	clerk := f.browser()
	clerk.login("clerk-land", testPassword, "/")
	c, _ := f.store.UserGetByName(ctx, "clerk-land")
	admin.do("POST", "/admin/users/"+itoa(c.ID), url.Values{"action": {"disable"}})
	admin.do("POST", "/admin/users/"+itoa(c.ID), url.Values{"action": {"enable"}})
	if resp, _ := clerk.do("GET", "/api/v1/me", nil); resp.StatusCode != 401 {
		t.Errorf("a session after disabling and enabling: %d, want 401", resp.StatusCode)
	}
}

// TestAPIRefusesMustChangePassword: a one-time password opens only the page
// that replaces it; the API refuses the session (it read texts before).
func TestAPIRefusesMustChangePassword(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	u, _ := f.store.UserGetByName(ctx, "officer-land")
	u.MustChangePassword = true
	u.PasswordHash, _ = auth.HashPassword("one-time password 1234")
	if err := f.store.UserUpdate(ctx, u); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	if resp := b.login("officer-land", "one-time password 1234", "/"); resp.Header.Get("Location") != "/account/password" {
		t.Fatalf("sign-in with a one-time password went to %q", resp.Header.Get("Location"))
	}
	for _, path := range []string{"/api/v1/documents/" + itoa(f.doc["land"]) + "/text", "/api/v1/search?q=Thành", "/api/v1/documents/" + itoa(f.doc["land"])} {
		if resp, body := b.do("GET", path, nil); resp.StatusCode != 403 {
			t.Errorf("GET %s with a one-time password: %d %s, want 403", path, resp.StatusCode, body)
		}
	}
	if resp, _ := b.do("GET", "/search?q=Thành", nil); resp.StatusCode != 303 || resp.Header.Get("Location") != "/account/password" {
		t.Errorf("a page with a one-time password: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.do("POST", "/logout", url.Values{}); resp.StatusCode != 303 {
		t.Errorf("sign out with a one-time password: %d", resp.StatusCode)
	}
}

// TestLoginSameAnswerForAll: an unknown name, a disabled account, a locked
// account and a wrong password get the same status and the same page, and
// each failure is in the trail with its reason.
func TestLoginSameAnswerForAll(t *testing.T) {
	f := newFixture(t, web.Config{MaxFailedLogins: 2, LockFor: time.Hour, LoginsPerAddress: 1000})
	ctx := context.Background()
	d, _ := f.store.UserGetByName(ctx, "officer-tax")
	d.Disabled = true
	if err := f.store.UserUpdate(ctx, d); err != nil {
		t.Fatal(err)
	}
	l, _ := f.store.UserGetByName(ctx, "clerk-land")
	l.LockedUntil = time.Now().Add(time.Hour)
	if err := f.store.UserUpdate(ctx, l); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		body   string
	}
	try := func(name, password string) answer {
		resp, body := f.browser().do("POST", "/login", url.Values{"name": {name}, "password": {password}}, "Accept-Language", "en")
		// The page repeats the name typed; take it out to compare.
		return answer{resp.StatusCode, strings.ReplaceAll(body, name, "NAME")}
	}
	want := try("officer-land", "wrong password")
	if want.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", want.status)
	}
	for _, c := range []struct{ what, name, password string }{
		{"unknown name", "nobody-at-all", "wrong password"},
		{"disabled account, right password", "officer-tax", testPassword},
		{"disabled account, wrong password", "officer-tax", "wrong password"},
		{"locked account, right password", "clerk-land", testPassword},
	} {
		if got := try(c.name, c.password); got != want {
			t.Errorf("%s: %d, want the same answer as a wrong password (%d)\n%s", c.what, got.status, want.status, got.body)
		}
	}
	recs, _ := f.store.AuditList(ctx, pipeline.AuditListParams{Action: pipeline.AuditLoginFailed})
	reasons := map[string]bool{}
	for _, r := range recs {
		var d map[string]string
		json.Unmarshal([]byte(r.Detail), &d)
		reasons[d["reason"]] = true
	}
	for _, r := range []string{"unknown", "disabled", "locked", "password"} {
		if !reasons[r] {
			t.Errorf("no failed sign-in recorded with reason %q: %v", r, reasons)
		}
	}
}

// TestLoginLimiterCountsFailures: good sign-ins never lock an address out
// (17 good ones locked out the 18th); failures do.
func TestLoginLimiterCountsFailures(t *testing.T) {
	f := newFixture(t, web.Config{LoginsPerAddress: 5, LoginWindow: time.Hour, MaxFailedLogins: 100})
	for i := range 12 {
		if resp := f.browser().login("officer-land", testPassword, "/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("good sign-in %d: %d", i+1, resp.StatusCode)
		}
	}
	for range 5 {
		f.browser().login("officer-land", "wrong", "/")
	}
	if resp := f.browser().login("officer-land", testPassword, "/"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after 5 failures from one address: %d, want 401", resp.StatusCode)
	}
}

// TestTrustedProxies: X-Forwarded-For is believed only from a configured
// proxy; otherwise a client cannot pick the address it is counted and
// recorded under.
func TestTrustedProxies(t *testing.T) {
	for _, c := range []struct {
		name    string
		proxies []netip.Prefix
		want    string
	}{
		{"no proxy configured", nil, "127.0.0.1"},
		{"behind a trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "203.0.113.7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, web.Config{TrustedProxies: c.proxies, LoginsPerAddress: 2, LoginWindow: time.Hour, MaxFailedLogins: 100})
			b := f.browser()
			// The client forges a first hop; the proxy appends the real one.
			for range 3 {
				b.do("POST", "/login", url.Values{"name": {"officer-land"}, "password": {"wrong"}}, "X-Forwarded-For", "10.9.9.9, 203.0.113.7")
			}
			recs, _ := f.store.AuditList(context.Background(), pipeline.AuditListParams{Action: pipeline.AuditLoginFailed})
			if len(recs) == 0 || recs[0].Remote != c.want {
				t.Fatalf("recorded address %+v, want %s", recs, c.want)
			}
			// The limit applies to the client's address, not the proxy's:
			// another client behind the same proxy still gets in.
			resp, _ := b.do("POST", "/login", url.Values{"name": {"officer-land"}, "password": {testPassword}}, "X-Forwarded-For", "198.51.100.1")
			wantStatus := http.StatusSeeOther
			if c.proxies == nil {
				wantStatus = http.StatusUnauthorized // all come from 127.0.0.1
			}
			if resp.StatusCode != wantStatus {
				t.Errorf("another client: %d, want %d", resp.StatusCode, wantStatus)
			}
		})
	}
}

// TestReadsAudited: reads of content and lists leave records, from the
// pages and the API: page images and the correction form, batches, the
// flag list, the dashboard, the audit trail itself, metrics, River's job
// actions; a failed search too, with its query cut to 1,000 characters.
func TestReadsAudited(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	doc, batch := itoa(f.doc["land"]), itoa(f.batch["land"])
	cases := []struct {
		user, method, path string
		object, part       string
	}{
		{"clerk-land", "GET", "/documents/" + doc + "/pages/1/edit", "document:" + doc, "page_text"},
		{"clerk-land", "GET", "/batches/" + batch, "batch:" + batch, ""},
		{"clerk-land", "GET", "/api/v1/batches/" + batch, "batch:" + batch, ""},
		{"clerk-land", "GET", "/api/v1/batches", "batches", ""},
		{"supervisor-land", "GET", "/flags", "flags", ""},
		{"supervisor-land", "GET", "/api/v1/flags", "flags", ""},
		{"supervisor-land", "GET", "/dashboard", "dashboard", ""},
		{"admin", "GET", "/admin/audit", "audit", ""},
		{"admin", "GET", "/api/v1/audit", "audit", ""},
		{"admin", "GET", "/metrics", "metrics", ""},
		{"admin", "POST", "/admin/jobs/api/jobs/delete", "jobs", ""},
	}
	for _, c := range cases {
		resp, body := f.do(c.user, c.method, c.path, strings.NewReader("{}"), "Content-Type", "application/json")
		if resp.StatusCode >= 400 {
			t.Errorf("%s %s: %d %s", c.method, c.path, resp.StatusCode, body)
			continue
		}
		recs, _ := f.store.AuditList(ctx, pipeline.AuditListParams{BeforeSeq: 1 << 62, Limit: 1})
		if len(recs) == 0 || recs[0].Object != c.object || recs[0].UserName != c.user || !strings.Contains(recs[0].Detail, c.part) {
			t.Errorf("%s %s left no record of %s: %+v", c.method, c.path, c.object, recs)
		}
	}
	// A page refreshing itself is one record per ten minutes; every read
	// of a document's text is one.
	count := func(obj string) int {
		recs, _ := f.store.AuditList(ctx, pipeline.AuditListParams{Object: obj, Limit: 1000})
		return len(recs)
	}
	before, beforeDoc := count("dashboard"), count("document:"+doc)
	for range 3 {
		f.do("supervisor-land", "GET", "/dashboard", nil)
		f.do("supervisor-land", "GET", "/api/v1/documents/"+doc+"/text", nil)
	}
	if n := count("dashboard") - before; n != 0 {
		t.Errorf("three more dashboard views: %d more records, want 0 (one within ten minutes is on record)", n)
	}
	if n := count("document:"+doc) - beforeDoc; n != 3 {
		t.Errorf("three reads of a text: %d records, want 3", n)
	}
	// A failed search is recorded, with at most 1,000 characters of it.
	long := strings.Repeat("a ", 50_000)
	resp, body := f.do("officer-land", "GET", "/api/v1/search?q="+url.QueryEscape(long), nil, "Accept-Language", "en")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "characters") {
		t.Errorf("a 100 KB query: %d %s, want 400 saying it is too long", resp.StatusCode, body)
	}
	recs, _ := f.store.AuditList(ctx, pipeline.AuditListParams{Action: pipeline.AuditSearch, BeforeSeq: 1 << 62, Limit: 1})
	if len(recs) != 1 || !strings.Contains(recs[0].Detail, `"error":"invalid"`) || len(recs[0].Detail) > 1200 {
		t.Errorf("failed search record: %d records, detail of %d bytes", len(recs), len(recs[0].Detail))
	}
}

// TestNoStoreAndNoListing: originals, texts and API answers are not kept
// by browsers or proxies; /static/ lists nothing.
func TestNoStoreAndNoListing(t *testing.T) {
	f := newFixture(t, web.Config{})
	doc := itoa(f.doc["land"])
	for _, path := range []string{"/api/v1/documents/" + doc + "/original", "/documents/" + doc + "/original", "/api/v1/documents/" + doc + "/text",
		"/api/v1/documents/" + doc, "/api/v1/me", "/documents/" + doc} {
		resp, _ := f.do("officer-land", "GET", path, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: %d, Cache-Control %q; want no-store", path, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
	for _, path := range []string{"/static/", "/static/../static/", "/static//"} {
		resp, body := f.do("", "GET", path, nil)
		if resp.StatusCode == 200 || strings.Contains(body, `<a href="app.css">`) {
			t.Errorf("GET %s: %d lists the folder", path, resp.StatusCode)
		}
	}
	if resp, _ := f.do("", "GET", "/static/app.css", nil); resp.StatusCode != 200 {
		t.Errorf("GET /static/app.css: %d", resp.StatusCode)
	}
}

// TestPasswordChangeRefusesCommon: "aaaaaaaaaa" was accepted as a new
// password; common, repetitive and name-like ones are refused with a
// reason.
func TestPasswordChangeRefusesCommon(t *testing.T) {
	f := newFixture(t, web.Config{})
	b := f.browser()
	b.login("officer-land", testPassword, "/")
	for _, c := range []struct{ password, want string }{
		{"aaaaaaaaaa", "too easy to guess"},
		{"Password2024!", "too easy to guess"},
		{"officer-land-2024", "user name"},
	} {
		resp, body := b.do("POST", "/account/password", url.Values{"current": {testPassword}, "new": {c.password}, "again": {c.password}}, "Accept-Language", "en")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("new password %q: %d, want 400 saying %q", c.password, resp.StatusCode, c.want)
		}
	}
}

// rawUpload posts a hand-made multipart body as clerk-land.
func rawUpload(f *fixture, body string) (*http.Response, string) {
	f.t.Helper()
	return f.do("clerk-land", "POST", "/api/v1/batches", strings.NewReader(body), "Content-Type", "multipart/form-data; boundary=XX", "Accept-Language", "en")
}

func rawPart(name, filename, content string) string {
	return "--XX\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename + "\"\r\n\r\n" + content + "\r\n"
}

// TestMalformedUploadAnswers400: a malformed multipart body answered 500
// and left a batch the client never heard of. It answers 400 saying what
// was wrong and which batch holds what arrived; the batch records the
// file that did not; bad file names are refused with a reason.
func TestMalformedUploadAnswers400(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	head := "--XX\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nlô hỏng\r\n" + rawPart("files", "a.txt", "Biên bản số một.")
	for _, c := range []struct{ what, body string }{
		{"a header line without a colon", head + "--XX\r\nContent-Disposition form-data\r\n\r\nx\r\n--XX--\r\n"},
		{"NUL in a file name", head + rawPart("files", "bad\x00name.txt", "x") + "--XX--\r\n"},
		{"a body cut off", head + "--XX\r\nContent-Disposition: form-data; name=\"files\"; filename=\"b.txt\"\r\n\r\nBiên bản số hai bị cắt"},
	} {
		resp, body := rawUpload(f, c.body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "cut off or malformed") || !strings.Contains(body, "in batch") {
			t.Errorf("%s: %d %s, want 400 naming the batch", c.what, resp.StatusCode, body)
			continue
		}
		batches, _ := f.store.BatchList(ctx, pipeline.BatchListParams{Scope: pipeline.ScopeAll})
		b := batches[0]
		rej, _ := f.store.RejectionListByBatch(ctx, b.ID)
		if len(rej) == 0 || !strings.Contains(rej[len(rej)-1].Reason, "did not arrive") {
			t.Errorf("%s: the batch does not say what is missing: %+v", c.what, rej)
		}
	}
	// File names: NUL, text-direction override, invalid UTF-8, too long,
	// and a nameless part with content are refused; a good one goes in.
	body := "--XX\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nlô tên\r\n" +
		rawPart("files", "ok.txt", "Biên bản.") +
		"--XX\r\nContent-Disposition: form-data; name=\"files\"; filename*=UTF-8''tab%09name%0A.txt\r\n\r\nx\r\n" +
		rawPart("files", "photo\u202Egpj.exe", "y") +
		rawPart("files", "bad\xffname.txt", "z") +
		rawPart("files", strings.Repeat("a", 300)+".txt", "w") +
		rawPart("files", "", "content without a name") +
		"--XX--\r\n"
	resp, out := rawUpload(f, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload with bad names: %d %s", resp.StatusCode, out)
	}
	var created web.BatchCreated
	json.Unmarshal([]byte(out), &created)
	if len(created.Documents) != 1 || len(created.Rejected) != 5 {
		t.Fatalf("documents %d, refused %d; want 1 and 5: %s", len(created.Documents), len(created.Rejected), out)
	}
	for _, r := range created.Rejected {
		if r.Reason == "" || strings.ContainsAny(r.Path, "\x00\u202E") || !utf8.ValidString(r.Path) || len(r.Path) > 304 {
			t.Errorf("refusal %+v: a reason and a clean name are needed", r)
		}
	}
}

// hugePagePDF is a one-page PDF whose page is side × side points.
func hugePagePDF(side int) []byte {
	var b strings.Builder
	var offs []int
	obj := func(s string) {
		offs = append(offs, b.Len())
		b.WriteString(s)
	}
	b.WriteString("%PDF-1.4\n")
	obj("1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n")
	obj("2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n")
	obj(fmt.Sprintf("3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R >> endobj\n", side, side))
	stream := "0 0 1 rg 0 0 100 100 re f\n"
	obj(fmt.Sprintf("4 0 obj << /Length %d >> stream\n%sendstream endobj\n", len(stream), stream))
	xref := b.Len()
	b.WriteString(fmt.Sprintf("xref\n0 %d\n0000000000 65535 f \n", len(offs)+1))
	for _, o := range offs {
		b.WriteString(fmt.Sprintf("%010d 00000 n \n", o))
	}
	b.WriteString(fmt.Sprintf("trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref))
	return []byte(b.String())
}

// TestPageImageBounded: a 14,400 × 14,400 pt page took 8 s and 790 MB per
// picture. The picture fits in MaxPageSide pixels whatever the page's
// size, and when the render slots are taken the answer is 503 with
// Retry-After instead of another render.
func TestPageImageBounded(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm (poppler-utils) is not installed")
	}
	f := newFixture(t, web.Config{MaxRenders: 1})
	ctx := context.Background()
	info, err := f.blobs.Put(ctx, bytes.NewReader(hugePagePDF(14400)), 0)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.store.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: f.batch["land"], Filename: "huge.pdf", Path: "huge.pdf", SHA256: info.SHA256, Size: info.Size, MIME: "application/pdf"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, MIME: "application/pdf", Pages: []pipeline.Page{{Number: 1, Text: "x", Quality: 1}}, Quality: 1}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: pipeline.Classification{Type: "application", Department: "land", Rule: "test"}}); err != nil {
		t.Fatal(err)
	}
	path := "/documents/" + itoa(d.ID) + "/pages/1/image"
	resp, body := f.do("officer-land", "GET", path, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	cfg, err := png.DecodeConfig(strings.NewReader(body))
	if err != nil || cfg.Width > web.MaxPageSide || cfg.Height > web.MaxPageSide {
		t.Errorf("page picture %dx%d (%v), want at most %d pixels a side", cfg.Width, cfg.Height, err, web.MaxPageSide)
	}
	release := f.server.HoldRender()
	resp, _ = f.do("officer-land", "GET", path, nil)
	release()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a render while the slots are taken: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// TestCorrectionCannotMoveDocument: a clerk's rewrite of a page holds the
// document in its department (the rules may change its type, not where it
// is); intake is not open to clerks who do not work in it.
func TestCorrectionCannotMoveDocument(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	doc := f.doc["land"]
	b := f.browser()
	b.login("clerk-land", testPassword, "/")
	resp, body := b.do("POST", "/documents/"+itoa(doc)+"/pages/1/edit", url.Values{"text": {"Hóa đơn thuế giá trị gia tăng số 123."}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rekey: %d %s", resp.StatusCode, body)
	}
	d, _ := f.store.DocumentGet(ctx, pipeline.ScopeAll, doc)
	if d.DepartmentSource != pipeline.SourceManual || d.Department != "land" {
		t.Errorf("after a clerk's rewrite: department %q from %q; want land, held", d.Department, d.DepartmentSource)
	}
	// A document in intake is not the land clerk's to read.
	ib, _ := f.store.BatchCreate(ctx, pipeline.BatchCreateParams{Name: "intake", Department: pipeline.DepartmentIntake})
	info, _ := f.blobs.Put(ctx, strings.NewReader("%PDF-1.4 intake"), 0)
	id, _ := f.store.DocumentCreate(ctx, pipeline.DocumentCreateParams{BatchID: ib.ID, Filename: "i.pdf", Path: "i.pdf", SHA256: info.SHA256, Size: info.Size, MIME: "application/pdf"})
	if resp, _ := f.do("clerk-land", "GET", "/api/v1/documents/"+itoa(id.ID)+"/original", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a land clerk reading an intake document: %d, want 404", resp.StatusCode)
	}
}
