package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"hoso/classify"
	"hoso/pipeline"
	"hoso/search"
	"hoso/web"
)

// target is how the matrix calls one route: which object its {id} names,
// the body, and the statuses that mean "allowed and done".
type target struct {
	object string // doc, batch, flag, user, token or "" (no {id}, not scoped)
	body   func(f *fixture, user string) (io.Reader, string)
	query  string
	ok     []int
}

func form(v url.Values) func(*fixture, string) (io.Reader, string) {
	return func(*fixture, string) (io.Reader, string) {
		return strings.NewReader(v.Encode()), "application/x-www-form-urlencoded"
	}
}

func jsonBody(v any) func(*fixture, string) (io.Reader, string) {
	return func(*fixture, string) (io.Reader, string) {
		b, _ := json.Marshal(v)
		return bytes.NewReader(b), "application/json"
	}
}

func uploadBody(f *fixture, user string) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("name", "matrix upload by "+user)
	w, _ := mw.CreateFormFile("files", "note.txt")
	io.WriteString(w, "Giấy xác nhận cư trú của bà Trần Thị Mai.")
	mw.Close()
	return &buf, mw.FormDataContentType()
}

var counter int

func targets() map[string]target {
	ok200, ok303 := []int{200}, []int{303}
	return map[string]target{
		"POST /logout":                 {ok: ok303},
		"GET /{$}":                     {ok: ok303},
		"GET /account/password":        {ok: ok200},
		"POST /account/password":       {body: form(url.Values{"current": {"wrong"}}), ok: []int{400}},
		"GET /batches":                 {ok: ok200},
		"POST /batches":                {body: uploadBody, ok: ok303},
		"GET /batches/{id}":            {object: "batch", ok: ok200},
		"POST /batches/{id}/retry":     {object: "batch", ok: ok303},
		"GET /search":                  {query: "q=Thành", ok: ok200},
		"GET /documents/{id}":          {object: "doc", ok: ok200},
		"GET /documents/{id}/original": {object: "doc", ok: ok200},
		"GET /documents/{id}/preview":  {object: "doc", ok: ok200},
		// The fixture's originals are not real PDFs: rendering fails, after
		// the authorization this test is about.
		"GET /documents/{id}/pages/{n}/image": {object: "doc", ok: []int{200, 422}},
		"GET /documents/{id}/pages/{n}/edit":  {object: "doc", ok: ok200},
		// The first correction sends the document back to classification;
		// a second, before it is searchable again, is refused.
		"POST /documents/{id}/pages/{n}/edit": {object: "doc", body: form(url.Values{"text": {"Đơn đề nghị, gõ lại."}}), ok: []int{303, 409}},
		// A correction of the type: the first is saved, the same again has
		// nothing to change.
		"POST /documents/{id}/classification": {object: "doc", body: form(url.Values{"type": {"permit"}, "reason": {"Giấy phép, không phải đơn."}}), ok: []int{303, 400}},
		// Without a suggestion to accept, the page is shown again.
		"POST /documents/{id}/suggestion": {object: "doc", body: form(url.Values{"type": {"permit"}}), ok: ok303},
		"GET /flags":                      {ok: ok200},
		"GET /flags/{id}":                 {object: "flag", ok: ok200},
		"POST /flags/{id}/decisions":      {object: "flag", body: form(url.Values{"status": {"needs_information"}, "reason": {"needs_documents"}}), ok: ok303},
		"GET /rules":                      {ok: ok200},
		"POST /rules":                     {body: form(url.Values{"action": {"check"}, "source": {string(classify.DefaultRulesYAML())}}), ok: ok200},
		"POST /rules/apply":               {ok: ok303},
		"GET /dashboard":                  {ok: ok200},
		"GET /admin/users":                {ok: ok200},
		"POST /admin/users": {body: func(*fixture, string) (io.Reader, string) {
			counter++
			return form(url.Values{"name": {fmt.Sprintf("new-%d", counter)}, "role": {"clerk"}, "department": {"land"}})(nil, "")
		}, ok: ok200},
		"POST /admin/users/{id}":         {object: "user", body: form(url.Values{"action": {"unlock"}}), ok: ok303},
		"POST /admin/tokens":             {body: form(url.Values{"user": {"officer-land"}, "name": {"scanner"}}), ok: ok200},
		"POST /admin/tokens/{id}/revoke": {object: "token", ok: ok303},
		"POST /admin/departments": {body: func(*fixture, string) (io.Reader, string) {
			counter++
			return form(url.Values{"code": {fmt.Sprintf("ward-%d", counter)}})(nil, "")
		}, ok: ok303},
		"GET /admin/audit":                    {ok: ok200},
		"GET /admin/audit/export":             {ok: ok200},
		"/admin/jobs/":                        {ok: ok200},
		"GET /metrics":                        {ok: ok200},
		"GET /api/v1/me":                      {ok: ok200},
		"POST /api/v1/batches":                {body: uploadBody, ok: []int{201}},
		"GET /api/v1/batches":                 {ok: ok200},
		"GET /api/v1/batches/{id}":            {object: "batch", ok: ok200},
		"POST /api/v1/batches/{id}/retry":     {object: "batch", ok: ok200},
		"GET /api/v1/documents/{id}":          {object: "doc", ok: ok200},
		"GET /api/v1/documents/{id}/original": {object: "doc", ok: ok200},
		"GET /api/v1/documents/{id}/text":     {object: "doc", ok: ok200},
		"POST /api/v1/documents/{id}/classification": {object: "doc", body: func(*fixture, string) (io.Reader, string) {
			return strings.NewReader(`{"type": "permit", "reason": "Giấy phép."}`), "application/json"
		}, ok: []int{200, 400}},
		"GET /api/v1/search":                {query: "q=Thành", ok: ok200},
		"POST /api/v1/reindex":              {ok: ok200},
		"GET /api/v1/flags":                 {ok: ok200},
		"GET /api/v1/flags/{id}":            {object: "flag", ok: ok200},
		"POST /api/v1/flags/{id}/decisions": {object: "flag", body: jsonBody(map[string]string{"status": "needs_information", "reason": "needs_documents"}), ok: ok200},
		"GET /api/v1/audit":                 {ok: ok200},
	}
}

var users = []string{"", "clerk-land", "officer-land", "officer-tax", "supervisor-land", "admin"}

// home is the department each user's "own" objects are in.
var home = map[string]string{"clerk-land": "land", "officer-land": "land", "officer-tax": "tax", "supervisor-land": "land", "admin": "land"}

func other(dep string) string {
	if dep == "land" {
		return "tax"
	}
	return "land"
}

// TestAuthorizationMatrix calls every route as nobody and as each role,
// on an object of the user's own department and of the other: each cell is
// allowed or denied as the route table says, and objects of another
// department are not found.
func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t, web.Config{})
	ts := targets()
	spare, err := f.store.TokenCreate(t.Context(), 1, "spare", "spare-hash")
	if err != nil {
		t.Fatal(err)
	}
	officer, _ := f.store.UserGetByName(t.Context(), "officer-land")
	for _, rt := range f.server.Routes() {
		if rt.Roles == nil {
			continue // sign-in, assets, health: public by design
		}
		tg, ok := ts[rt.Pattern]
		if !ok {
			t.Errorf("route %q is not in the authorization matrix", rt.Pattern)
			continue
		}
		method, path, found := strings.Cut(rt.Pattern, " ")
		if !found {
			method, path = "GET", rt.Pattern
		}
		path = strings.TrimSuffix(path, "{$}")
		for _, user := range users {
			sides := []string{"own"}
			if tg.object == "doc" || tg.object == "batch" || tg.object == "flag" {
				sides = append(sides, "other")
			}
			for _, side := range sides {
				dep := home[user]
				if side == "other" {
					dep = other(dep)
				}
				if user == "" {
					dep = "land"
				}
				p := path
				id := ""
				switch tg.object {
				case "doc":
					id = strconv.FormatInt(f.doc[dep], 10)
				case "batch":
					id = strconv.FormatInt(f.batch[dep], 10)
				case "flag":
					id = strconv.FormatInt(f.flag[dep], 10)
				case "user":
					id = strconv.FormatInt(officer.ID, 10)
				case "token":
					id = strconv.FormatInt(spare.ID, 10)
				}
				p = strings.Replace(p, "{id}", id, 1)
				p = strings.Replace(p, "{n}", "1", 1)
				if tg.query != "" {
					p += "?" + tg.query
				}
				var body io.Reader
				var ctype string
				if tg.body != nil {
					body, ctype = tg.body(f, user)
				}
				var hdr []string
				if ctype != "" {
					hdr = []string{"Content-Type", ctype}
				}
				resp, text := f.do(user, method, p, body, hdr...)
				got := resp.StatusCode
				cell := fmt.Sprintf("%s as %q on %s %s", rt.Pattern, user, side, tg.object)
				allowed := user != "" && slices.Contains(rt.Roles, roleOf(user))
				switch {
				case user == "":
					if strings.Contains(p, "/api/") || p == "/metrics" {
						if got != http.StatusUnauthorized {
							t.Errorf("%s: %d, want 401", cell, got)
						}
					} else if got != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
						t.Errorf("%s: %d to %q, want 303 to /login", cell, got, resp.Header.Get("Location"))
					}
				case !allowed:
					if got != http.StatusForbidden {
						t.Errorf("%s: %d, want 403 (role may not)", cell, got)
					}
				case side == "other":
					if got != http.StatusNotFound {
						t.Errorf("%s: %d, want 404 (other department)", cell, got)
					}
				default:
					if !slices.Contains(tg.ok, got) {
						t.Errorf("%s: %d, want %v; body: %.300s", cell, got, tg.ok, text)
					}
				}
			}
		}
	}
}

func roleOf(user string) string {
	if user == "admin" {
		return pipeline.RoleAdmin
	}
	role, _, _ := strings.Cut(user, "-")
	return role
}

// TestSearchScope: hits, totals, facet counts and highlights all stop at
// the user's departments.
func TestSearchScope(t *testing.T) {
	f := newFixture(t, web.Config{})
	for _, tc := range []struct {
		user string
		dep  string
	}{{"officer-land", "land"}, {"officer-tax", "tax"}, {"supervisor-land", "land"}} {
		resp, body := f.do(tc.user, "GET", "/api/v1/search?q="+url.QueryEscape("Nguyễn Văn Thành"), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: search %d %s", tc.user, resp.StatusCode, body)
		}
		var res search.Response
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			t.Fatal(err)
		}
		if res.Total != 1 || len(res.Hits) != 1 || res.Hits[0].ID != f.doc[tc.dep] {
			t.Errorf("%s: total %d hits %+v, want only document %d", tc.user, res.Total, res.Hits, f.doc[tc.dep])
		}
		for _, term := range res.Facets["department"] {
			if term.Term != tc.dep {
				t.Errorf("%s: facet department %q counted %d", tc.user, term.Term, term.Count)
			}
		}
		n := 0
		for _, term := range res.Facets["type"] {
			n += term.Count
		}
		if n != 1 {
			t.Errorf("%s: type facet counts %d documents, want 1", tc.user, n)
		}
		for _, h := range res.Hits {
			for _, hl := range h.Highlights {
				if strings.Contains(hl, map[string]string{"land": "thuế", "tax": "đất đai"}[tc.dep]) {
					t.Errorf("%s: highlight from the other department: %s", tc.user, hl)
				}
			}
		}
		// Asking for the other department by filter finds nothing.
		_, body = f.do(tc.user, "GET", "/api/v1/search?q=Thành&department="+other(tc.dep), nil)
		if !strings.Contains(body, `"total":0`) {
			t.Errorf("%s: filtering by the other department found something: %s", tc.user, body)
		}
	}
	// The page shows the same scope.
	_, page := f.do("officer-tax", "GET", "/search?q=Thành", nil)
	if !strings.Contains(page, "tax.pdf") || strings.Contains(page, "land.pdf") {
		t.Errorf("search page for officer-tax shows the wrong documents")
	}
}

// TestListsScope: batch, flag and document lists hold only the user's
// departments.
func TestListsScope(t *testing.T) {
	f := newFixture(t, web.Config{})
	_, body := f.do("supervisor-land", "GET", "/api/v1/flags", nil)
	if !strings.Contains(body, "flag in land") || strings.Contains(body, "flag in tax") {
		t.Errorf("flags of supervisor-land: %s", body)
	}
	_, body = f.do("clerk-land", "GET", "/api/v1/batches", nil)
	if !strings.Contains(body, "land batch") || strings.Contains(body, "tax batch") {
		t.Errorf("batches of clerk-land: %s", body)
	}
	_, page := f.do("supervisor-land", "GET", "/flags", nil)
	if !strings.Contains(page, "flag in land") || strings.Contains(page, "flag in tax") {
		t.Errorf("review queue page of supervisor-land shows the wrong flags")
	}
	_, page = f.do("supervisor-land", "GET", "/dashboard", nil)
	if !strings.Contains(page, "<span class=\"big\">1</span>") {
		t.Errorf("dashboard of supervisor-land does not count exactly its one document")
	}
}
