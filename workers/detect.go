package workers

import (
	"context"
	"time"

	"github.com/riverqueue/river"

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
	return w.cfg.Store.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: id, Identifiers: ids})
}
