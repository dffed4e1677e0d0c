package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"hoso/pipeline"
	"hoso/web"
)

// browser is a cookie-keeping client that does not follow redirects, so
// each answer can be checked.
type browser struct {
	t      *testing.T
	f      *fixture
	client *http.Client
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: f.t, f: f, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values, header ...string) (*http.Response, string) {
	b.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, b.f.ts.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	b2, _ := io.ReadAll(resp.Body)
	return resp, string(b2)
}

func (b *browser) login(name, password, next string) *http.Response {
	b.t.Helper()
	resp, _ := b.do("POST", "/login", url.Values{"name": {name}, "password": {password}, "next": {next}})
	return resp
}

func TestLoginSessionLogout(t *testing.T) {
	f := newFixture(t, web.Config{})
	b := f.browser()
	// Not signed in: pages send to the sign-in page, keeping where to go.
	resp, _ := b.do("GET", "/search?q=x", nil)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/login?next="+url.QueryEscape("/search?q=x") {
		t.Fatalf("anonymous /search: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = b.login("officer-land", testPassword, "/search?q=x")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/search?q=x" {
		t.Fatalf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "hoso_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
		t.Fatalf("session cookie = %+v; want HttpOnly, SameSite=Lax, not Secure without TLS", cookie)
	}
	resp, body := b.do("GET", "/search?q=Thành", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "land.pdf") {
		t.Fatalf("search after login: %d", resp.StatusCode)
	}
	// Logout ends the session on the server: the old cookie is worthless.
	if resp, _ := b.do("POST", "/logout", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", f.ts.URL+"/api/v1/me", nil)
	req.AddCookie(cookie)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 401 {
		t.Errorf("old session cookie after logout: %d, want 401", resp2.StatusCode)
	}
	// No open redirects after sign-in.
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		resp := f.browser().login("officer-land", testPassword, next)
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q redirected to %q, want /", next, loc)
		}
	}
}

func TestWrongPasswordAndLock(t *testing.T) {
	f := newFixture(t, web.Config{MaxFailedLogins: 3, LockFor: time.Hour})
	b := f.browser()
	resp, body := b.do("POST", "/login", url.Values{"name": {"nobody"}, "password": {"x"}}, "Accept-Language", "en")
	if resp.StatusCode != 401 || !strings.Contains(body, "Wrong user name or password.") {
		t.Errorf("unknown user: %d", resp.StatusCode)
	}
	for i := 1; i <= 3; i++ {
		resp, body = b.do("POST", "/login", url.Values{"name": {"clerk-land"}, "password": {"wrong"}}, "Accept-Language", "en")
	}
	// Locked: the same answer as any failure (a locked name is not told
	// apart from an unknown one), even with the right password.
	if resp.StatusCode != 401 || !strings.Contains(body, "Wrong user name or password.") {
		t.Fatalf("third wrong password: %d, want 401 with the usual message", resp.StatusCode)
	}
	resp, body = b.do("POST", "/login", url.Values{"name": {"clerk-land"}, "password": {testPassword}}, "Accept-Language", "en")
	if resp.StatusCode != 401 || !strings.Contains(body, "Wrong user name or password.") {
		t.Errorf("right password on a locked account: %d", resp.StatusCode)
	}
	u, _ := f.store.UserGetByName(context.Background(), "clerk-land")
	if !u.LockedUntil.After(time.Now()) {
		t.Errorf("account not locked in the database")
	}
	// The failures are in the audit trail.
	recs, _ := f.store.AuditList(context.Background(), pipeline.AuditListParams{Action: pipeline.AuditLoginFailed})
	if len(recs) < 3 {
		t.Errorf("audit has %d failed sign-ins, want at least 3", len(recs))
	}
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	f := newFixture(t, web.Config{LoginsPerAddress: 4, LoginWindow: time.Hour, MaxFailedLogins: 100})
	b := f.browser()
	var resp *http.Response
	var body string
	for i := 0; i < 5; i++ {
		// Different accounts: the per-account lock does not come into it.
		resp, body = b.do("POST", "/login", url.Values{"name": {users[1+i%5]}, "password": {"wrong"}}, "Accept-Language", "en")
	}
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong user name or password.") {
		t.Errorf("fifth attempt from one address: %d, want 401 with the usual message", resp.StatusCode)
	}
	// Throttled, even the right password is refused, and recorded.
	if resp := b.login("officer-land", testPassword, "/"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("right password from a throttled address: %d, want 401", resp.StatusCode)
	}
	recs, _ := f.store.AuditList(context.Background(), pipeline.AuditListParams{Action: pipeline.AuditLoginFailed})
	if len(recs) == 0 || !strings.Contains(recs[len(recs)-1].Detail, "too_many") {
		t.Errorf("throttled attempt not recorded: %+v", recs)
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, web.Config{})
	for _, path := range []string{"/login", "/api/v1/me", "/documents/1"} {
		resp, _ := f.do("officer-land", "GET", path, nil)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(csp, "frame-ancestors 'none'") ||
			h.Get("Referrer-Policy") == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: headers %v", path, h)
		}
		if !strings.HasPrefix(path, "/api/") && !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q allows scripts from elsewhere", path, csp)
		}
	}
	// Originals are attachments with a safe type, even when the file
	// claims to be HTML.
	resp, _ := f.do("officer-land", "GET", "/api/v1/documents/1/original", nil)
	if !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("original: %v", resp.Header)
	}
	// Errors never show internals.
	resp, body := f.do("officer-land", "GET", "/api/v1/documents/abc", nil)
	if resp.StatusCode != 400 || strings.Contains(body, "sql") || strings.Contains(body, "goroutine") {
		t.Errorf("bad id: %d %s", resp.StatusCode, body)
	}
	// Pages contain no inline script.
	_, page := f.do("officer-land", "GET", "/search?q=Thành", nil)
	if strings.Contains(page, "<script>") || strings.Contains(page, "onclick=") {
		t.Errorf("the search page has inline script")
	}
}

// TestCSRF: a state-changing request from another site is refused, from
// the same site it goes through; API clients without browser headers
// pass.
func TestCSRF(t *testing.T) {
	f := newFixture(t, web.Config{})
	b := f.browser()
	b.login("supervisor-land", testPassword, "/")
	path := "/flags/" + itoa(f.flag["land"]) + "/decisions"
	form := url.Values{"status": {"dismissed"}, "reason": {"template_text"}}
	resp, body := b.do("POST", path, form, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if resp.StatusCode != 403 || !strings.Contains(body, "chéo trang") {
		t.Errorf("cross-site decision: %d", resp.StatusCode)
	}
	fl, _ := f.store.FlagGet(context.Background(), pipeline.ScopeAll, f.flag["land"])
	if fl.Status != pipeline.FlagOpen {
		t.Fatalf("a cross-site request changed the flag to %s", fl.Status)
	}
	resp, _ = b.do("POST", path, form, "Origin", f.ts.URL, "Sec-Fetch-Site", "same-origin")
	if resp.StatusCode != 303 {
		t.Errorf("same-origin decision: %d", resp.StatusCode)
	}
	fl, _ = f.store.FlagGet(context.Background(), pipeline.ScopeAll, f.flag["land"])
	if fl.Status != pipeline.FlagDismissed || fl.Decisions[0].DecidedBy != "supervisor-land" {
		t.Errorf("after the decision: %+v", fl)
	}
	// Cross-site logout and language switch are refused too.
	resp, _ = b.do("POST", "/logout", url.Values{}, "Sec-Fetch-Site", "cross-site")
	if resp.StatusCode != 403 {
		t.Errorf("cross-site logout: %d", resp.StatusCode)
	}
}

// TestAuditTrail: the actions leave records, in a chain that verifies.
func TestAuditTrail(t *testing.T) {
	f := newFixture(t, web.Config{})
	b := f.browser()
	b.login("officer-land", testPassword, "/")
	b.do("GET", "/search?q="+url.QueryEscape("Nguyễn Văn Thành"), nil)
	b.do("GET", "/documents/"+itoa(f.doc["land"]), nil)
	b.do("GET", "/documents/"+itoa(f.doc["land"])+"/original", nil)
	b.do("POST", "/logout", url.Values{})
	ctx := context.Background()
	recs, err := f.store.AuditList(ctx, pipeline.AuditListParams{UserName: "officer-land"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action)
		if r.Remote != "127.0.0.1" {
			t.Errorf("record %d from %q", r.Seq, r.Remote)
		}
		if r.Action == pipeline.AuditSearch && !strings.Contains(r.Detail, "Nguyễn Văn Thành") {
			t.Errorf("search record without the query: %s", r.Detail)
		}
	}
	want := []string{"login", "search", "view", "download", "logout"}
	if strings.Join(actions, " ") != strings.Join(want, " ") {
		t.Errorf("audit actions = %v, want %v", actions, want)
	}
	rep, err := f.store.AuditVerify(ctx, nil)
	if err != nil || len(rep.Problems) != 0 || rep.Checked < 5 {
		t.Errorf("AuditVerify = %+v, %v", rep, err)
	}
}

func TestFirstAdmin(t *testing.T) {
	f := newFixture(t, web.Config{})
	// Users exist: nothing is created.
	if pw, err := web.CreateFirstAdmin(context.Background(), f.store); err != nil || pw != "" {
		t.Errorf("CreateFirstAdmin with users = %q, %v", pw, err)
	}
}

func TestMustChangePassword(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	u, _ := f.store.UserGetByName(ctx, "officer-tax")
	u.MustChangePassword = true
	if err := f.store.UserUpdate(ctx, u); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	if resp := b.login("officer-tax", testPassword, "/search"); resp.Header.Get("Location") != "/account/password" {
		t.Fatalf("login with a one-time password went to %q", resp.Header.Get("Location"))
	}
	if resp, _ := b.do("GET", "/search", nil); resp.Header.Get("Location") != "/account/password" {
		t.Errorf("pages before the change: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := b.do("POST", "/account/password", url.Values{"current": {testPassword}, "new": {"short"}, "again": {"short"}}, "Accept-Language", "en")
	if resp.StatusCode != 400 || !strings.Contains(body, "at least 10") {
		t.Errorf("weak password: %d", resp.StatusCode)
	}
	resp, _ = b.do("POST", "/account/password", url.Values{"current": {testPassword}, "new": {"a much longer one"}, "again": {"a much longer one"}})
	if resp.StatusCode != 303 {
		t.Fatalf("password change: %d", resp.StatusCode)
	}
	if resp, _ := b.do("GET", "/search", nil); resp.StatusCode != 200 {
		t.Errorf("after the change: %d", resp.StatusCode)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestCorrection: a clerk corrects a page; the text is replaced, marked as
// typed by a person, the document goes back to classification, and the
// audit trail keeps who changed what (not the text itself).
func TestCorrection(t *testing.T) {
	f := newFixture(t, web.Config{})
	b := f.browser()
	b.login("clerk-land", testPassword, "/")
	id := f.doc["land"]
	resp, _ := b.do("POST", "/documents/"+itoa(id)+"/pages/1/edit", url.Values{"text": {"Đơn đề nghị của ông Nguyễn Văn Thành, gõ lại từ bản giấy."}})
	if resp.StatusCode != 303 {
		t.Fatalf("correction: %d", resp.StatusCode)
	}
	ctx := context.Background()
	pages, _ := f.store.PageListByDocument(ctx, id)
	if len(pages) != 1 || pages[0].Extractor != "manual" || !strings.Contains(pages[0].Text, "gõ lại từ bản giấy") || pages[0].NeedsReview {
		t.Errorf("page after correction: %+v", pages)
	}
	d, _ := f.store.DocumentGetByID(ctx, id)
	if d.State != pipeline.StateExtracted || d.Stage != pipeline.StageClassify {
		t.Errorf("document after correction: %s/%s, want extracted/classify", d.State, d.Stage)
	}
	recs, _ := f.store.AuditList(ctx, pipeline.AuditListParams{Action: pipeline.AuditCorrection})
	if len(recs) != 1 || recs[0].UserName != "clerk-land" || !strings.Contains(recs[0].Detail, `"page":1`) || strings.Contains(recs[0].Detail, "bản giấy") {
		t.Errorf("audit: %+v", recs)
	}
	// The other department's page is not there to correct.
	b2 := f.browser()
	b2.login("officer-tax", testPassword, "/")
	if resp, _ := f.do("officer-tax", "GET", "/documents/"+itoa(id)+"/pages/1/edit", nil); resp.StatusCode != 403 {
		t.Errorf("an officer at the correction page: %d, want 403", resp.StatusCode)
	}
}
