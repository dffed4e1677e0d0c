package main

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"

	"hoso/pipeline"
)

// exportRow is one line of `hoso export`: the open format offices use to
// move documents between systems.
type exportRow struct {
	ID          int64   `json:"id"`
	Batch       string  `json:"batch"`
	BatchID     int64   `json:"batch_id"`
	Filename    string  `json:"filename"`
	Path        string  `json:"path"`
	SHA256      string  `json:"sha256"`
	Size        int64   `json:"size"`
	MIME        string  `json:"mime"`
	State       string  `json:"state"`
	Stage       string  `json:"stage"`
	ErrorCode   string  `json:"error_code"`
	Error       string  `json:"error"`
	Pages       int     `json:"pages"`
	Quality     float64 `json:"quality"`
	Extractor   string  `json:"extractor"`
	Language    string  `json:"language"`
	DuplicateOf *int64  `json:"duplicate_of"`
	// ParentID is the e-mail the document was attached to.
	ParentID  *int64 `json:"parent_id"`
	CreatedAt string `json:"created_at"`
	// Classification: type, department and tags, the captured fields and
	// the explanation, with the rule-set version that gave them.
	Type           string                `json:"type"`
	Department     string                `json:"department"`
	TypeSource     string                `json:"type_source"`       // rule, model or manual ("" before classification or unclassified)
	DeptSource     string                `json:"department_source"` // rule or manual
	UploadDept     string                `json:"upload_department"` // the department the batch was uploaded for
	Tags           []string              `json:"tags"`
	Fields         []pipeline.Field      `json:"fields"`
	Explanation    *pipeline.Explanation `json:"explanation"`
	RuleSetVersion *int                  `json:"rule_set_version"`
	// TypeConfidence is the learned model's probability when it gave the
	// type; ModelVersion that model's version; Suggestion its answer,
	// taken or not, with the terms that weighed for and against.
	TypeConfidence *float64              `json:"type_confidence"`
	ModelVersion   *int                  `json:"model_version"`
	Suggestion     *pipeline.Suggestion  `json:"suggestion,omitempty"`
	Identifiers    []pipeline.Identifier `json:"identifiers"`
	Text           *string               `json:"text,omitempty"`
}

func (m *Main) export(ctx context.Context, args []string) error {
	f := m.newFlags("export")
	withText := f.fs.Bool("text", false, "include each document's full text (pages separated by form feeds)")
	flags := f.fs.Bool("flags", false, "write the flags instead of the documents, one per line with evidence and decisions")
	rt, _, err := f.open(ctx, args)
	if err != nil {
		return err
	}
	defer rt.Close()
	// What leaves the archive is recorded before it leaves.
	if err := cliAudit(ctx, rt.Store, pipeline.AuditDataExport, "export", map[string]any{"text": *withText, "flags": *flags}); err != nil {
		return err
	}
	w := bufio.NewWriterSize(m.Stdout, 1<<16)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if *flags {
		return exportFlags(ctx, rt.Store, enc)
	}
	var after int64
	for {
		docs, err := rt.Store.DocumentList(ctx, pipeline.DocumentListParams{AfterID: after, Limit: 500})
		if err != nil {
			return err
		}
		if len(docs) == 0 {
			return nil
		}
		for _, d := range docs {
			row, err := exportDocument(ctx, rt.Store, d, *withText)
			if err != nil {
				return err
			}
			if err := enc.Encode(row); err != nil {
				return err
			}
		}
		after = docs[len(docs)-1].ID
	}
}

// exportFlags writes every flag, with its evidence and decisions, one
// a line.
func exportFlags(ctx context.Context, st pipeline.Store, enc *json.Encoder) error {
	list, err := st.FlagList(ctx, pipeline.FlagListParams{Scope: pipeline.ScopeAll, Limit: 1 << 30})
	if err != nil {
		return err
	}
	for _, fl := range list {
		full, err := st.FlagGet(ctx, pipeline.ScopeAll, fl.ID)
		if err != nil {
			return err
		}
		if err := enc.Encode(full); err != nil {
			return err
		}
	}
	return nil
}

// exportDocument is a document's export line: its record, fields,
// classification and identifiers, and its full text when withText.
func exportDocument(ctx context.Context, st pipeline.Store, d *pipeline.Document, withText bool) (*exportRow, error) {
	row := &exportRow{
		ID: d.ID, Batch: d.BatchName, BatchID: d.BatchID, Filename: d.Filename, Path: d.Path, SHA256: d.SHA256,
		Size: d.Size, MIME: d.MIME, State: string(d.State), Stage: string(d.Stage), ErrorCode: d.ErrorCode,
		Error: d.Error, Pages: d.Pages, Quality: d.Quality, Extractor: d.Extractor, Language: d.Language, DuplicateOf: d.DuplicateOf,
		CreatedAt: d.CreatedAt.Format("2006-01-02T15:04:05Z07:00"),
		Type:      d.Type, Department: d.Department, Tags: d.Tags, Fields: []pipeline.Field{},
		TypeSource: d.TypeSource, DeptSource: d.DepartmentSource, UploadDept: d.UploadDepartment,
	}
	row.ParentID = d.ParentID
	if c := d.Classification; c != nil {
		row.Fields, row.Explanation, row.RuleSetVersion = c.Fields, &c.Explanation, &c.RuleSetVersion
		row.Suggestion = c.Suggestion
		if d.TypeSource == pipeline.SourceModel {
			row.TypeConfidence, row.ModelVersion = &c.TypeConfidence, &c.ModelVersion
		}
	}
	if d.Message != nil {
		row.Fields = append(d.Message.Fields(), row.Fields...)
	}
	var err error
	if row.Identifiers, err = st.IdentifierListByDocument(ctx, d.ID); err != nil {
		return nil, err
	}
	if withText {
		pages, err := st.PageListByDocument(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		texts := make([]string, len(pages))
		for i, p := range pages {
			texts[i] = p.Text
		}
		t := strings.Join(texts, "\f")
		row.Text = &t
	}
	return row, nil
}
