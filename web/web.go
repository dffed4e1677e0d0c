// Package web serves hoso over HTTP: the pages for clerks, officers,
// supervisors and admins, and the JSON API under /api/v1. Every request
// but sign-in and health checks knows who asks (a session cookie or an API
// token), is checked against the route's roles, reads only what the user's
// departments cover (the scope is part of each store and search query),
// and leaves a record in the audit trail of uploads, views, downloads,
// searches and decisions.
//
// What web may import: pipeline (the domain and its Store), the services
// above it (ingest for uploads, accounts for users and tokens, search for
// queries and reindexing), its
// own auth, and the pure parts of the stage packages, which do no I/O of
// their own: extract's format names, descriptions, text quality and
// language, its safe archive names and its limited child command (page
// images for rekeying), and classify's rule parser, validator and
// matcher, with classify.Current over the Store for the rules in force.
// Never workers, a store backend or River: a page changes the pipeline
// only through the Store, which enqueues the next job itself.
package web

import (
	"context"
	"encoding/json"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"hoso/accounts"
	"hoso/ingest"
	"hoso/pipeline"
	"hoso/search"
	"hoso/web/auth"
)

// Config configures a Server.
type Config struct {
	Store    pipeline.Store
	Blobs    pipeline.BlobStore
	Ingester *ingest.Ingester
	Index    *search.Index
	Logger   *slog.Logger
	// MaxUploadSize caps an upload's body; default: the ingester's batch
	// limit plus 10 MB of form overhead.
	MaxUploadSize int64
	// Jobs is River's UI, served to admins under /admin/jobs/ when set.
	Jobs http.Handler
	// Metrics answers /metrics (admins and admin tokens) when set.
	Metrics http.Handler
	// SecureCookies marks cookies Secure even when the request came
	// without TLS (hoso behind a TLS-terminating proxy). Default: Secure
	// when the request came over TLS.
	SecureCookies bool
	// FourEyes makes a high-severity flag's confirmation take two
	// supervisors.
	FourEyes bool
	// SessionTTL is how long a sign-in lasts; default 8 hours.
	SessionTTL time.Duration
	// MaxFailedLogins locks an account after this many wrong passwords in
	// a row (default 5) for LockFor (default 15 minutes).
	MaxFailedLogins int
	LockFor         time.Duration
	// LoginsPerAddress caps failed sign-ins from one address per
	// LoginWindow (default 20 per 5 minutes).
	LoginsPerAddress int
	LoginWindow      time.Duration
	// MaxRenders is how many page pictures are drawn at once; default 2.
	// More are answered 503 with Retry-After.
	MaxRenders int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (HOSO_TRUSTED_PROXIES); default none: the connection's
	// address is the client's.
	TrustedProxies []netip.Prefix
}

// Server is the HTTP handler.
type Server struct {
	cfg        Config
	mux        *http.ServeMux
	routeTable []Route
	handler    http.Handler
	pages      map[string]*template.Template
	logins     *auth.Limiter
	names      *nameSource
	renders    chan struct{} // page pictures being drawn
}

// New returns a Server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxUploadSize <= 0 {
		cfg.MaxUploadSize = ingest.DefaultMaxBatchSize + 10_000_000
		if cfg.Ingester != nil && cfg.Ingester.Limits.MaxBatchSize > 0 {
			cfg.MaxUploadSize = cfg.Ingester.Limits.MaxBatchSize + 10_000_000
		}
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.MaxFailedLogins <= 0 {
		cfg.MaxFailedLogins = 5
	}
	if cfg.LockFor <= 0 {
		cfg.LockFor = 15 * time.Minute
	}
	if cfg.LoginsPerAddress <= 0 {
		cfg.LoginsPerAddress = 20
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = 5 * time.Minute
	}
	if cfg.MaxRenders <= 0 {
		cfg.MaxRenders = 2
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), logins: auth.NewLimiter(cfg.LoginsPerAddress, cfg.LoginWindow), names: newNameSource(cfg.Store),
		renders: make(chan struct{}, cfg.MaxRenders)}
	s.pages = parsePages()
	s.routes()
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, pipeline.Errorf(pipeline.EFORBIDDEN, "This request came from another site and was refused (cross-site request forgery protection). Reload the page and try again."))
	}))
	s.handler = cop.Handler(http.HandlerFunc(s.authenticate))
	return s
}

// Roles allowed per group of routes.
var (
	anyone      = []string{pipeline.RoleClerk, pipeline.RoleOfficer, pipeline.RoleSupervisor, pipeline.RoleAdmin}
	uploaders   = []string{pipeline.RoleClerk, pipeline.RoleSupervisor}
	readers     = []string{pipeline.RoleClerk, pipeline.RoleOfficer, pipeline.RoleSupervisor}
	searchers   = []string{pipeline.RoleOfficer, pipeline.RoleSupervisor}
	reviewers   = []string{pipeline.RoleSupervisor}
	ruleEditors = []string{pipeline.RoleSupervisor, pipeline.RoleAdmin}
	admins      = []string{pipeline.RoleAdmin}
)

// Route is one entry of the route table, kept for the authorization test.
type Route struct {
	Pattern string
	Roles   []string // nil: no sign-in needed
}

// Routes lists every route and who may use it.
func (s *Server) Routes() []Route { return s.routeTable }

func (s *Server) handle(pattern string, roles []string, h http.HandlerFunc) {
	s.routeTable = append(s.routeTable, Route{Pattern: pattern, Roles: roles})
	if roles == nil {
		s.mux.HandleFunc(pattern, h)
		return
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		u := currentUser(r)
		if u == nil {
			s.unauthenticated(w, r)
			return
		}
		if !slices.Contains(roles, u.Role) {
			s.fail(w, r, pipeline.Errorf(pipeline.EFORBIDDEN, "Your role (%s) may not use this page.", u.Role))
			return
		}
		if u.MustChangePassword && r.URL.Path != "/account/password" && r.URL.Path != "/logout" {
			// A one-time password opens nothing but the page that
			// replaces it: not the pages, not the API, not River's UI.
			if isAPI(r) || strings.HasPrefix(r.URL.Path, "/admin/jobs/api") || r.Method != http.MethodGet {
				s.fail(w, r, pipeline.Errorf(pipeline.EFORBIDDEN, "Choose a new password first (on the page /account/password): a one-time password opens nothing else."))
				return
			}
			http.Redirect(w, r, "/account/password", http.StatusSeeOther)
			return
		}
		h(w, r)
	})
}

func (s *Server) routes() {
	// Sign-in, assets and health need no account.
	s.handle("GET /login", nil, s.loginPage)
	s.handle("POST /login", nil, s.login)
	s.handle("GET /static/", nil, s.static)
	s.handle("GET /healthz", nil, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })

	s.handle("POST /logout", anyone, s.logout)
	s.handle("POST /language", nil, s.language)
	s.handle("GET /{$}", anyone, s.home)
	s.handle("GET /account/password", anyone, s.passwordPage)
	s.handle("POST /account/password", anyone, s.passwordChange)

	// Clerks: batches.
	s.handle("GET /batches", uploaders, s.viewed("batches", "", s.batchesPage))
	s.handle("POST /batches", uploaders, s.batchUploadForm)
	s.handle("GET /batches/{id}", uploaders, s.viewed("batch:{id}", "", s.batchPage))
	s.handle("POST /batches/{id}/retry", uploaders, s.batchRetryForm)

	// Officers: search and documents.
	s.handle("GET /search", searchers, s.searchPage)
	s.handle("GET /documents/{id}", readers, s.documentPage)
	s.handle("GET /documents/{id}/original", readers, s.documentOriginal)
	s.handle("GET /documents/{id}/preview", readers, s.documentPreview)
	s.handle("GET /documents/{id}/pages/{n}/image", readers, s.viewed("document:{id}", "page_image", s.pageImage))
	s.handle("POST /documents/{id}/classification", uploaders, s.documentCorrectForm)
	s.handle("POST /documents/{id}/suggestion", uploaders, s.documentAcceptSuggestion)
	s.handle("GET /documents/{id}/pages/{n}/edit", uploaders, s.viewed("document:{id}", "page_text", s.rekeyForm))
	s.handle("POST /documents/{id}/pages/{n}/edit", uploaders, s.rekeySave)

	// Supervisors: flags, rules, figures.
	s.handle("GET /flags", reviewers, s.viewed("flags", "", s.flagsPage))
	s.handle("GET /flags/{id}", reviewers, s.flagPage)
	s.handle("POST /flags/{id}/decisions", reviewers, s.flagDecideForm)
	s.handle("GET /rules", ruleEditors, s.rulesPage)
	s.handle("POST /rules", ruleEditors, s.rulesUpload)
	s.handle("POST /rules/apply", ruleEditors, s.rulesApply)
	s.handle("GET /dashboard", reviewers, s.viewed("dashboard", "", s.dashboardPage))

	// Admins.
	s.handle("GET /admin/users", admins, s.usersPage)
	s.handle("POST /admin/users", admins, s.userCreateForm)
	s.handle("POST /admin/users/{id}", admins, s.userUpdateForm)
	s.handle("POST /admin/tokens", admins, s.tokenCreateForm)
	s.handle("POST /admin/tokens/{id}/revoke", admins, s.tokenRevokeForm)
	s.handle("POST /admin/departments", admins, s.departmentCreateForm)
	s.handle("GET /admin/audit", admins, s.viewed("audit", "", s.auditPage))
	s.handle("GET /admin/audit/export", admins, s.auditExport)
	if s.cfg.Jobs != nil {
		s.handle("/admin/jobs/", admins, s.recorded(pipeline.AuditJobAction, "jobs", "", true, s.jobsPage))
	}
	if s.cfg.Metrics != nil {
		s.handle("GET /metrics", admins, s.viewed("metrics", "", s.cfg.Metrics.ServeHTTP))
	}

	// The API.
	s.handle("GET /api/v1/me", anyone, s.me)
	s.handle("POST /api/v1/batches", uploaders, s.batchCreate)
	s.handle("GET /api/v1/batches", uploaders, s.viewed("batches", "", s.batchList))
	s.handle("GET /api/v1/batches/{id}", uploaders, s.viewed("batch:{id}", "", s.batchGet))
	s.handle("POST /api/v1/batches/{id}/retry", uploaders, s.batchRetry)
	s.handle("GET /api/v1/documents/{id}", readers, s.documentGet)
	s.handle("GET /api/v1/documents/{id}/original", readers, s.documentOriginal)
	s.handle("GET /api/v1/documents/{id}/text", readers, s.documentText)
	s.handle("POST /api/v1/documents/{id}/classification", uploaders, s.documentCorrect)
	s.handle("GET /api/v1/search", searchers, s.search)
	s.handle("POST /api/v1/reindex", admins, s.reindex)
	s.handle("GET /api/v1/flags", reviewers, s.viewed("flags", "", s.flagList))
	s.handle("GET /api/v1/flags/{id}", reviewers, s.flagGet)
	s.handle("POST /api/v1/flags/{id}/decisions", reviewers, s.flagDecide)
	s.handle("GET /api/v1/audit", admins, s.viewed("audit", "", s.auditList))
}

// The policy for pages: scripts and styles from hoso only, no inline
// script, frames only of hoso's own previews, no framing of hoso.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// River's UI is a single-page app whose components set inline styles.
const jobsCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// ServeHTTP sets the headers every answer carries and hands the request
// on through cross-origin protection and authentication to the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	// Nothing hoso answers is kept by browsers or proxies (originals,
	// texts, API answers, pages), but its own scripts and styles.
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/"):
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	case strings.HasPrefix(r.URL.Path, "/admin/jobs"):
		h.Set("Content-Security-Policy", jobsCSP)
	default:
		h.Set("Content-Security-Policy", pageCSP)
	}
	if r.TLS != nil || s.cfg.SecureCookies {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.handler.ServeHTTP(w, r)
}

type ctxKey int

const (
	userKey ctxKey = iota
	sessionKey
)

func currentUser(r *http.Request) *pipeline.User {
	u, _ := r.Context().Value(userKey).(*pipeline.User)
	return u
}

// scope is what the signed-in user may see.
func scope(r *http.Request) pipeline.Scope {
	if u := currentUser(r); u != nil {
		return u.Scope()
	}
	return pipeline.Scope{}
}

func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/metrics"
}

// authenticate finds who asks: an API token (Authorization: Bearer) or a
// session cookie. A bad token is refused outright; a stale cookie is
// dropped and the request goes on unauthenticated.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			s.fail(w, r, pipeline.Errorf(pipeline.EUNAUTHORIZED, "Send the API token as Authorization: Bearer TOKEN."))
			return
		}
		u, err := s.cfg.Store.TokenUser(ctx, auth.HashSecret(strings.TrimSpace(secret)))
		if err != nil {
			if pipeline.ErrorCode(err) == pipeline.ENOTFOUND {
				err = pipeline.Errorf(pipeline.EUNAUTHORIZED, "%s", pipeline.ErrorMessage(err))
			}
			s.fail(w, r, err)
			return
		}
		u.MustChangePassword = false // tokens are not passwords
		s.mux.ServeHTTP(w, r.WithContext(context.WithValue(ctx, userKey, u)))
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		hash := auth.HashSecret(c.Value)
		sess, err := s.cfg.Store.SessionGet(ctx, hash)
		switch {
		case err == nil:
			ctx = context.WithValue(ctx, userKey, sess.User)
			ctx = context.WithValue(ctx, sessionKey, hash)
		case pipeline.ErrorCode(err) == pipeline.ENOTFOUND:
			s.clearSessionCookie(w, r)
		default:
			s.fail(w, r, err)
			return
		}
	}
	s.mux.ServeHTTP(w, r.WithContext(ctx))
}

func (s *Server) unauthenticated(w http.ResponseWriter, r *http.Request) {
	if isAPI(r) || strings.HasPrefix(r.URL.Path, "/admin/jobs/api") {
		s.fail(w, r, pipeline.Errorf(pipeline.EUNAUTHORIZED, "Sign in or send an API token (Authorization: Bearer TOKEN)."))
		return
	}
	next := r.URL.Path
	if r.URL.RawQuery != "" {
		next += "?" + r.URL.RawQuery
	}
	if r.Method != http.MethodGet {
		next = "/"
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// statuses maps error codes to HTTP statuses.
var statuses = map[string]int{
	pipeline.EINVALID:      http.StatusBadRequest,
	pipeline.ENOTFOUND:     http.StatusNotFound,
	pipeline.ECONFLICT:     http.StatusConflict,
	pipeline.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	pipeline.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	pipeline.EUNAUTHORIZED: http.StatusUnauthorized,
	pipeline.EFORBIDDEN:    http.StatusForbidden,
	pipeline.ELOCKED:       http.StatusForbidden,
	pipeline.ETOOMANY:      http.StatusTooManyRequests,
	pipeline.EBUSY:         http.StatusServiceUnavailable,
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// fail answers with err: JSON for the API, an error page for pages.
// Internal errors are logged and shown only as "Internal error.", never
// with a stack trace or SQL.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := pipeline.ErrorCode(err), pipeline.ErrorMessage(err)
	status, ok := statuses[code]
	if !ok {
		status = http.StatusInternalServerError
		if code != pipeline.EINTERNAL {
			status = http.StatusUnprocessableEntity
		}
	}
	if code == pipeline.EINTERNAL {
		s.cfg.Logger.ErrorContext(r.Context(), "Request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	if isAPI(r) {
		writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: msg}})
		return
	}
	s.render(w, r, status, "error", &errorPage{Status: status, Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, pipeline.Errorf(pipeline.EINVALID, "%q is not a valid ID.", r.PathValue("id"))
	}
	return id, nil
}

// clientAddr is the client's address: the connection's, or, when the
// connection comes from a trusted proxy (Config.TrustedProxies), the
// nearest address in X-Forwarded-For that is not a trusted proxy. A
// forwarding header from anyone else is ignored: it is whatever the
// client wrote.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(s.cfg.TrustedProxies) == 0 || !s.trusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		if _, err := netip.ParseAddr(hop); err != nil {
			return host // not an address: trust nothing beyond the proxy
		}
		if !s.trusted(hop) {
			return hop
		}
		host = hop
	}
	return host
}

func (s *Server) trusted(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// audit appends a record for the signed-in user. A trail that cannot be
// written stops the action: nothing is shown that is not recorded.
// actor is who asks, as the audit trail names them.
func (s *Server) actor(r *http.Request) accounts.Actor {
	a := accounts.Actor{Remote: s.clientAddr(r)}
	if u := currentUser(r); u != nil {
		a.UserID, a.Name = u.ID, u.Name
	}
	return a
}

// accounts is the account service over the server's store.
func (s *Server) accounts() *accounts.Service { return &accounts.Service{Store: s.cfg.Store} }

func (s *Server) audit(r *http.Request, action, object string, detail any) error {
	rec := &pipeline.AuditRecord{Remote: s.clientAddr(r), Action: action, Object: object, Detail: pipeline.AuditDetail(detail)}
	if u := currentUser(r); u != nil {
		rec.UserID, rec.UserName = u.ID, u.Name
	}
	if err := s.cfg.Store.AuditAppend(r.Context(), rec); err != nil {
		return err
	}
	return nil
}

// safeNext returns a local path to go to after sign-in: never another
// site ("//evil", "/\evil", "https://…").
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t") {
		return "/"
	}
	return next
}
