package web

import (
	"net/http"

	"hoso/classify/learn"
	"hoso/pipeline"
)

// proposal is the rules page's draft rule for a type, learned from the
// documents in the user's scope that rules and people typed.
type proposal struct {
	Type  string
	Body  bool
	Types []string // to choose from: the types of the rules in force
	Draft *learn.Proposal
	Rule  string // the draft as YAML
}

// propose drafts a rule for the type the rules page asks for (?propose=T,
// &body=1 without heading lines); nil when it asks for none.
func (s *Server) propose(r *http.Request) (*proposal, error) {
	ctx := r.Context()
	p := &proposal{Type: r.URL.Query().Get("propose"), Body: r.URL.Query().Get("body") != ""}
	if rs, err := s.names.rules.Get(ctx); err == nil {
		for _, t := range rs.Types {
			p.Types = append(p.Types, t.ID)
		}
	}
	if p.Type == "" {
		return p, nil
	}
	sc := scope(r)
	var examples []learn.Example
	for after := int64(0); ; {
		docs, err := s.cfg.Store.ModelTrainingDocuments(ctx, pipeline.ModelTrainingDocumentsParams{AfterID: after})
		if err != nil {
			return nil, err
		}
		if len(docs) == 0 {
			break
		}
		for _, d := range docs {
			if sc.Allows(d.Department) {
				examples = append(examples, learn.Example{Text: d.Text, Label: d.Type})
			}
		}
		after = docs[len(docs)-1].ID
	}
	draft, err := learn.Propose(examples, p.Type, learn.ProposeConfig{Body: p.Body})
	if err != nil {
		return nil, err
	}
	if err := draft.DryRun(examples); err != nil {
		return nil, err
	}
	// The proposal read the texts of the documents in scope.
	if err := s.audit(r, pipeline.AuditView, "rules:propose", map[string]any{"type": p.Type, "documents": len(examples)}); err != nil {
		return nil, err
	}
	p.Draft, p.Rule = draft, draft.Rule()
	return p, nil
}
