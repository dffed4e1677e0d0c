package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hoso/extract"
	"hoso/ingest"
	"hoso/pipeline"
	"hoso/search"
)

// me answers GET /api/v1/me: who the token or session is.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, currentUser(r))
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
	resp, err := s.upload(w, r)
	if err != nil {
		s.uploadFailed(w, r, resp, err)
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

// uploadDepartment is the department a batch is uploaded for: the form's
// "department" when the uploader works in it, else their first.
func uploadDepartment(u *pipeline.User, asked string) (string, error) {
	if asked != "" {
		if !slices.Contains(u.Departments, asked) {
			return "", pipeline.Errorf(pipeline.EFORBIDDEN, "You do not work in department %q; upload for one of yours (%s).", asked, strings.Join(u.Departments, ", "))
		}
		return asked, nil
	}
	if len(u.Departments) == 0 {
		return pipeline.DepartmentIntake, nil
	}
	return u.Departments[0], nil
}

// upload reads a batch from a multipart body: "name" and "department"
// fields first, then the files.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) (*BatchCreated, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadSize)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, pipeline.Errorf(pipeline.EINVALID, "Send the batch as multipart/form-data with a name field and files.")
	}
	ctx := r.Context()
	b := &batchUpload{s: s, r: r, user: currentUser(r)}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			err = cutOff{"…", uploadBodyError{err}}
		} else {
			err = b.part(ctx, part)
		}
		if err != nil {
			return b.stop(ctx, err)
		}
	}
	if b.sess == nil {
		return nil, pipeline.Errorf(pipeline.EINVALID, "The batch has no files.")
	}
	resp, err := b.finish()
	if err != nil {
		return resp, err
	}
	s.cfg.Logger.InfoContext(ctx, "Batch uploaded", "batch_id", b.sess.Batch.ID, "documents", len(resp.Documents), "rejected", len(resp.Rejected))
	return resp, nil
}

// batchUpload is one upload's batch as its parts arrive; the batch
// begins at the first file, once its name is known.
type batchUpload struct {
	s                *Server
	r                *http.Request
	user             *pipeline.User
	name, department string
	sess             *ingest.Upload
}

// cutOff says that the request body stopped arriving (cut off or
// malformed) at the file rel.
type cutOff struct {
	rel string
	err error
}

func (c cutOff) Error() string { return c.err.Error() }
func (c cutOff) Unwrap() error { return c.err }

// part reads one part of the form: a field, or a file the batch takes
// or refuses. An error ends the upload.
func (b *batchUpload) part(ctx context.Context, part *multipart.Part) error {
	switch part.FormName() {
	case "name", "batch":
		v, _ := io.ReadAll(io.LimitReader(part, 1000))
		b.name = strings.TrimSpace(string(v))
		return nil
	case "department":
		v, _ := io.ReadAll(io.LimitReader(part, 100))
		b.department = strings.TrimSpace(string(v))
		return nil
	}
	body := &uploadBody{r: part}
	filename := partFilename(part)
	if filename == "" {
		return b.nameless(ctx, body)
	}
	if err := b.begin(ctx); err != nil {
		return err
	}
	rel, perr := extract.SafeEntryName(filename)
	if perr != nil {
		_, _ = io.Copy(io.Discard, body)
		if body.err != nil {
			return cutOff{filename, body.err}
		}
		return b.sess.Reject(ctx, filename, perr)
	}
	if err := b.sess.Add(ctx, rel, body); err != nil {
		if body.err != nil {
			return cutOff{rel, body.err}
		}
		return err
	}
	return nil
}

// nameless reads a file part without a name: a browser sends an empty
// one for a file input left empty; one with content is refused.
func (b *batchUpload) nameless(ctx context.Context, body *uploadBody) error {
	var one [1]byte
	if n, _ := io.ReadFull(body, one[:]); n == 0 {
		if body.err != nil {
			return cutOff{"…", body.err}
		}
		return nil
	}
	if err := b.begin(ctx); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, body)
	if body.err != nil {
		return cutOff{"…", body.err}
	}
	return b.sess.Reject(ctx, "…", pipeline.Errorf(pipeline.EINVALID, "Refused: a file arrived without a name."))
}

// begin starts the batch at its first file.
func (b *batchUpload) begin(ctx context.Context) error {
	if b.sess != nil {
		return nil
	}
	if b.name == "" {
		return pipeline.Errorf(pipeline.EINVALID, "Put the batch name before the files in the form.")
	}
	dep, err := uploadDepartment(b.user, b.department)
	if err != nil {
		return err
	}
	b.sess, err = b.s.cfg.Ingester.BeginBatch(ctx, pipeline.BatchCreateParams{Name: b.name, CreatedBy: b.user.ID, Department: dep})
	return err
}

// stop ends the upload on err: where the body was cut off, the batch
// records which file did not arrive; what arrived before stays, summed
// up and audited.
func (b *batchUpload) stop(ctx context.Context, err error) (*BatchCreated, error) {
	var c cutOff
	if errors.As(err, &c) {
		err = c.err
	}
	if b.sess == nil {
		return nil, err
	}
	if c.err != nil {
		if rerr := b.sess.Reject(ctx, c.rel, pipeline.Errorf(pipeline.EINVALID, "The upload was cut off or malformed here: this file and any after it did not arrive; upload them again.")); rerr != nil {
			err = rerr
		}
	}
	resp, ferr := b.finish()
	return resp, cmp.Or(err, ferr)
}

// finish sums the begun batch up and records the upload in the audit
// trail; an upload that cannot be recorded fails.
func (b *batchUpload) finish() (*BatchCreated, error) {
	resp := &BatchCreated{Batch: b.sess.Batch, Documents: []ingest.Outcome{}, Rejected: []ingest.Outcome{}}
	for _, o := range b.sess.Outcomes {
		if o.Accepted() {
			resp.Documents = append(resp.Documents, o)
		} else {
			resp.Rejected = append(resp.Rejected, o)
		}
	}
	return resp, b.s.audit(b.r, pipeline.AuditUpload, "batch:"+strconv.FormatInt(b.sess.Batch.ID, 10),
		map[string]any{"name": b.sess.Batch.Name, "department": b.sess.Batch.Department, "documents": len(resp.Documents), "rejected": len(resp.Rejected)})
}

// uploadBody reads a part and keeps the error the request body gave:
// such an error is the client's (a cut-off or malformed body), not hoso's.
type uploadBody struct {
	r   io.Reader
	err error
}

func (b *uploadBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = uploadBodyError{err}
		return n, b.err
	}
	return n, err
}

// uploadBodyError is a request body that could not be read to its end.
type uploadBodyError struct{ err error }

func (e uploadBodyError) Error() string { return "read upload: " + e.err.Error() }
func (e uploadBodyError) Unwrap() error { return e.err }

// uploadFailed answers an upload cut short. Files stored before the
// failure stay in the batch; the message says which batch to look at.
func (s *Server) uploadFailed(w http.ResponseWriter, r *http.Request, resp *BatchCreated, err error) {
	s.fail(w, r, uploadError(resp, err))
}

func uploadError(resp *BatchCreated, err error) error {
	var mbe *http.MaxBytesError
	var be uploadBodyError
	if errors.As(err, &mbe) {
		err = pipeline.Errorf(pipeline.ETOOLARGE, "The upload is larger than the limit of %d MB.", mbe.Limit/1_000_000)
	} else if errors.As(err, &be) && !errors.Is(err, context.Canceled) {
		err = pipeline.Errorf(pipeline.EINVALID, "The upload was cut off or malformed.")
	}
	if resp != nil {
		var e *pipeline.Error
		if errors.As(err, &e) {
			err = pipeline.Errorf(e.Code, "%s The files received before it are in batch %d.", e.Message, resp.Batch.ID)
		}
	}
	return err
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
	// OCR is, for the documents OCR is reading now, the pages done of the
	// pages it reads; OCRPages adds them up.
	OCR      map[int64]pipeline.OCRProgress `json:"ocr"`
	OCRPages pipeline.OCRProgress           `json:"ocr_pages"`
	// Position is the change-feed position of the batch's newest
	// change: a search with min_position set to it, through any node,
	// sees the batch as it is now.
	Position int64 `json:"position"`
}

func (s *Server) batchGet(w http.ResponseWriter, r *http.Request) {
	st, err := s.batchStatus(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// batchStatus loads the batch the path names, if in scope, with its
// documents. The batch's department is the gate: its uploader sees every
// file of it, wherever classification sent them, but opens only the
// documents of their departments.
func (s *Server) batchStatus(r *http.Request) (*BatchStatus, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	b, err := s.cfg.Store.BatchGet(ctx, scope(r), id)
	if err != nil {
		return nil, err
	}
	docs, err := s.cfg.Store.DocumentListByBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	rej, err := s.cfg.Store.RejectionListByBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	ocr, err := s.cfg.Store.OCRProgressByBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	pos, err := s.cfg.Store.BatchFeedToken(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &BatchStatus{Batch: b, States: map[pipeline.State]int{}, Done: true, Documents: docs, Rejections: rej, OCR: map[int64]pipeline.OCRProgress{}, Position: pos}
	if st.Documents == nil {
		st.Documents = []*pipeline.Document{}
	}
	if st.Rejections == nil {
		st.Rejections = []pipeline.Rejection{}
	}
	for _, d := range docs {
		st.States[d.State]++
		// Pages read are shown while OCR works on the document.
		if p, ok := ocr[d.ID]; ok && d.Stage == pipeline.StageOCR && d.State == pipeline.StateReceived {
			st.OCR[d.ID] = p
			st.OCRPages.Done += p.Done
			st.OCRPages.Total += p.Total
		}
		// With a search index, a document is done once it is searchable.
		finished := d.State == pipeline.StateFailed || d.State == pipeline.StateIndexed || d.Waiting() ||
			(s.cfg.Index == nil && d.State == pipeline.StateChecked)
		if !finished {
			st.Done = false
		}
	}
	return st, nil
}

// batchList answers GET /api/v1/batches?mine=true&before=ID.
func (s *Server) batchList(w http.ResponseWriter, r *http.Request) {
	p := pipeline.BatchListParams{Scope: scope(r)}
	if r.URL.Query().Get("mine") == "true" {
		p.CreatedBy = currentUser(r).ID
	}
	p.BeforeID, _ = strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	list, err := s.cfg.Store.BatchList(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"batches": list})
}

// batchRetry answers POST /api/v1/batches/{id}/retry with an optional JSON
// body {"documents": [ids]}: failed documents go back to extraction.
func (s *Server) batchRetry(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Documents []int64 `json:"documents"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			s.fail(w, r, pipeline.Errorf(pipeline.EINVALID, "Send the documents to retry as JSON: {\"documents\": [1, 2]}, or nothing for every failed one."))
			return
		}
	}
	ids, err := s.retry(r, body.Documents)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"retried": ids})
}

func (s *Server) retry(r *http.Request, docs []int64) ([]int64, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		// All that may succeed: not the encrypted, empty, damaged …
		if _, err := s.cfg.Store.BatchGet(r.Context(), scope(r), id); err != nil {
			return nil, err
		}
		list, err := s.cfg.Store.DocumentListByBatch(r.Context(), id)
		if err != nil {
			return nil, err
		}
		sc := scope(r)
		for _, d := range list {
			if d.State == pipeline.StateFailed && pipeline.Retryable(d.ErrorCode) && sc.Allows(d.Department) {
				docs = append(docs, d.ID)
			}
		}
		if len(docs) == 0 {
			return []int64{}, s.audit(r, pipeline.AuditRetry, "batch:"+strconv.FormatInt(id, 10), map[string]any{"documents": []int64{}})
		}
	}
	ids, err := s.cfg.Store.DocumentRetry(r.Context(), pipeline.DocumentRetryParams{Scope: scope(r), BatchID: id, DocumentIDs: docs})
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []int64{}
	}
	return ids, s.audit(r, pipeline.AuditRetry, "batch:"+strconv.FormatInt(id, 10), map[string]any{"documents": ids})
}

// document loads the document the path names if the user's scope covers
// it, or answers with the error (not found, whether it exists or not).
func (s *Server) document(w http.ResponseWriter, r *http.Request) (*pipeline.Document, bool) {
	id, err := pathID(r)
	if err == nil {
		var d *pipeline.Document
		if d, err = s.cfg.Store.DocumentGet(r.Context(), scope(r), id); err == nil {
			return d, true
		}
	}
	s.fail(w, r, err)
	return nil, false
}

func docObject(id int64) string { return "document:" + strconv.FormatInt(id, 10) }

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
	info := DocumentInfo{Document: d}
	if info.Search, err = s.documentSearch(r.Context(), d.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.audit(r, pipeline.AuditView, docObject(d.ID), nil); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
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
	if err := s.audit(r, pipeline.AuditDownload, docObject(d.ID), nil); err != nil {
		s.fail(w, r, err)
		return
	}
	s.serveOriginal(w, r, d, "attachment")
}

// serveOriginal sends the original bytes with a content type that cannot
// run in hoso's origin: only PDF and images as themselves, everything else
// as a download of application/octet-stream.
func (s *Server) serveOriginal(w http.ResponseWriter, r *http.Request, d *pipeline.Document, disposition string) {
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
	w.Header().Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": d.Filename}))
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
	if err := s.audit(r, pipeline.AuditView, docObject(d.ID), map[string]string{"part": "text"}); err != nil {
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
	req, err := searchRequest(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	token, err := minPosition(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	stale := token > 0 && !s.cfg.Index.WaitFor(r.Context(), token, search.DefaultCatchUpWait)
	res, err := s.runSearch(r, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, SearchAnswer{Response: res, Stale: stale, Position: s.cfg.Index.Horizon()})
}

// SearchAnswer is the answer to GET /api/v1/search.
type SearchAnswer struct {
	*search.Response
	// Stale: the search asked for min_position, and this node had not
	// indexed the changes up to it after waiting search.DefaultCatchUpWait.
	Stale bool `json:"stale"`
	// Position is this node's horizon: it holds every change whose
	// position is below it.
	Position int64 `json:"position"`
}

// minPosition reads min_position: a write's change-feed position (a
// batch's position once its documents are done) that the search must see.
func minPosition(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("min_position")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, pipeline.Errorf(pipeline.EINVALID, "min_position must be a position a write returned, not %q.", v)
	}
	return n, nil
}

// runSearch searches within the user's scope and records the query.
func (s *Server) runSearch(r *http.Request, req search.Request) (*search.Response, error) {
	req.Scope = scope(r)
	res, err := s.cfg.Index.Search(r.Context(), req)
	q, cut := AuditText(req.Query)
	detail := map[string]any{"q": q}
	if cut {
		detail["q_length"] = utf8.RuneCountInString(req.Query)
	}
	if err != nil {
		// A refused or failed search is a trace too.
		detail["error"] = pipeline.ErrorCode(err)
		if aerr := s.audit(r, pipeline.AuditSearch, "search", detail); aerr != nil {
			return nil, aerr
		}
		return nil, err
	}
	detail["hits"] = res.Total
	for k, v := range map[string]string{"type": req.Type, "department": req.Department, "tag": req.Tag, "batch": req.Batch, "after": req.After, "match": req.Match} {
		if v != "" {
			detail[k] = v
		}
	}
	if !req.From.IsZero() {
		detail["from"] = req.From.Format("2006-01-02")
	}
	if !req.To.IsZero() {
		detail["to"] = req.To.Format("2006-01-02")
	}
	return res, s.audit(r, pipeline.AuditSearch, "search", detail)
}

// searchRequest reads a search from the query string:
// q, match=all, type, department, tag, batch, from, to (yyyy-mm-dd), sort,
// after, limit, facets=false.
func searchRequest(r *http.Request) (search.Request, error) {
	q := r.URL.Query()
	req := search.Request{Query: q.Get("q"), Match: q.Get("match"), Type: q.Get("type"), Department: q.Get("department"), Tag: q.Get("tag"),
		Batch: q.Get("batch"), Sort: q.Get("sort"), After: q.Get("after"), Facets: q.Get("facets") != "false"}
	for name, dst := range map[string]*time.Time{"from": &req.From, "to": &req.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				return req, pipeline.Errorf(pipeline.EINVALID, "%s must be a date like 2024-07-05, not %q.", name, v)
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
			return req, pipeline.Errorf(pipeline.EINVALID, "limit must be a positive number.")
		}
		req.Size = n
	}
	return req, nil
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
	if err := s.audit(r, pipeline.AuditReindex, "index", map[string]any{"documents": res.Documents, "generation": res.Generation}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "Search index rebuilt", "documents", res.Documents, "generation", res.Generation)
	writeJSON(w, http.StatusOK, res)
}

// flagList answers GET /api/v1/flags?status=&kind=&department=.
func (s *Server) flagList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	flags, err := s.cfg.Store.FlagList(r.Context(), pipeline.FlagListParams{Scope: scope(r), Status: q.Get("status"), Kind: q.Get("kind"), Department: q.Get("department")})
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
	f, err := s.cfg.Store.FlagGet(r.Context(), scope(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.audit(r, pipeline.AuditView, "flag:"+strconv.FormatInt(id, 10), nil); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// FlagDecision is the body of POST /api/v1/flags/{id}/decisions; who
// decides is the signed-in user.
type FlagDecision struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

func (s *Server) flagDecide(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var d FlagDecision
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&d); err != nil {
		s.fail(w, r, pipeline.Errorf(pipeline.EINVALID, "Send the decision as JSON: status, reason, note."))
		return
	}
	f, err := s.decide(r, id, d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// reasonsFor are the reasons that fit each decision: a flag is not
// dismissed "for fraud", nor confirmed "as template text".
var reasonsFor = map[string][]string{
	pipeline.FlagConfirmed: {"confirmed_fraud", "confirmed_error", "other"},
	pipeline.FlagDismissed: {"same_applicant", "same_family", "legitimate_reuse", "template_text", "other"},
	pipeline.FlagNeedsInfo: {"needs_documents", "other"},
	pipeline.FlagOpen:      {"other"},
}

func (s *Server) decide(r *http.Request, id int64, d FlagDecision) (*pipeline.Flag, error) {
	if fits, ok := reasonsFor[d.Status]; ok && d.Reason != "" && !slices.Contains(fits, d.Reason) {
		return nil, &correctionError{key: "flag.reason_mismatch", err: pipeline.Errorf(pipeline.EINVALID,
			"The reason %q does not fit the decision %q; choose one of: %s.", d.Reason, d.Status, strings.Join(fits, ", "))}
	}
	f, err := s.cfg.Store.FlagDecide(r.Context(), pipeline.FlagDecideParams{Scope: scope(r), FourEyes: s.cfg.FourEyes, ID: id, Status: d.Status,
		Reason: d.Reason, Note: d.Note, DecidedBy: currentUser(r).Name})
	if err != nil {
		return nil, err
	}
	s.cfg.Logger.InfoContext(r.Context(), "Flag decided", "flag_id", id, "status", d.Status)
	return f, s.audit(r, pipeline.AuditFlagDecision, "flag:"+strconv.FormatInt(id, 10), map[string]string{"status": d.Status, "outcome": f.Status, "reason": d.Reason, "note": d.Note})
}

// auditList answers GET /api/v1/audit?user=&action=&object=&after=&limit=.
func (s *Server) auditList(w http.ResponseWriter, r *http.Request) {
	p, err := auditParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.cfg.Store.AuditList(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": list})
}

func auditParams(r *http.Request) (pipeline.AuditListParams, error) {
	q := r.URL.Query()
	p := pipeline.AuditListParams{UserName: strings.TrimSpace(q.Get("user")), Action: q.Get("action"), Object: auditObjectFilter(q.Get("object"))}
	for name, dst := range map[string]*int64{"after": &p.AfterSeq, "before": &p.BeforeSeq} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return p, pipeline.Errorf(pipeline.EINVALID, "%s must be a record number.", name)
			}
			*dst = n
		}
	}
	for name, dst := range map[string]*time.Time{"since": &p.Since, "until": &p.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				return p, pipeline.Errorf(pipeline.EINVALID, "%s must be a date like 2024-07-05, not %q.", name, v)
			}
			if name == "until" {
				t = t.Add(24 * time.Hour)
			}
			*dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return p, pipeline.Errorf(pipeline.EINVALID, "limit is a number from 1 to 1000.")
		}
		p.Limit = n
	}
	return p, nil
}

// auditObjectFilter reads the audit page's object filter as people write
// it — "tài liệu 12", "lô 3", "cảnh báo 5", "người dùng lan", or in
// English — into the trail's form ("document:12"); the trail's own form
// passes as it is.
func auditObjectFilter(s string) string {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	for prefix, kind := range map[string]string{"tài liệu": "document", "document": "document", "lô": "batch", "batch": "batch",
		"cảnh báo": "flag", "flag": "flag", "người dùng": "user", "user": "user"} {
		if rest, ok := strings.CutPrefix(lower, prefix); ok && strings.HasPrefix(rest, " ") {
			v := strings.TrimPrefix(strings.TrimSpace(s[len(prefix):]), "#")
			if v != "" {
				return kind + ":" + v
			}
		}
	}
	return s
}
