package web

import (
	"errors"
	"net/http"
	"strconv"

	"hoso/pipeline"
)

// documentAcceptSuggestion is the document page's "accept" button under
// the learned model's suggestion: a person's correction to the suggested
// type, audited like any other, from which the next model learns.
func (s *Server) documentAcceptSuggestion(w http.ResponseWriter, r *http.Request) {
	d, ok := s.document(w, r)
	if !ok {
		return
	}
	c := d.Classification
	var sug *pipeline.Suggestion
	var corr correction
	switch {
	case c == nil:
	case r.PostFormValue("department") != "" && c.DepartmentSuggestion != nil && r.PostFormValue("department") == c.DepartmentSuggestion.Label:
		sug = c.DepartmentSuggestion
		corr.Department = sug.Label
	case c.Suggestion != nil && r.PostFormValue("type") == c.Suggestion.Label:
		sug = c.Suggestion
		corr.Type = sug.Label
	}
	if sug == nil {
		// The suggestion changed since the page was shown.
		http.Redirect(w, r, "/documents/"+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
		return
	}
	corr.Reason = s.translator(r).T("suggest.accept_reason", sug.ModelVersion, strconv.FormatFloat(sug.Probability, 'f', 2, 64))
	if _, err := s.correct(r, d, corr); err != nil {
		var ce *correctionError
		if !errors.As(err, &ce) {
			s.fail(w, r, err)
			return
		}
		s.renderDocument(w, r, d, http.StatusBadRequest, s.translator(r).T(ce.key, sug.Label), correction{Type: d.Type, Department: d.Department})
		return
	}
	http.Redirect(w, r, "/documents/"+strconv.FormatInt(d.ID, 10)+"?corrected=1", http.StatusSeeOther)
}
