package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"hoso/classify"
	"hoso/pipeline"
)

type rulesPage struct {
	Current  *pipeline.RuleSetVersion // nil: the built-in rules
	Versions []*pipeline.RuleSetVersion
	Source   string   // the text in the editor
	Problems []string // from a check, each with its line
	Checked  bool
	DryRun   []dryRunRow
	DryRunN  int
	Diff     []diffLine
	From, To int
	Loaded   int
	Message  string
	// Applying is how many documents were sent to be classified again
	// with the rules in force; Waiting how many of them are not done yet.
	Applying, Waiting int
	Classified        int // documents that have a classification
	// Proposal is a draft rule learned from the archive's decisions.
	Proposal *proposal
}

type dryRunRow struct {
	Doc      *pipeline.Document
	Old, New string
	Rule     string
}

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request) {
	page := &rulesPage{}
	page.Loaded, _ = strconv.Atoi(r.URL.Query().Get("loaded"))
	page.Applying, _ = strconv.Atoi(r.URL.Query().Get("applying"))
	s.renderRules(w, r, http.StatusOK, page)
}

// rulesApply classifies every classified document again with the rules
// in force, as jobs: the page then shows how many are still waiting. A
// person's corrections stand.
func (s *Server) rulesApply(w http.ResponseWriter, r *http.Request) {
	ids, err := s.cfg.Store.DocumentReclassify(r.Context(), pipeline.DocumentReclassifyParams{All: true})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.audit(r, pipeline.AuditClassification, "rules:apply", map[string]any{"documents": len(ids)}); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/rules?applying="+strconv.Itoa(len(ids)), http.StatusSeeOther)
}

func (s *Server) renderRules(w http.ResponseWriter, r *http.Request, status int, page *rulesPage) {
	ctx := r.Context()
	var err error
	if page.Versions, err = s.cfg.Store.RuleSetList(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	if n := len(page.Versions); n > 0 {
		page.Current = page.Versions[0]
		for _, v := range page.Versions {
			if v.Version > page.Current.Version {
				page.Current = v
			}
		}
	}
	if page.Source == "" {
		if page.Current != nil {
			page.Source = page.Current.Source
		} else {
			page.Source = string(classify.DefaultRulesYAML())
		}
	}
	if counts, err := s.cfg.Store.DocumentCountByState(ctx, pipeline.DocumentCountByStateParams{}); err == nil {
		page.Waiting = counts[pipeline.StateExtracted] + counts[pipeline.StateClassified]
		page.Classified = counts[pipeline.StateClassified] + counts[pipeline.StateChecked] + counts[pipeline.StateIndexed]
	}
	if page.Proposal, err = s.propose(r); err != nil {
		if pipeline.ErrorCode(err) == pipeline.EINTERNAL {
			s.fail(w, r, err)
			return
		}
		page.Message = pipeline.ErrorMessage(err)
	}
	q := r.URL.Query()
	if q.Has("from") {
		page.From, _ = strconv.Atoi(q.Get("from"))
		page.To, _ = strconv.Atoi(q.Get("to"))
		a, errA := s.ruleSource(r, page.From)
		b, errB := s.ruleSource(r, page.To)
		if err := errors.Join(errA, errB); err != nil {
			page.Message = pipeline.ErrorMessage(err)
		} else {
			page.Diff = diffLines(a, b)
		}
	}
	s.render(w, r, status, "rules", page)
}

// ruleSource returns a version's text; version 0 is the built-in set.
func (s *Server) ruleSource(r *http.Request, version int) (string, error) {
	if version == 0 {
		return string(classify.DefaultRulesYAML()), nil
	}
	v, err := s.cfg.Store.RuleSetGet(r.Context(), version)
	if err != nil {
		return "", err
	}
	return v.Source, nil
}

// rulesUpload checks, dry-runs or loads a rule file from the editor or an
// uploaded file.
func (s *Server) rulesUpload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if err := r.ParseMultipartForm(4 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		s.fail(w, r, pipeline.Errorf(pipeline.EINVALID, "The rule file is larger than 4 MB or the form was cut off."))
		return
	}
	ctx := r.Context()
	page := &rulesPage{Source: strings.ReplaceAll(r.PostFormValue("source"), "\r\n", "\n")}
	if f, _, err := r.FormFile("file"); err == nil {
		b, err := io.ReadAll(io.LimitReader(f, 4<<20))
		f.Close()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(b) > 0 {
			page.Source = string(b)
		}
	}
	rs, err := classify.Parse([]byte(page.Source))
	page.Checked = true
	var errs classify.Errors
	switch {
	case errors.As(err, &errs):
		page.Problems = errs
	case err != nil:
		page.Problems = []string{err.Error()}
	}
	if len(page.Problems) > 0 {
		s.renderRules(w, r, http.StatusBadRequest, page)
		return
	}
	switch r.PostFormValue("action") {
	case "load":
		v, err := s.cfg.Store.RuleSetCreate(ctx, pipeline.RuleSetCreateParams{Name: strings.TrimSpace(r.PostFormValue("name")), Source: page.Source})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.audit(r, pipeline.AuditRuleChange, "rules:"+strconv.Itoa(v.Version), map[string]any{"version": v.Version, "sha256": v.SHA256, "name": v.Name}); err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/rules?loaded="+strconv.Itoa(v.Version), http.StatusSeeOther)
		return
	case "dryrun":
		if err := s.dryRun(r, rs, page); err != nil {
			s.fail(w, r, err)
			return
		}
		// The trial read the texts of the newest documents in scope.
		if err := s.audit(r, pipeline.AuditView, "rules:dryrun", map[string]any{"documents": page.DryRunN}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.renderRules(w, r, http.StatusOK, page)
}

// dryRun classifies the newest documents in the user's scope with the
// candidate rules and lists those whose type would change.
func (s *Server) dryRun(r *http.Request, rs *classify.RuleSet, page *rulesPage) error {
	ctx := r.Context()
	sc := scope(r)
	var after int64
	var recent []*pipeline.Document
	// Newest 200 documents: walk the list (IDs ascend) keeping the tail.
	for {
		list, err := s.cfg.Store.DocumentList(ctx, pipeline.DocumentListParams{AfterID: after, Limit: 1000})
		if err != nil {
			return err
		}
		for _, d := range list {
			if d.Type != "" && sc.Allows(d.Department) {
				recent = append(recent, d)
			}
		}
		if len(recent) > 200 {
			recent = recent[len(recent)-200:]
		}
		if len(list) < 1000 {
			break
		}
		after = list[len(list)-1].ID
	}
	for _, d := range recent {
		pages, err := s.cfg.Store.PageListByDocument(ctx, d.ID)
		if err != nil {
			return err
		}
		texts := make([]string, len(pages))
		for i, p := range pages {
			texts[i] = p.Text
		}
		res := rs.Classify(classify.Document{Filename: d.Filename, Batch: d.BatchName, Department: d.UploadDepartment, Language: d.Language, Pages: texts})
		page.DryRunN++
		if res.Type != d.Type {
			page.DryRun = append(page.DryRun, dryRunRow{Doc: d, Old: d.Type, New: res.Type, Rule: res.Rule})
		}
	}
	return nil
}

type diffLine struct {
	Op   string // " ", "+", "-"
	Text string
	A, B int // line numbers, 0 when absent
}

// diffLines is a line diff by longest common subsequence, with unchanged
// stretches longer than six lines folded to their edges.
func diffLines(a, b string) []diffLine {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(x)*len(y) > 25_000_000 {
		return []diffLine{{Op: "!", Text: "The files are too long to compare here; use a diff tool on the exported versions."}}
	}
	lcs := lcsTable[int32](x, y) // common lines of x[i:] and y[j:]
	var out []diffLine
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			out = append(out, diffLine{Op: " ", Text: x[i], A: i + 1, B: j + 1})
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			out = append(out, diffLine{Op: "+", Text: y[j], B: j + 1})
			j++
		default:
			out = append(out, diffLine{Op: "-", Text: x[i], A: i + 1})
			i++
		}
	}
	// Fold unchanged runs, keeping three lines of context either side.
	var folded []diffLine
	for k := 0; k < len(out); {
		if out[k].Op != " " {
			folded = append(folded, out[k])
			k++
			continue
		}
		e := k
		for e < len(out) && out[e].Op == " " {
			e++
		}
		lead, trail := 0, 0
		if k > 0 {
			lead = 3
		}
		if e < len(out) {
			trail = 3
		}
		if e-k > lead+trail+1 {
			folded = append(folded, out[k:k+lead]...)
			folded = append(folded, diffLine{Op: "…", Text: strconv.Itoa(e - k - lead - trail)})
			folded = append(folded, out[e-trail:e]...)
		} else {
			folded = append(folded, out[k:e]...)
		}
		k = e
	}
	return folded
}
