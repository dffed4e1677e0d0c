package workers

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"hoso/classify"
	"hoso/classify/learn"
	"hoso/pipeline"
)

// Classify works pipeline.ClassifyArgs: the rules in force give the
// document its type, department, tags and fields, with the reason; the
// learned model suggests a type, which the document takes when no rule
// held and the model is confident (learn.Apply).
type Classify struct {
	river.WorkerDefaults[pipeline.ClassifyArgs]
	cfg Config
}

// NewClassify returns a classify worker on its own, for tests that work
// one job (rivertest) without the queue.
func NewClassify(cfg Config) *Classify {
	return &Classify{cfg: cfg.withDefaults()}
}

// NextRetry retries soon.
func (w *Classify) NextRetry(job *river.Job[pipeline.ClassifyArgs]) time.Time {
	return retryAfter(failedAttempts(job.JobRow))
}

// Work classifies one document.
func (w *Classify) Work(ctx context.Context, job *river.Job[pipeline.ClassifyArgs]) error {
	id := job.Args.DocumentID
	doc, ok, err := stageDocument(ctx, w.cfg.Store, id, pipeline.StateExtracted)
	if err != nil || !ok {
		return err
	}
	pages, err := w.cfg.Store.PageListByDocument(ctx, id)
	if err != nil {
		return err
	}
	rules, err := w.cfg.Rules.Get(ctx)
	if err != nil {
		return err
	}
	texts := make([]string, len(pages))
	for i, p := range pages {
		texts[i] = p.Text
	}
	res := rules.Classify(classify.Document{Filename: doc.Filename, Batch: doc.BatchName, Department: doc.UploadDepartment, Language: doc.Language, Pages: texts})
	var flags []pipeline.FlagUpsert
	if !w.cfg.NoModel {
		model, version, err := w.cfg.Models.Get(ctx)
		if err != nil {
			return err
		}
		if model != nil && learn.Apply(&res, model.SuggestPages(version, texts), w.cfg.ModelThreshold) {
			flags = append(flags, learn.Disagreement(doc, &res))
		}
		deps, version, err := w.cfg.DepartmentModels.Get(ctx)
		if err != nil {
			return err
		}
		if deps != nil {
			s := deps.SuggestPages(version, texts)
			res.DepartmentSuggestion = &s
		}
	}
	w.cfg.Logger.DebugContext(ctx, "Document classified", "document_id", id, "type", res.Type, "rule", res.Rule, "rule_set_version", res.RuleSetVersion, "type_source", res.TypeSource)
	return w.cfg.Store.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: id, Classification: res, Flags: flags})
}
