package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"hoso/classify"
	"hoso/pipeline"
)

// A clerk or a supervisor may correct a document's type and department,
// saying why. The correction is in the audit trail and the document's
// history, and reclassification never undoes it. A clerk moves documents
// only among the departments they work in; another department is a
// supervisor's decision.

// correction is a person's change of a document's type and department.
type correction struct {
	Type       string `json:"type"`
	Department string `json:"department"`
	Reason     string `json:"reason"`
}

// correctionError is a correction refused, with the catalog key of its
// message for the pages.
type correctionError struct {
	key string
	err error
}

func (e *correctionError) Error() string { return e.err.Error() }
func (e *correctionError) Unwrap() error { return e.err }

func refuse(key, code, format string, args ...any) error {
	return &correctionError{key: key, err: pipeline.Errorf(code, format, args...)}
}

// correct applies a correction to a document the user may see.
func (s *Server) correct(r *http.Request, d *pipeline.Document, c correction) (*pipeline.Document, error) {
	ctx := r.Context()
	u := currentUser(r)
	c.Reason = strings.TrimSpace(c.Reason)
	if c.Type == d.Type && d.TypeSource != pipeline.SourceModel {
		c.Type = "" // choosing the model's type confirms it: a person's decision
	}
	if c.Department == d.Department {
		c.Department = ""
	}
	switch {
	case c.Type == "" && c.Department == "":
		return nil, refuse("correct.nothing", pipeline.EINVALID, "Choose another type or department.")
	case c.Reason == "":
		return nil, refuse("correct.reason_missing", pipeline.EINVALID, "Say why the type or department is wrong.")
	case len(c.Reason) > 1000:
		return nil, refuse("correct.reason_long", pipeline.EINVALID, "The reason is longer than 1,000 characters.")
	}
	if c.Type != "" && c.Type != pipeline.TypeUnclassified {
		rs, err := s.names.rules.Get(ctx)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(rs.Types, func(t classify.Type) bool { return t.ID == c.Type }) {
			return nil, refuse("correct.no_type", pipeline.EINVALID, "There is no document type %q in the rules in force.", c.Type)
		}
	}
	if c.Department != "" {
		depts, _ := s.names.departments(ctx)
		if _, ok := depts[c.Department]; !ok {
			return nil, refuse("correct.no_department", pipeline.EINVALID, "There is no department %q.", c.Department)
		}
		if u.Role != pipeline.RoleSupervisor && !slices.Contains(u.Departments, c.Department) {
			return nil, refuse("correct.not_yours", pipeline.EFORBIDDEN, "Only a supervisor moves a document to a department you do not work in (%s).", c.Department)
		}
	}
	detail := map[string]any{"reason": c.Reason}
	if c.Type != "" {
		detail["type"] = map[string]string{"from": d.Type, "to": c.Type}
	}
	if c.Department != "" {
		detail["department"] = map[string]string{"from": d.Department, "to": c.Department}
	}
	// The trail first: a correction that cannot be recorded is not made.
	if err := s.audit(r, pipeline.AuditClassification, docObject(d.ID), detail); err != nil {
		return nil, err
	}
	return s.cfg.Store.DocumentCorrect(ctx, pipeline.DocumentCorrectParams{DocumentID: d.ID, Type: c.Type, Department: c.Department})
}

// documentCorrectForm is the document page's correction form.
func (s *Server) documentCorrectForm(w http.ResponseWriter, r *http.Request) {
	d, ok := s.document(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	c := correction{Type: r.PostFormValue("type"), Department: r.PostFormValue("department"), Reason: r.PostFormValue("reason")}
	if _, err := s.correct(r, d, c); err != nil {
		var ce *correctionError
		if !errors.As(err, &ce) {
			s.fail(w, r, err)
			return
		}
		s.renderDocument(w, r, d, http.StatusBadRequest, s.translator(r).T(ce.key, c.Type), c)
		return
	}
	http.Redirect(w, r, "/documents/"+strconv.FormatInt(d.ID, 10)+"?corrected=1", http.StatusSeeOther)
}

// documentCorrect is POST /api/v1/documents/{id}/classification: JSON
// type, department and reason.
func (s *Server) documentCorrect(w http.ResponseWriter, r *http.Request) {
	d, ok := s.document(w, r)
	if !ok {
		return
	}
	var c correction
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&c); err != nil {
		s.fail(w, r, pipeline.Errorf(pipeline.EINVALID, "Send JSON with type, department and reason."))
		return
	}
	d, err := s.correct(r, d, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
