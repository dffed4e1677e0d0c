package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"hoso/pipeline"
	"hoso/search"
)

type batchesPage struct {
	Batches     []*pipeline.BatchSummary
	Departments []string
	Mine        bool
	Message     string
	Older       int64
}

func (s *Server) batchesPage(w http.ResponseWriter, r *http.Request) {
	s.renderBatches(w, r, http.StatusOK, "")
}

func (s *Server) renderBatches(w http.ResponseWriter, r *http.Request, status int, msg string) {
	u := currentUser(r)
	// Clerks see their own uploads by default; supervisors their
	// departments'.
	mine := r.URL.Query().Get("all") != "true" && u.Role == pipeline.RoleClerk
	p := pipeline.BatchListParams{Scope: scope(r), Limit: 30}
	if mine {
		p.CreatedBy = u.ID
	}
	p.BeforeID, _ = strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	list, err := s.cfg.Store.BatchList(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := &batchesPage{Batches: list, Departments: u.Departments, Mine: mine, Message: msg}
	if len(list) == p.Limit {
		page.Older = list[len(list)-1].ID
	}
	s.render(w, r, status, "batches", page)
}

// batchUploadForm is the upload without JavaScript: a plain multipart
// form post, answered with the batch's page.
func (s *Server) batchUploadForm(w http.ResponseWriter, r *http.Request) {
	resp, err := s.upload(w, r)
	if err != nil {
		err = uploadError(resp, err)
		if code := pipeline.ErrorCode(err); code == pipeline.EINTERNAL {
			s.fail(w, r, err)
			return
		}
		s.renderBatches(w, r, http.StatusBadRequest, pipeline.ErrorMessage(err))
		return
	}
	http.Redirect(w, r, "/batches/"+strconv.FormatInt(resp.Batch.ID, 10), http.StatusSeeOther)
}

type batchPage struct {
	*BatchStatus
	Visible map[int64]bool // documents the user may open
	Failed  int
	Retried int
}

func (p *batchPage) title(v *view) string { return v.T("title.batch", p.Batch.Name) }

func (s *Server) batchPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.batchStatus(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := scope(r)
	page := &batchPage{BatchStatus: st, Visible: map[int64]bool{}}
	page.Retried, _ = strconv.Atoi(r.URL.Query().Get("retried"))
	for _, d := range st.Documents {
		page.Visible[d.ID] = sc.Allows(d.Department)
		if d.State == pipeline.StateFailed && pipeline.Retryable(d.ErrorCode) {
			page.Failed++
		}
	}
	s.render(w, r, http.StatusOK, "batch", page)
}

func (s *Server) batchRetryForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	var docs []int64
	if err := r.ParseForm(); err == nil {
		for _, v := range r.PostForm["document"] {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				docs = append(docs, id)
			}
		}
	}
	ids, err := s.retry(r, docs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/batches/"+r.PathValue("id")+"?retried="+strconv.Itoa(len(ids)), http.StatusSeeOther)
}

type searchPage struct {
	Request     search.Request
	Query       url.Values
	Response    *search.Response
	Message     string
	QueryError  *search.QueryError // a query the parser could not read
	Types       []string           // the filters' choices
	Departments []string
	FacetNames  []string
}

// link returns the search URL with one parameter changed (and paging
// reset), for facets and filters.
func (p *searchPage) Link(key, value string) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = slices.Clone(v)
	}
	q.Del("after")
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	return "/search?" + q.Encode()
}

// Next is the link to the next page.
func (p *searchPage) Next() string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = slices.Clone(v)
	}
	q.Set("after", p.Response.Next)
	return "/search?" + q.Encode()
}

// UnknownWords are the query's words that no document holds.
func (p *searchPage) UnknownWords() []string {
	var out []string
	for _, w := range p.Response.Words {
		if !w.Found && !w.Stop && !w.Excluded {
			out = append(out, w.Text)
		}
	}
	return out
}

// filterParams are the page's parameters behind each filter a suggestion
// may drop.
var filterParams = map[string][]string{"type": {"type"}, "department": {"department"}, "tags": {"tag"}, "batch": {"batch"}, "date": {"from", "to"}}

// Without is the search without a filter.
func (p *searchPage) Without(filter string) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = slices.Clone(v)
	}
	q.Del("after")
	for _, k := range filterParams[filter] {
		q.Del(k)
	}
	return "/search?" + q.Encode()
}

// FilterLabel is the catalog key naming a filter.
func (p *searchPage) FilterLabel(filter string) string {
	if filter == "date" {
		return "search.date"
	}
	return "facet." + filter
}

// Replace is the search with one word of the query replaced, for
// spelling suggestions.
func (p *searchPage) Replace(word, instead string) string {
	var out []string
	for _, f := range strings.Fields(p.Query.Get("q")) {
		if f == word {
			f = instead
		}
		out = append(out, f)
	}
	return p.Link("q", strings.Join(out, " "))
}

// Selected reports whether a facet value is the active filter.
func (p *searchPage) Selected(key, value string) bool { return p.Query.Get(key) == value }

// facetParam maps a facet to the query parameter that filters by it.
var facetParam = map[string]string{"type": "type", "department": "department", "tags": "tag", "batch": "batch", "language": "q:language", "year": "q:year", "month": "q:month", "flags": "q:flag"}

// FacetLink filters by a facet value.
func (p *searchPage) FacetLink(facet, term string) string {
	param := facetParam[facet]
	if field, ok := strings.CutPrefix(param, "q:"); ok {
		q := strings.TrimSpace(p.Query.Get("q") + " " + field + ":" + term)
		return p.Link("q", q)
	}
	return p.Link(param, term)
}

func (s *Server) searchPage(w http.ResponseWriter, r *http.Request) {
	page := &searchPage{Query: r.URL.Query(), FacetNames: []string{"type", "department", "flags", "language", "year", "tags"}}
	if rs, err := s.names.rules.Get(r.Context()); err == nil {
		for _, t := range rs.Types {
			page.Types = append(page.Types, t.ID)
		}
		page.Types = append(page.Types, pipeline.TypeUnclassified)
	}
	page.Departments = scope(r).Departments
	if s.cfg.Index == nil {
		s.fail(w, r, pipeline.Errorf(pipeline.EUNSUPPORTED, "This server keeps no search index."))
		return
	}
	req, err := searchRequest(r)
	page.Request = req
	if err == nil && len(r.URL.Query()) > 0 {
		req.Facets = true
		page.Response, err = s.runSearch(r, req)
	}
	status := http.StatusOK
	if err != nil {
		if pipeline.ErrorCode(err) == pipeline.EINTERNAL {
			s.fail(w, r, err)
			return
		}
		page.Message, status = pipeline.ErrorMessage(err), http.StatusBadRequest
		var qe *search.QueryError
		if errors.As(err, &qe) {
			page.Message, page.QueryError = "", qe
		}
	}
	s.render(w, r, status, "search", page)
}

type documentPage struct {
	Doc              *pipeline.Document
	IdentifierGroups []identifierGroup
	// The correction form: the types and departments to choose from,
	// what it holds, and what became of the last one.
	Types, Departments []string
	Form               correction
	Message, Error     string
	// Pages are the pages shown: a window of textPages from PageFrom (its
	// number) of the document's PageTotal; PrevFrom and NextFrom are the
	// first pages of the windows before and after, 0 for none.
	Pages                        []pipeline.Page
	PageFrom, PageTotal          int
	PrevFrom, NextFrom, LastPage int
	// IndexedInPart: search reads only the first IndexedBytes of the
	// text word by word (search.MaxIndexedText).
	IndexedInPart bool
	IndexedBytes  int64
	Flags         []*pipeline.Flag
	History       []*pipeline.AuditRecord
	Preview       string // "pdf", "image" or ""
	Original      string
	CanReview     bool
	CanCorrect    bool
	Search        DocumentSearch // which search nodes hold it
}

func (p *documentPage) title(v *view) string { return p.Doc.Filename }

// textPages is how many pages of text the document page shows at once: a
// register of thousands of pages would be tens of megabytes of HTML.
const textPages = 50

// window keeps the pages shown: textPages of them from the page numbered
// from ("" or out of range: the first).
func (p *documentPage) window(from string) {
	p.PageTotal = len(p.Pages)
	first, err := strconv.Atoi(from)
	if err != nil || first < 1 || first > p.PageTotal {
		first = 1
	}
	last := min(first+textPages-1, p.PageTotal)
	p.Pages = p.Pages[first-1 : last]
	p.PageFrom, p.LastPage = first, last
	if first > 1 {
		p.PrevFrom = max(1, first-textPages)
	}
	if last < p.PageTotal {
		p.NextFrom = last + 1
	}
}

func (s *Server) documentPage(w http.ResponseWriter, r *http.Request) {
	d, ok := s.document(w, r)
	if !ok {
		return
	}
	msg := ""
	if r.URL.Query().Get("corrected") != "" {
		msg = s.translator(r).T("correct.done")
	}
	s.renderDocument(w, r, d, http.StatusOK, msg, correction{Type: d.Type, Department: d.Department})
}

// renderDocument renders the document page, with a message for the
// correction form and what it holds.
func (s *Server) renderDocument(w http.ResponseWriter, r *http.Request, d *pipeline.Document, status int, msg string, form correction) {
	ctx := r.Context()
	page := &documentPage{Doc: d, Original: "/documents/" + strconv.FormatInt(d.ID, 10) + "/original", Message: msg, Form: form}
	if status != http.StatusOK {
		page.Error, page.Message = msg, ""
	}
	var err error
	if page.Pages, err = s.cfg.Store.PageListByDocument(ctx, d.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	page.IndexedInPart, page.IndexedBytes = !search.IndexedInFull(page.Pages), search.MaxIndexedText
	page.window(r.URL.Query().Get("from"))
	if d.Identifiers, err = s.cfg.Store.IdentifierListByDocument(ctx, d.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	page.IdentifierGroups = groupIdentifiers(d.Identifiers)
	if page.Search, err = s.documentSearch(ctx, d.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Flags, err = s.cfg.Store.FlagList(ctx, pipeline.FlagListParams{Scope: scope(r), DocumentID: d.ID}); err != nil {
		s.fail(w, r, err)
		return
	}
	u := currentUser(r)
	page.CanReview = u.Role == pipeline.RoleSupervisor
	page.CanCorrect = u.Role == pipeline.RoleClerk || page.CanReview
	if page.CanCorrect {
		if rs, err := s.names.rules.Get(ctx); err == nil {
			for _, t := range rs.Types {
				page.Types = append(page.Types, t.ID)
			}
		}
		page.Types = append(page.Types, pipeline.TypeUnclassified)
		_, all := s.names.departments(ctx)
		for _, dep := range all {
			if page.CanReview || slices.Contains(u.Departments, dep.Code) || dep.Code == d.Department {
				page.Departments = append(page.Departments, dep.Code)
			}
		}
	}
	switch {
	case d.MIME == "application/pdf" && d.ErrorCode != pipeline.EENCRYPTED:
		page.Preview = "pdf"
	case d.MIME == "image/png", d.MIME == "image/jpeg":
		page.Preview = "image"
	}
	if err := s.audit(r, pipeline.AuditView, docObject(d.ID), nil); err != nil {
		s.fail(w, r, err)
		return
	}
	if page.History, err = s.cfg.Store.AuditList(ctx, pipeline.AuditListParams{Object: docObject(d.ID), BeforeSeq: 1 << 62, Limit: 50}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "document", page)
}

// identifierGroup is an identifier with the places it is written.
type identifierGroup struct {
	Kind, Value string
	Raw         []string // the spellings, each once
	Pages       []int
	Count       int
}

// groupIdentifiers lists each identifier once, with how often and where
// it is written.
func groupIdentifiers(ids []pipeline.Identifier) []identifierGroup {
	var out []identifierGroup
	at := map[[2]string]int{}
	for _, id := range ids {
		k := [2]string{id.Kind, id.Value}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, identifierGroup{Kind: id.Kind, Value: id.Value})
		}
		g := &out[i]
		g.Count++
		if !slices.Contains(g.Raw, id.Raw) {
			g.Raw = append(g.Raw, id.Raw)
		}
		if !slices.Contains(g.Pages, id.Page) {
			g.Pages = append(g.Pages, id.Page)
		}
	}
	return out
}

// documentPreview serves a PDF or image inline, for the frame on the
// document page only: the answer may be framed by hoso itself and runs no
// script of its own.
func (s *Server) documentPreview(w http.ResponseWriter, r *http.Request) {
	d, ok := s.document(w, r)
	if !ok {
		return
	}
	if d.MIME != "application/pdf" && d.MIME != "image/png" && d.MIME != "image/jpeg" {
		s.fail(w, r, pipeline.Errorf(pipeline.EUNSUPPORTED, "There is no preview for %s files; download the original.", d.MIME))
		return
	}
	if err := s.audit(r, pipeline.AuditView, docObject(d.ID), map[string]string{"part": "preview"}); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'")
	w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	s.serveOriginal(w, r, d, "inline")
}

type flagsPage struct {
	Flags       []*pipeline.Flag
	Query       url.Values
	Kinds       []string
	Departments []string
	Decided     string // the flag decided just before, with none left to review
	Message     string // what is wrong with the filters
}

// Link returns the queue URL with one filter changed.
func (p *flagsPage) Link(key, value string) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = slices.Clone(v)
	}
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	return "/flags?" + q.Encode()
}

var flagKinds = []string{pipeline.FlagExactDuplicate, pipeline.FlagRecurringIdentifier, "red_flag", "near_duplicate", "volume_spike", pipeline.FlagModelDisagrees}

// flagFilters are the values each filter of the queue takes ("" is any).
var flagFilters = map[string][]string{
	"status":   {"", pipeline.FlagsActive, pipeline.FlagOpen, pipeline.FlagAwaitingSecond, pipeline.FlagNeedsInfo, pipeline.FlagConfirmed, pipeline.FlagDismissed},
	"severity": {"", "high", "medium", "low"},
	"sort":     {"", "severity", "age", "recent"},
}

func (s *Server) flagsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := q.Get("status")
	if !q.Has("status") {
		status = pipeline.FlagsActive
	}
	page := &flagsPage{Query: q, Kinds: flagKinds, Departments: scope(r).Departments, Decided: r.URL.Query().Get("decided")}
	t := s.translator(r)
	for name, allowed := range flagFilters {
		if v := q.Get(name); !slices.Contains(allowed, v) {
			page.Message = t.T("flags.bad_filter", t.T("flags."+name), v)
		}
	}
	if d := q.Get("department"); d != "" && !slices.Contains(page.Departments, d) {
		page.Message = t.T("flags.bad_filter", t.T("flags.department"), d)
	}
	if page.Message != "" {
		s.render(w, r, http.StatusBadRequest, "flags", page)
		return
	}
	list, err := s.cfg.Store.FlagList(r.Context(), pipeline.FlagListParams{Scope: scope(r), Status: status, Kind: q.Get("kind"),
		Department: q.Get("department"), Severity: q.Get("severity"), Sort: cmpOr(q.Get("sort"), "severity"), Limit: 200})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !q.Has("status") {
		q.Set("status", pipeline.FlagsActive)
	}
	page.Flags = list
	s.render(w, r, http.StatusOK, "flags", page)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

type flagPage struct {
	Flag     *pipeline.Flag
	Docs     []flagDoc
	Message  string
	Statuses []string
	Reasons  map[string][]string // the reasons that fit each decision
	Decided  string              // the flag decided just before, on the way here
	Diff     []diffWord          // near duplicates: what the second document changes in the first
	DiffOf   [2]string           // the two documents' names
}

type flagDoc struct {
	Doc      *pipeline.Document
	Evidence pipeline.FlagEvidence
	Excerpt  []excerptPart
}

type excerptPart struct {
	Text string
	Mark bool
}

func (p *flagPage) title(v *view) string { return v.FlagTitle(p.Flag) }

func (s *Server) flagPage(w http.ResponseWriter, r *http.Request) {
	s.renderFlag(w, r, http.StatusOK, "")
}

func (s *Server) renderFlag(w http.ResponseWriter, r *http.Request, status int, msg string) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	f, err := s.cfg.Store.FlagGet(ctx, scope(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := &flagPage{Flag: f, Message: msg, Reasons: reasonsFor, Decided: r.URL.Query().Get("decided"),
		Statuses: []string{pipeline.FlagConfirmed, pipeline.FlagDismissed, pipeline.FlagNeedsInfo, pipeline.FlagOpen}}
	for i, e := range f.Evidence {
		if i == 12 {
			break // the page shows the first dozen side by side
		}
		d, err := s.cfg.Store.DocumentGet(ctx, scope(r), e.DocumentID)
		if err != nil {
			continue
		}
		fd := flagDoc{Doc: d, Evidence: e}
		if pages, err := s.cfg.Store.PageListByDocument(ctx, d.ID); err == nil {
			fd.Excerpt = excerpt(pages, e.Detail)
		}
		page.Docs = append(page.Docs, fd)
	}
	if f.Kind == pipeline.FlagNearDuplicate && len(page.Docs) >= 2 {
		a, errA := s.cfg.Store.PageListByDocument(ctx, page.Docs[0].Doc.ID)
		b, errB := s.cfg.Store.PageListByDocument(ctx, page.Docs[1].Doc.ID)
		if errA == nil && errB == nil {
			page.Diff = diffWords(pagesText(a), pagesText(b))
			page.DiffOf = [2]string{page.Docs[0].Doc.Filename, page.Docs[1].Doc.Filename}
		}
	}
	if err := s.audit(r, pipeline.AuditView, "flag:"+strconv.FormatInt(id, 10), nil); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "flag", page)
}

// excerpt finds the evidence's matched text in the document and returns
// the words around it with the match marked; without a match, the start
// of the first page.
func excerpt(pages []pipeline.Page, detail string) []excerptPart {
	needle := detailMatch(detail)
	for _, p := range pages {
		if needle == "" {
			break
		}
		i := strings.Index(strings.ToLower(p.Text), strings.ToLower(needle))
		if i < 0 {
			continue
		}
		start, end := max(0, i-240), min(len(p.Text), i+len(needle)+240)
		for start > 0 && !isBoundary(p.Text, start) {
			start--
		}
		for end < len(p.Text) && !isBoundary(p.Text, end) {
			end++
		}
		return []excerptPart{{Text: p.Text[start:i]}, {Text: p.Text[i : i+len(needle)], Mark: true}, {Text: p.Text[i+len(needle) : end]}}
	}
	if len(pages) == 0 {
		return nil
	}
	t := pages[0].Text
	n := min(len(t), 480)
	for n < len(t) && !isBoundary(t, n) {
		n++
	}
	return []excerptPart{{Text: t[:n]}}
}

func isBoundary(s string, i int) bool { return i <= 0 || i >= len(s) || s[i]&0xC0 != 0x80 }

// detailMatch pulls the matched text out of an evidence detail such as
// `"0912 345 678" on page 2` or `matched "chuyển vào tài khoản cá nhân"`.
func detailMatch(detail string) string {
	i := strings.IndexByte(detail, '"')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(detail[i+1:], '"')
	if j < 0 {
		return ""
	}
	return detail[i+1 : i+1+j]
}

func (s *Server) flagDecideForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := FlagDecision{Status: r.PostFormValue("status"), Reason: r.PostFormValue("reason"), Note: strings.TrimSpace(r.PostFormValue("note"))}
	if _, err := s.decide(r, id, d); err != nil {
		if code := pipeline.ErrorCode(err); code == pipeline.EINVALID {
			msg := pipeline.ErrorMessage(err)
			var ce *correctionError
			if errors.As(err, &ce) {
				msg = s.translator(r).T(ce.key)
			}
			s.renderFlag(w, r, http.StatusBadRequest, msg)
			return
		}
		s.fail(w, r, err)
		return
	}
	// On to the next flag still to review, with word of this one.
	decided := strconv.FormatInt(id, 10)
	next, err := s.cfg.Store.FlagList(r.Context(), pipeline.FlagListParams{Scope: scope(r), Status: pipeline.FlagsActive, Sort: "severity", Limit: 50})
	if err == nil {
		for _, f := range next {
			if f.ID != id {
				http.Redirect(w, r, "/flags/"+strconv.FormatInt(f.ID, 10)+"?decided="+decided, http.StatusSeeOther)
				return
			}
		}
	}
	http.Redirect(w, r, "/flags?decided="+decided, http.StatusSeeOther)
}

type dashboardPage struct {
	Figures *pipeline.Figures
	Nodes   []pipeline.FeedNode // the search nodes and their lag
	Days    int
	MaxDay  int
}

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) {
	days, _ := strconv.Atoi(r.URL.Query().Get("days"))
	if days <= 0 || days > 366 {
		days = 30
	}
	since := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -days+1)
	f, err := s.cfg.Store.Figures(r.Context(), scope(r), since)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	nodes, err := s.cfg.Store.FeedNodeList(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := &dashboardPage{Figures: f, Days: days, Nodes: nodes}
	for _, d := range f.PerDay {
		page.MaxDay = max(page.MaxDay, d.Documents)
	}
	s.render(w, r, http.StatusOK, "dashboard", page)
}
