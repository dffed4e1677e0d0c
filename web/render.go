package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"hoso/pipeline"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed i18n/*.json
var i18nFS embed.FS

// catalog maps message keys to format strings in one language.
type catalog map[string]string

// catalogs holds every interface string, by language. Vietnamese is the
// default; English is the other.
var catalogs = loadCatalogs()

func loadCatalogs() map[string]catalog {
	out := map[string]catalog{}
	entries, err := fs.ReadDir(i18nFS, "i18n")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(i18nFS, "i18n/"+e.Name())
		if err != nil {
			panic(err)
		}
		c := catalog{}
		if err := json.Unmarshal(b, &c); err != nil {
			panic(fmt.Sprintf("message catalog %s: %v", e.Name(), err))
		}
		out[strings.TrimSuffix(e.Name(), ".json")] = c
	}
	return out
}

// Catalog returns a copy of a language's messages ("vi", "en"); nil for
// another language.
func Catalog(lang string) map[string]string {
	c, ok := catalogs[lang]
	if !ok {
		return nil
	}
	out := make(map[string]string, len(c))
	for k, v := range c {
		out[k] = v
	}
	return out
}

// translator renders messages in one language.
type translator struct {
	Lang string
	cat  catalog
}

// T returns the message for key, formatted with args. A key missing from
// the language falls back to English, then to the key itself (a test
// keeps that from happening).
func (t translator) T(key string, args ...any) string {
	msg, ok := t.cat[key]
	if !ok {
		if msg, ok = catalogs["en"][key]; !ok {
			msg = key
		}
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// codeArg is an argument of TH shown as code: a rule's identifier, a
// filter as typed. It is marked translate="no", as what people wrote.
type codeArg string

// contentArg is an argument of TH that people wrote (a batch's name): it
// is marked translate="no".
type contentArg string

// TH is T for messages with code in them: the message is escaped, its
// code arguments are set in <code translate="no">.
func (t translator) TH(key string, args ...any) template.HTML {
	msg, ok := t.cat[key]
	if !ok {
		if msg, ok = catalogs["en"][key]; !ok {
			msg = key
		}
	}
	out := make([]any, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case codeArg:
			out[i] = `<code translate="no">` + template.HTMLEscapeString(string(a)) + `</code>`
		case contentArg:
			out[i] = `<span translate="no">` + template.HTMLEscapeString(string(a)) + `</span>`
		case string:
			out[i] = template.HTMLEscapeString(a)
		default:
			out[i] = a
		}
	}
	return template.HTML(fmt.Sprintf(template.HTMLEscapeString(msg), out...))
}

func (s *Server) translator(r *http.Request) translator {
	lang := "vi"
	if c, err := r.Cookie(languageCookie); err == nil {
		if _, ok := catalogs[c.Value]; ok {
			lang = c.Value
		}
	} else if al := strings.ToLower(r.Header.Get("Accept-Language")); strings.HasPrefix(al, "en") {
		lang = "en"
	}
	return translator{Lang: lang, cat: catalogs[lang]}
}

// view is what every page template gets: the page's own data in Page,
// and what the layout needs.
type view struct {
	translator
	*names
	User  *pipeline.User
	Path  string // this page's path and query, for the language switch
	Nav   string // the section to mark as current
	Page  any
	Title string
}

// Can reports whether the user's role may use a section, for the menu.
func (v *view) Can(section string) bool {
	if v.User == nil {
		return false
	}
	role := v.User.Role
	switch section {
	case "batches":
		return role == pipeline.RoleClerk || role == pipeline.RoleSupervisor
	case "search":
		return role == pipeline.RoleOfficer || role == pipeline.RoleSupervisor
	case "flags", "dashboard":
		return role == pipeline.RoleSupervisor
	case "rules":
		return role == pipeline.RoleSupervisor || role == pipeline.RoleAdmin
	case "admin":
		return role == pipeline.RoleAdmin
	}
	return false
}

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04")
	},
	"day":       func(t time.Time) string { return t.Local().Format("2006-01-02") },
	"size":      func(n int64) string { return humanSize(n) },
	"list":      func(v ...any) []any { return v },
	"join":      strings.Join,
	"add":       func(a, b int) int { return a + b },
	"sub":       func(a, b int) int { return max(0, a-b) },
	"retryable": pipeline.Retryable,
	"seq64":     func(n int64) string { return fmt.Sprint(n) },
	"lower":     strings.ToLower,
	"code":      func(s string) codeArg { return codeArg(s) },
	"content":   func(s string) contentArg { return contentArg(s) },
	"quality":   func(q float64) string { return fmt.Sprintf("%.0f%%", 100*q) },
	// highlight trusts Bleve's fragments: Bleve escapes the document text
	// and adds only <mark> around the terms.
	"highlight": func(s string) template.HTML { return template.HTML(s) },
	"contains": func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	},
	"since": func(t time.Time) time.Duration { return time.Since(t).Round(time.Second) },
	"bar": func(n, max int) int {
		if max == 0 {
			return 0
		}
		return 100 * n / max
	},
}

func humanSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	case n < 1_000_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}

// parsePages parses the layout with each page once, at start.
func parsePages() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
	return out
}

// render writes a page. It renders to a buffer first, so a template error
// becomes a clean error page and not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, page any) {
	t := s.translator(r)
	v := &view{translator: t, names: s.names.forPage(r.Context(), t), User: currentUser(r), Path: r.URL.RequestURI(), Page: page, Nav: name}
	if tp, ok := page.(interface{ title(*view) string }); ok {
		v.Title = tp.title(v)
	} else {
		v.Title = t.T("title." + name)
	}
	var buf bytes.Buffer
	tmpl, ok := s.pages[name]
	var err error
	if !ok {
		err = fmt.Errorf("no page template %q", name)
	} else {
		err = tmpl.ExecuteTemplate(&buf, "layout", v)
	}
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "Page failed to render", "page", name, "error", err)
		http.Error(w, t.T("error.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorPage struct {
	Status  int
	Code    string
	Message string
}

// static serves the style sheets and scripts; never a folder's listing.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/") {
		s.fail(w, r, pipeline.Errorf(pipeline.ENOTFOUND, "There is no such page."))
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.FileServerFS(staticFS).ServeHTTP(w, r)
}
