package main

import (
	"context"
	"encoding/json"
	"fmt"

	"hoso/classify/learn"
)

// rulesPropose drafts a rule for a type from the documents rules and
// people typed: the words and phrases that separate it, with how many
// documents of the type and of the others hold each, and what the rule
// matches when run alone on them. A supervisor edits it into a rule file,
// tries it (hoso rules test) and loads it.
func (m *Main) rulesPropose(ctx context.Context, args []string) error {
	f := m.newFlags("rules propose")
	typ := f.fs.String("type", "", "the document type to draft a rule for")
	maxTerms := f.fs.Int("terms", 8, "most words and phrases in the rule")
	bodyOnly := f.fs.Bool("body", false, "leave out the documents' heading lines (issuer, number, date), for documents that arrive without them")
	asJSON := f.fs.Bool("json", false, "print the proposal as JSON")
	rt, _, err := f.open(ctx, args)
	if err != nil {
		return err
	}
	defer rt.Close()
	if *typ == "" {
		return usageError{"give --type T"}
	}
	examples, _, err := learn.ArchiveExamples(ctx, rt.Store, "", nil)
	if err != nil {
		return err
	}
	p, err := learn.Propose(examples, *typ, learn.ProposeConfig{MaxTerms: *maxTerms, Body: *bodyOnly})
	if err != nil {
		return err
	}
	if err := p.DryRun(examples); err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(m.Stdout).Encode(p)
	}
	if len(p.Terms) == 0 {
		fmt.Fprintf(m.Stdout, "No word or phrase separates %s from the other types in the %d documents typed so far.\n", *typ, p.Documents+p.Others)
		return nil
	}
	fmt.Fprintf(m.Stdout, "# Draft rule for %s, from %d documents of it and %d of other types typed by rules and people.\n", p.Type, p.Documents, p.Others)
	fmt.Fprintf(m.Stdout, "# Alone, it matches %d of the %d %s documents and %d of the %d others.\n", p.MatchIn, p.Documents, p.Type, p.MatchOut, p.Others)
	fmt.Fprintf(m.Stdout, "# Edit it into the rules section of a rule file, try it (hoso rules test FILE DOC...) and load it.\n")
	fmt.Fprint(m.Stdout, p.Rule())
	return nil
}
