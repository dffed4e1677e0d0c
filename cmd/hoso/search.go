package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"unicode/utf8"

	"hoso/client"
	"hoso/pipeline"
	"hoso/search"
	"hoso/web"
)

func (m *Main) search(ctx context.Context, args []string) error {
	f := m.newFlags("search")
	asJSON := f.fs.Bool("json", false, "print the answer as JSON")
	limit := f.fs.Int("limit", 10, "hits to show")
	typ := f.fs.String("type", "", "only this document type")
	dept := f.fs.String("department", "", "only this department")
	sortBy := f.fs.String("sort", "", "relevance (default), date or date-asc")
	facets := f.fs.Bool("facets", false, "count hits per type, department, tag, batch and year")
	all := f.fs.Bool("all", false, "every word must match (by default, enough of them do, and more rank higher)")
	server := f.fs.String("server", m.Getenv("HOSO_SERVER"), "ask a running hoso server instead of opening the index")
	token := f.fs.String("token", m.Getenv("HOSO_TOKEN"), "an officer's or supervisor's API token, to ask a server; default $HOSO_TOKEN")
	words, err := f.parse(args)
	if err != nil {
		return err
	}
	req := search.Request{Query: strings.Join(words, " "), Type: *typ, Department: *dept, Sort: *sortBy, Size: *limit, Facets: *facets, Scope: pipeline.ScopeAll}
	if *all {
		req.Match = "all"
	}
	var res *search.Response
	if *server == "" {
		res, err = m.searchLocal(ctx, f.cfg, req)
		if errors.Is(err, search.ErrInUse) {
			fmt.Fprintln(m.Stderr, "The index is held by a running server; asking it at http://127.0.0.1:8080 (set --server to choose).")
			*server = "http://127.0.0.1:8080"
		} else if err != nil {
			return err
		}
	}
	if *server != "" {
		if res, err = client.New(*server, *token).Search(ctx, req); err != nil {
			return err
		}
	}
	if *asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(m.Stdout, string(b))
		return nil
	}
	m.printAnswer(res)
	return nil
}

// printAnswer prints a search's answer for people: how many documents,
// why it holds fewer words than asked, suggestions, facets, and each hit
// with its highlights and missing words.
func (m *Main) printAnswer(res *search.Response) {
	fmt.Fprintf(m.Stdout, "%d documents found\n", res.Total)
	if res.Relaxed {
		fmt.Fprintf(m.Stdout, "Few documents hold enough of the words, so those holding at least %d of them are shown too.\n", res.MinMatch)
	}
	var unknown []string
	for _, w := range res.Words {
		if !w.Found && !w.Stop && !w.Excluded {
			unknown = append(unknown, w.Text)
		}
	}
	if len(unknown) > 0 {
		fmt.Fprintf(m.Stdout, "No document holds: %s\n", strings.Join(unknown, ", "))
	}
	for _, sg := range res.Suggestions {
		switch sg.Kind {
		case "spelling":
			fmt.Fprintf(m.Stdout, "Did you mean %s instead of %s? (%d documents)\n", sg.Instead, sg.Word, sg.Total)
		case "filter":
			fmt.Fprintf(m.Stdout, "Without the %s filter: %d documents\n", sg.Word, sg.Total)
		case "fewer_words":
			fmt.Fprintf(m.Stdout, "No document holds all of %s together.\n", sg.Word)
		}
	}
	for _, name := range []string{"type", "department", "tags", "batch", "year"} {
		if terms := res.Facets[name]; len(terms) > 0 {
			var parts []string
			for _, t := range terms {
				parts = append(parts, fmt.Sprintf("%s %d", t.Term, t.Count))
			}
			fmt.Fprintf(m.Stdout, "  %-10s %s\n", name+":", strings.Join(parts, ", "))
		}
	}
	for _, h := range res.Hits {
		fmt.Fprintf(m.Stdout, "\n%-6d %s  (%s, %s, %s, score %.2f)\n", h.ID, h.Path, orDash(h.Type), orDash(h.Department), orDash(h.Date), h.Score)
		for _, hl := range h.Highlights {
			hl = html.UnescapeString(strings.NewReplacer("<mark>", "«", "</mark>", "»", "\n", " ").Replace(hl))
			fmt.Fprintf(m.Stdout, "       %s\n", strings.TrimSpace(hl))
		}
		if len(h.Missing) > 0 {
			fmt.Fprintf(m.Stdout, "       missing: %s\n", strings.Join(h.Missing, ", "))
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (m *Main) searchLocal(ctx context.Context, cfg Config, req search.Request) (*search.Response, error) {
	rt, err := OpenRuntime(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	if err := rt.OpenIndex(); err != nil {
		return nil, err
	}
	res, err := rt.Index.Search(ctx, req)
	// A search from the terminal reads the archive as one from a page does.
	q, cut := web.AuditText(req.Query)
	detail := map[string]any{"q": q}
	if cut {
		detail["q_length"] = utf8.RuneCountInString(req.Query)
	}
	if err != nil {
		detail["error"] = pipeline.ErrorCode(err)
	} else {
		detail["hits"] = res.Total
	}
	if aerr := cliAudit(ctx, rt.Store, pipeline.AuditSearch, "search", detail); aerr != nil {
		return nil, aerr
	}
	return res, err
}
