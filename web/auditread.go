package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"hoso/pipeline"
)

// MaxAuditText is the most characters of a query or path a record keeps:
// a record is a trace, not a copy of whatever was sent.
const MaxAuditText = 1000

// AuditText cuts s to MaxAuditText characters; cut says whether it did.
func AuditText(s string) (text string, cut bool) {
	if utf8.RuneCountInString(s) <= MaxAuditText {
		return s, false
	}
	n := 0
	for i := range s {
		if n == MaxAuditText {
			return s[:i], true
		}
		n++
	}
	return s, false
}

// viewed wraps a handler that shows something: an answer that succeeds
// (status below 400) leaves a view record before its first byte goes
// out; when the record cannot be written, the answer is an error instead.
// object may hold {id}, replaced by the request's ID.
func (s *Server) viewed(object, part string, h http.HandlerFunc) http.HandlerFunc {
	return s.recorded(pipeline.AuditView, object, part, false, h)
}

// recorded is viewed for any action; onlyChanges records only requests
// that may change something (not GET or HEAD).
func (s *Server) recorded(action, object, part string, onlyChanges bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if onlyChanges && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			h(w, r)
			return
		}
		aw := &auditWriter{ResponseWriter: w, record: func() error {
			obj := strings.ReplaceAll(object, "{id}", r.PathValue("id"))
			if action == pipeline.AuditView && !strings.HasPrefix(obj, "document:") && s.viewedRecently(r, obj) {
				return nil
			}
			detail := map[string]any{}
			if part != "" {
				detail["part"] = part
			}
			if n := r.PathValue("n"); n != "" {
				detail["page"] = n
			}
			if q, cut := AuditText(r.URL.RawQuery); q != "" {
				detail["query"] = q
				if cut {
					detail["truncated"] = true
				}
			}
			if onlyChanges {
				detail["method"] = r.Method
				p, _ := AuditText(r.URL.Path)
				detail["path"] = p
			}
			return s.audit(r, action, obj, detail)
		}}
		h(aw, r)
		if !aw.done {
			aw.WriteHeader(http.StatusOK)
		}
	}
}

// repeatViews is how long a view of a list, a batch, the dashboard or the
// metrics by the same user is recorded once: pages refresh themselves
// every few seconds and Prometheus scrapes, and a record each time would
// drown the trail. Every read of a document's content is recorded.
const repeatViews = 10 * time.Minute

// viewedRecently reports whether the user's view of obj with the same
// query is on record within repeatViews.
func (s *Server) viewedRecently(r *http.Request, obj string) bool {
	u := currentUser(r)
	if u == nil {
		return false
	}
	recs, err := s.cfg.Store.AuditList(r.Context(), pipeline.AuditListParams{UserName: u.Name, Action: pipeline.AuditView, Object: obj,
		Since: time.Now().Add(-repeatViews), BeforeSeq: 1 << 62, Limit: 1})
	if err != nil || len(recs) == 0 {
		return false
	}
	q, _ := AuditText(r.URL.RawQuery)
	var d map[string]any
	_ = json.Unmarshal([]byte(recs[0].Detail), &d)
	was, _ := d["query"].(string)
	return was == q
}

// auditWriter writes the audit record when the answer's status is known.
type auditWriter struct {
	http.ResponseWriter
	record       func() error
	done, failed bool
}

func (w *auditWriter) WriteHeader(status int) {
	if !w.done {
		w.done = true
		if status < 400 {
			if err := w.record(); err != nil {
				w.failed = true
				h := w.ResponseWriter.Header()
				for _, k := range []string{"Content-Length", "Content-Disposition", "Content-Encoding", "ETag", "Last-Modified"} {
					h.Del(k)
				}
				h.Set("Content-Type", "text/plain; charset=utf-8")
				w.ResponseWriter.WriteHeader(http.StatusInternalServerError)
				w.ResponseWriter.Write([]byte("Internal error: the audit trail could not be written, so nothing is shown.\n"))
				return
			}
		}
	}
	if w.failed {
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *auditWriter) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	if w.failed {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *auditWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
