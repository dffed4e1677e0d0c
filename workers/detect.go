package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"hoso/classify"
	"hoso/detect"
	"hoso/pipeline"
)

// Detect works pipeline.DetectArgs: it finds the document's identifiers
// (the other detectors arrive with the pattern detection issue) and tells
// the indexer through the change feed.
type Detect struct {
	river.WorkerDefaults[pipeline.DetectArgs]
	cfg Config
}

// NextRetry retries soon.
func (w *Detect) NextRetry(job *river.Job[pipeline.DetectArgs]) time.Time {
	return retryAfter(job.Attempt)
}

// Work checks one document.
func (w *Detect) Work(ctx context.Context, job *river.Job[pipeline.DetectArgs]) error {
	id := job.Args.DocumentID
	doc, err := w.cfg.Store.DocumentGetByID(ctx, id)
	if pipeline.ErrorCode(err) == pipeline.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	if doc.State != pipeline.StateClassified {
		return nil // checked before a crash, or failed meanwhile
	}
	pages, err := w.cfg.Store.PageListByDocument(ctx, id)
	if err != nil {
		return err
	}
	texts := make([]string, len(pages))
	for i, p := range pages {
		texts[i] = p.Text
	}
	ids := detect.Identifiers(texts)
	flags, err := w.flags(ctx, doc, ids)
	if err != nil {
		return err
	}
	rules, err := w.cfg.Rules.Get(ctx)
	if err != nil {
		return err
	}
	for _, m := range rules.RedFlags(classify.Document{Filename: doc.Filename, Batch: doc.BatchName, Language: doc.Language, Pages: texts}) {
		detail := m.Message
		for _, e := range m.Evidence {
			if e.Text != "" {
				detail = fmt.Sprintf("%q on page %d, character %d", e.Text, e.Page, e.Offset)
				break
			}
		}
		flags = append(flags, pipeline.FlagUpsert{
			Kind: m.Flag, Key: fmt.Sprintf("%s:%d", m.ID, doc.ID), Severity: m.Severity, Department: doc.Department,
			Title: m.Message, Evidence: []pipeline.FlagEvidence{{DocumentID: doc.ID, Detail: detail}},
		})
	}
	return w.cfg.Store.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: id, Identifiers: ids, Flags: flags})
}

// flags looks for the patterns this document completes: copies of the
// same file, and identifiers that recur across batches.
func (w *Detect) flags(ctx context.Context, doc *pipeline.Document, ids []pipeline.Identifier) ([]pipeline.FlagUpsert, error) {
	var out []pipeline.FlagUpsert
	same, err := w.cfg.Store.DocumentIDsBySHA256(ctx, doc.SHA256)
	if err != nil {
		return nil, err
	}
	if f, ok := detect.ExactDuplicates(doc.SHA256, same, doc.Department); ok {
		out = append(out, f)
	}
	cfg := w.cfg.Detect.WithDefaults()
	seen := map[string]bool{}
	for _, ident := range ids {
		key := ident.Kind + ":" + ident.Value
		if _, watched := cfg.RecurringSeverity[ident.Kind]; !watched || seen[key] {
			continue
		}
		seen[key] = true
		occ, err := w.cfg.Store.IdentifierOccurrences(ctx, ident.Kind, ident.Value, time.Now().Add(-cfg.RecurringWindow))
		if err != nil {
			return nil, err
		}
		occ = append(occ, pipeline.IdentifierOccurrence{DocumentID: doc.ID, BatchID: doc.BatchID, Raw: ident.Raw, Page: ident.Page, Offset: ident.Offset, CreatedAt: doc.CreatedAt})
		if f, ok := detect.Recurring(ident.Kind, ident.Value, occ, doc.Department, cfg); ok {
			out = append(out, f)
		}
	}
	return out, nil
}
