// Package web serves hoso over HTTP: the JSON API under /api/v1 (and, with
// the web issue, the pages for clerks, officers and supervisors).
package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hoso/extract"
	"hoso/pipeline"
	"hoso/pipeline/ingest"
	"hoso/search"
)

// Config configures a Server.
type Config struct {
	Store    pipeline.Store
	Blobs    pipeline.BlobStore
	Ingester *ingest.Ingester
	Index    *search.Index
	Logger   *slog.Logger
	// MaxUploadSize caps a request body; default: the ingester's batch
	// limit plus 10 MB of form overhead.
	MaxUploadSize int64
}

// Server is the HTTP handler.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// New returns a Server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxUploadSize <= 0 {
		cfg.MaxUploadSize = 2_000_000_000 + 10_000_000
		if l := cfg.Ingester.Limits.MaxBatchSize; l > 0 {
			cfg.MaxUploadSize = l + 10_000_000
		}
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.routes()
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("POST /api/v1/batches", s.batchCreate)
	s.mux.HandleFunc("GET /api/v1/batches/{id}", s.batchGet)
	s.mux.HandleFunc("GET /api/v1/documents/{id}", s.documentGet)
	s.mux.HandleFunc("GET /api/v1/documents/{id}/original", s.documentOriginal)
	s.mux.HandleFunc("GET /api/v1/documents/{id}/text", s.documentText)
	s.mux.HandleFunc("GET /api/v1/search", s.search)
	s.mux.HandleFunc("POST /api/v1/reindex", s.reindex)
	s.mux.HandleFunc("GET /api/v1/flags", s.flagList)
	s.mux.HandleFunc("GET /api/v1/flags/{id}", s.flagGet)
	s.mux.HandleFunc("POST /api/v1/flags/{id}/decisions", s.flagDecide)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
}

// ServeHTTP sets the headers every answer carries and routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	s.mux.ServeHTTP(w, r)
}

// statuses maps error codes to HTTP statuses.
var statuses = map[string]int{
	pipeline.EINVALID:     http.StatusBadRequest,
	pipeline.ENOTFOUND:    http.StatusNotFound,
	pipeline.ECONFLICT:    http.StatusConflict,
	pipeline.ETOOLARGE:    http.StatusRequestEntityTooLarge,
	pipeline.EUNSUPPORTED: http.StatusUnsupportedMediaType,
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// fail writes err as {"error": {"code", "message"}}; internal errors are
// logged and shown only as "Internal error."
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
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: msg}})
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

// BatchCreated is the answer to POST /api/v1/batches.
type BatchCreated struct {
	Batch     *pipeline.Batch  `json:"batch"`
	Documents []ingest.Outcome `json:"documents"`
	Rejected  []ingest.Outcome `json:"rejected"`
}

// batchCreate takes a multipart form: a "name" field, then any number of
// "files" parts. A part's file name may carry a relative path (folder
// uploads); parts are streamed to the blob store, never held in memory.
func (s *Server) batchCreate(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadSize)
	mr, err := r.MultipartReader()
	if err != nil {
		s.fail(w, r, pipeline.Errorf(pipeline.EINVALID, "Send the batch as multipart/form-data with a name field and files."))
		return
	}
	ctx := r.Context()
	name := ""
	var sess *ingest.Session
	files := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			s.uploadFailed(w, r, sess, err)
			return
		}
		if part.FormName() == "name" || part.FormName() == "batch" {
			b, _ := io.ReadAll(io.LimitReader(part, 1000))
			name = strings.TrimSpace(string(b))
			continue
		}
		filename := partFilename(part)
		if filename == "" {
			continue
		}
		if sess == nil {
			if name == "" {
				s.fail(w, r, pipeline.Errorf(pipeline.EINVALID, "Put the batch name before the files in the form."))
				return
			}
			if sess, err = s.cfg.Ingester.Begin(ctx, name); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		files++
		rel, perr := extract.SafeEntryName(filename)
		if perr != nil {
			_, _ = io.Copy(io.Discard, part)
			if err := sess.Reject(ctx, filename, perr); err != nil {
				s.fail(w, r, err)
				return
			}
			continue
		}
		if err := sess.Add(ctx, rel, part); err != nil {
			s.uploadFailed(w, r, sess, err)
			return
		}
	}
	if sess == nil {
		s.fail(w, r, pipeline.Errorf(pipeline.EINVALID, "The batch has no files."))
		return
	}
	resp := BatchCreated{Batch: sess.Batch, Documents: []ingest.Outcome{}, Rejected: []ingest.Outcome{}}
	for _, o := range sess.Outcomes {
		if o.Accepted() {
			resp.Documents = append(resp.Documents, o)
		} else {
			resp.Rejected = append(resp.Rejected, o)
		}
	}
	s.cfg.Logger.InfoContext(ctx, "Batch uploaded", "batch_id", sess.Batch.ID, "documents", len(resp.Documents), "rejected", len(resp.Rejected))
	writeJSON(w, http.StatusCreated, resp)
}

// uploadFailed answers an upload cut short. Files stored before the
// failure stay in the batch; the message says which batch to look at.
func (s *Server) uploadFailed(w http.ResponseWriter, r *http.Request, sess *ingest.Session, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = pipeline.Errorf(pipeline.ETOOLARGE, "The upload is larger than the limit of %d MB.", mbe.Limit/1_000_000)
	} else if pipeline.ErrorCode(err) == pipeline.EINTERNAL && !errors.Is(err, context.Canceled) && strings.Contains(err.Error(), "multipart") {
		err = pipeline.Errorf(pipeline.EINVALID, "The upload was cut off or malformed.")
	}
	if sess != nil {
		if e, ok := err.(*pipeline.Error); ok {
			err = pipeline.Errorf(e.Code, "%s The files received before it are in batch %d.", e.Message, sess.Batch.ID)
		}
	}
	s.fail(w, r, err)
}

// partFilename returns a part's file name with its folders: Go's
// Part.FileName keeps only the base name.
func partFilename(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return p.FileName()
	}
	return params["filename"]
}

// BatchStatus is the answer to GET /api/v1/batches/{id}.
type BatchStatus struct {
	Batch      *pipeline.Batch        `json:"batch"`
	States     map[pipeline.State]int `json:"states"`
	Done       bool                   `json:"done"`
	Documents  []*pipeline.Document   `json:"documents"`
	Rejections []pipeline.Rejection   `json:"rejections"`
}

func (s *Server) batchGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	b, err := s.cfg.Store.BatchGetByID(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	docs, err := s.cfg.Store.DocumentListByBatch(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rej, err := s.cfg.Store.RejectionListByBatch(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st := BatchStatus{Batch: b, States: map[pipeline.State]int{}, Done: true, Documents: docs, Rejections: rej}
	if st.Documents == nil {
		st.Documents = []*pipeline.Document{}
	}
	if st.Rejections == nil {
		st.Rejections = []pipeline.Rejection{}
	}
	for _, d := range docs {
		st.States[d.State]++
		// With a search index, a document is done once it is searchable.
		finished := d.State == pipeline.StateFailed || d.State == pipeline.StateIndexed ||
			(s.cfg.Index == nil && d.State == pipeline.StateChecked)
		if !finished {
			st.Done = false
		}
	}
	writeJSON(w, http.StatusOK, st)
}

// document loads the document the path names, or answers with the error.
func (s *Server) document(w http.ResponseWriter, r *http.Request) (*pipeline.Document, bool) {
	id, err := pathID(r)
	if err == nil {
		var d *pipeline.Document
		if d, err = s.cfg.Store.DocumentGetByID(r.Context(), id); err == nil {
			return d, true
		}
	}
	s.fail(w, r, err)
	return nil, false
}

func (s *Server) documentGet(w http.ResponseWriter, r *http.Request) {
	d, ok := s.document(w, r)
	if !ok {
		return
	}
	ids, err := s.cfg.Store.IdentifierListByDocument(r.Context(), d.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Identifiers = ids
	writeJSON(w, http.StatusOK, d)
}

// inlineSafe are the types a browser may be told an original is; anything
// else is served as application/octet-stream.
var inlineSafe = map[string]bool{extract.MIMEPDF: true, extract.MIMEPNG: true, extract.MIMEJPEG: true, extract.MIMETIFF: true,
	extract.MIMEDOCX: true, extract.MIMEODT: true}

func (s *Server) documentOriginal(w http.ResponseWriter, r *http.Request) {
	d, ok := s.document(w, r)
	if !ok {
		return
	}
	f, err := s.cfg.Blobs.Open(r.Context(), d.SHA256)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	ct := "application/octet-stream"
	if inlineSafe[d.MIME] {
		ct = d.MIME
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Filename}))
	w.Header().Set("ETag", `"`+d.SHA256+`"`)
	http.ServeContent(w, r, "", d.CreatedAt, f)
}

// DocumentText is the answer to GET /api/v1/documents/{id}/text.
type DocumentText struct {
	DocumentID int64           `json:"document_id"`
	State      pipeline.State  `json:"state"`
	Pages      []pipeline.Page `json:"pages"`
}

func (s *Server) documentText(w http.ResponseWriter, r *http.Request) {
	d, ok := s.document(w, r)
	if !ok {
		return
	}
	pages, err := s.cfg.Store.PageListByDocument(r.Context(), d.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if pages == nil {
		pages = []pipeline.Page{}
	}
	if r.URL.Query().Get("format") == "plain" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for i, p := range pages {
			if i > 0 {
				io.WriteString(w, "\f")
			}
			io.WriteString(w, p.Text)
		}
		return
	}
	writeJSON(w, http.StatusOK, DocumentText{DocumentID: d.ID, State: d.State, Pages: pages})
}

// search answers GET /api/v1/search?q=&type=&department=&tag=&batch=&from=&to=&sort=&after=&limit=&facets=
// (from and to are dates, yyyy-mm-dd; facets=false leaves the counts out).
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Index == nil {
		s.fail(w, r, pipeline.Errorf(pipeline.EUNSUPPORTED, "This server keeps no search index."))
		return
	}
	q := r.URL.Query()
	req := search.Request{Query: q.Get("q"), Type: q.Get("type"), Department: q.Get("department"), Tag: q.Get("tag"),
		Batch: q.Get("batch"), Sort: q.Get("sort"), After: q.Get("after"), Facets: q.Get("facets") != "false"}
	for name, dst := range map[string]*time.Time{"from": &req.From, "to": &req.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				s.fail(w, r, pipeline.Errorf(pipeline.EINVALID, "%s must be a date like 2024-07-05, not %q.", name, v))
				return
			}
			if name == "to" {
				t = t.Add(24*time.Hour - time.Nanosecond)
			}
			*dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.fail(w, r, pipeline.Errorf(pipeline.EINVALID, "limit must be a positive number."))
			return
		}
		req.Size = n
	}
	res, err := s.cfg.Index.Search(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// reindex rebuilds the index beside the live one and swaps it in.
func (s *Server) reindex(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Index == nil {
		s.fail(w, r, pipeline.Errorf(pipeline.EUNSUPPORTED, "This server keeps no search index."))
		return
	}
	res, err := s.cfg.Index.Reindex(r.Context(), s.cfg.Store)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "Search index rebuilt", "documents", res.Documents, "generation", res.Generation)
	writeJSON(w, http.StatusOK, res)
}

// flagList answers GET /api/v1/flags?status=&kind=.
func (s *Server) flagList(w http.ResponseWriter, r *http.Request) {
	flags, err := s.cfg.Store.FlagList(r.Context(), pipeline.FlagListParams{Status: r.URL.Query().Get("status"), Kind: r.URL.Query().Get("kind")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"flags": flags})
}

func (s *Server) flagGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.cfg.Store.FlagGetByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// FlagDecision is the body of POST /api/v1/flags/{id}/decisions.
type FlagDecision struct {
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	Note      string `json:"note"`
	DecidedBy string `json:"decided_by"`
}

func (s *Server) flagDecide(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var d FlagDecision
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&d); err != nil {
		s.fail(w, r, pipeline.Errorf(pipeline.EINVALID, "Send the decision as JSON: status, reason, note, decided_by."))
		return
	}
	f, err := s.cfg.Store.FlagDecide(r.Context(), pipeline.FlagDecideParams{ID: id, Status: d.Status, Reason: d.Reason, Note: d.Note, DecidedBy: d.DecidedBy})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "Flag decided", "flag_id", id, "status", d.Status)
	writeJSON(w, http.StatusOK, f)
}
