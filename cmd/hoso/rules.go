package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"hoso/classify"
	"hoso/extract"
	"hoso/pipeline"
)

func (m *Main) rules(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"rules needs a subcommand: check FILE, load FILE, list, test FILE DOC..., propose --type T, default"}
	}
	switch args[0] {
	case "check":
		return m.rulesCheck(args[1:])
	case "load":
		return m.rulesLoad(ctx, args[1:])
	case "list":
		return m.rulesList(ctx, args[1:])
	case "test":
		return m.rulesTest(ctx, args[1:])
	case "propose":
		return m.rulesPropose(ctx, args[1:])
	case "default":
		_, err := m.Stdout.Write(classify.DefaultRulesYAML())
		return err
	}
	return usageError{fmt.Sprintf("unknown rules subcommand %q (check, load, list, test, propose, default)", args[0])}
}

// readRules reads and parses a rule file, printing each problem with the
// file name and line.
func (m *Main) readRules(file string) (*classify.RuleSet, []byte, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, pipeline.Errorf(pipeline.EINVALID, "Cannot read %s: %v", file, err)
	}
	rs, err := classify.Parse(src)
	var errs classify.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Fprintf(m.Stderr, "%s:%s\n", file, strings.TrimPrefix(e, "line "))
		}
		return nil, nil, pipeline.Errorf(pipeline.EINVALID, "%s has %d problems.", file, len(errs))
	}
	return rs, src, err
}

func (m *Main) rulesCheck(args []string) error {
	if len(args) != 1 {
		return usageError{"usage: hoso rules check FILE"}
	}
	rs, _, err := m.readRules(args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%s: %d types, %d rules, no problems\n", args[0], len(rs.Types), len(rs.Rules))
	return nil
}

func (m *Main) rulesLoad(ctx context.Context, args []string) error {
	f := m.newFlags("rules load")
	files, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usageError{"usage: hoso rules load [--data DIR] [--database-url URL] FILE"}
	}
	rs, src, err := m.readRules(files[0])
	if err != nil {
		return err
	}
	rt, err := OpenRuntime(ctx, f.cfg)
	if err != nil {
		return err
	}
	defer rt.Close()
	before, _ := rt.Store.RuleSetLatest(ctx)
	name := rs.Name
	if name == "" {
		name = files[0]
	}
	v, err := rt.Store.RuleSetCreate(ctx, pipeline.RuleSetCreateParams{Name: name, Source: string(src)})
	if err != nil {
		return err
	}
	if before != nil && before.Version == v.Version {
		fmt.Fprintf(m.Stdout, "%s is the same as version %d, which stays in force\n", files[0], v.Version)
		return nil
	}
	if err := cliAudit(ctx, rt.Store, pipeline.AuditRuleChange, fmt.Sprintf("rules:%d", v.Version),
		map[string]any{"version": v.Version, "sha256": v.SHA256, "name": v.Name}); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Loaded %s as rule set version %d (%d types, %d rules); documents classified from now on use it\n", files[0], v.Version, len(rs.Types), len(rs.Rules))
	return nil
}

func (m *Main) rulesList(ctx context.Context, args []string) error {
	rt, _, err := m.newFlags("rules list").open(ctx, args)
	if err != nil {
		return err
	}
	defer rt.Close()
	list, err := rt.Store.RuleSetList(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(m.Stdout, "No rule set loaded: the built-in rules are in force (hoso rules default prints them).")
	}
	for i, v := range list {
		cur := ""
		if i == 0 {
			cur = "  (in force)"
		}
		fmt.Fprintf(m.Stdout, "%4d  %s  %s  %s%s\n", v.Version, v.CreatedAt.Format("2006-01-02 15:04"), v.SHA256[:12], v.Name, cur)
	}
	return nil
}

// rulesTest shows which rule matches each document and why. A document is
// a file (read through the extraction sandbox) or a document ID.
func (m *Main) rulesTest(ctx context.Context, args []string) error {
	f := m.newFlags("rules test").extraction()
	asJSON := f.fs.Bool("json", false, "print each result as a JSON line")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usageError{"usage: hoso rules test FILE DOC... (DOC: a file to read, or a document ID)"}
	}
	var rs *classify.RuleSet
	if pos[0] == "default" {
		rs = classify.DefaultRules()
	} else if rs, _, err = m.readRules(pos[0]); err != nil {
		return err
	}
	src := &ruleDocs{cfg: f.cfg}
	defer src.close()
	for _, d := range pos[1:] {
		doc, readErr, err := src.read(ctx, d)
		if err != nil {
			return err
		}
		if readErr != nil {
			fmt.Fprintf(m.Stdout, "%s: cannot be read: %s\n", d, pipeline.ErrorMessage(readErr))
			continue
		}
		res := rs.Classify(doc)
		if *asJSON {
			b, _ := json.Marshal(map[string]any{"document": d, "classification": res})
			fmt.Fprintln(m.Stdout, string(b))
			continue
		}
		printClassification(m, d, res)
	}
	return nil
}

// ruleDocs reads the documents hoso rules test classifies: a document
// ID from the archive (the database opened at the first), or a file read
// in an extraction sandbox (started at the first).
type ruleDocs struct {
	cfg Config
	rt  *Runtime
	sb  *extract.Sandbox
}

// read returns the document named by d; readErr says why a file cannot
// be read (the test goes on with the next), err stops it.
func (r *ruleDocs) read(ctx context.Context, d string) (doc classify.Document, readErr, err error) {
	if id, perr := strconv.ParseInt(d, 10, 64); perr == nil {
		if r.rt == nil {
			if r.rt, err = OpenRuntime(ctx, r.cfg); err != nil {
				return doc, nil, err
			}
		}
		dd, err := r.rt.Store.DocumentGetByID(ctx, id)
		if err != nil {
			return doc, nil, err
		}
		pages, err := r.rt.Store.PageListByDocument(ctx, id)
		if err != nil {
			return doc, nil, err
		}
		doc = classify.Document{Filename: dd.Filename, Batch: dd.BatchName, Department: dd.UploadDepartment}
		for _, p := range pages {
			doc.Pages = append(doc.Pages, p.Text)
		}
		return doc, nil, nil
	}
	if r.sb == nil {
		tool, _ := exec.LookPath("pdftotext")
		if r.sb, err = extract.NewSandbox(extract.SandboxConfig{Children: 1, Timeout: r.cfg.Timeout, PDFToText: tool}); err != nil {
			return doc, nil, err
		}
	}
	res, err := r.sb.Extract(ctx, d)
	if err != nil {
		return doc, err, nil
	}
	doc = classify.Document{Filename: d}
	for _, p := range res.Pages {
		doc.Pages = append(doc.Pages, p.Text)
	}
	return doc, nil, nil
}

func (r *ruleDocs) close() {
	if r.rt != nil {
		r.rt.Close()
	}
	if r.sb != nil {
		r.sb.Close()
	}
}

func printClassification(m *Main, name string, res classify.Result) {
	w := m.Stdout
	fmt.Fprintf(w, "%s: %s", name, res.Type)
	if res.Department != "" {
		fmt.Fprintf(w, ", department %s", res.Department)
	}
	if len(res.Tags) > 0 {
		fmt.Fprintf(w, ", tags %s", strings.Join(res.Tags, ", "))
	}
	fmt.Fprintf(w, "\n  %s\n", res.Explanation.Summary)
	for _, e := range res.Explanation.Matches {
		if e.Text != "" {
			fmt.Fprintf(w, "  - %s: %q, page %d, character %d\n", e.Condition, e.Text, e.Page, e.Offset)
		} else {
			fmt.Fprintf(w, "  - %s\n", e.Condition)
		}
	}
	for _, fl := range res.Fields {
		fmt.Fprintf(w, "  field %s (%s) = %q from %q, page %d\n", fl.Name, fl.Type, fl.Value, fl.Raw, fl.Page)
	}
	if ru := res.Explanation.RunnerUp; ru != nil {
		how := fmt.Sprintf("%.0f%% of its conditions held", ru.Share*100)
		if ru.Matched {
			how = "it matched too, with lower priority"
		}
		fmt.Fprintf(w, "  runner-up: rule %q (%s): %s\n", ru.Rule, ru.Type, how)
	}
}
