package web

import (
	"bytes"
	"html"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// jobsPage serves River's job UI with a way back: its HTML pages get a
// bar at the top linking to hoso's own pages, in the reader's language.
// River's scripts, styles and API answers pass through untouched.
func (s *Server) jobsPage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || strings.HasPrefix(r.URL.Path, "/admin/jobs/api/") || path.Ext(r.URL.Path) != "" {
		s.cfg.Jobs.ServeHTTP(w, r)
		return
	}
	rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
	s.cfg.Jobs.ServeHTTP(rec, r)
	body := rec.body.Bytes()
	if rec.header.Get("Content-Type") == "" && len(body) > 0 {
		rec.header.Set("Content-Type", http.DetectContentType(body))
	}
	if strings.HasPrefix(rec.header.Get("Content-Type"), "text/html") {
		body = s.withBackLink(r, body)
		rec.header.Del("Content-Length")
		rec.header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	w.Write(body)
}

// withBackLink puts hoso's bar after the body tag and its style sheet in
// the head.
func (s *Server) withBackLink(r *http.Request, page []byte) []byte {
	t := s.translator(r)
	bar := `<nav class="hoso-back" aria-label="hoso" lang="` + t.Lang + `"><a href="/">` + html.EscapeString(t.T("jobs.back")) +
		`</a> · <a href="/admin/users">` + html.EscapeString(t.T("nav.users")) + `</a> · <a href="/admin/audit">` +
		html.EscapeString(t.T("nav.audit")) + `</a></nav>`
	out := page
	if i := bytes.Index(out, []byte("</head>")); i >= 0 {
		out = append(out[:i:i], append([]byte(`<link rel="stylesheet" href="/static/jobs.css">`), out[i:]...)...)
	}
	if i := bytes.Index(out, []byte("<body")); i >= 0 {
		if j := bytes.IndexByte(out[i:], '>'); j >= 0 {
			k := i + j + 1
			out = append(out[:k:k], append([]byte(bar), out[k:]...)...)
		}
	}
	return out
}

// bufferedResponse holds an answer until it is complete.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if !b.wrote {
		b.status, b.wrote = status, true
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}
