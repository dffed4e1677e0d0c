package workers

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"hoso/pipeline"
)

// Detect works pipeline.DetectArgs. The detectors arrive with the pattern
// detection issue; until then the stage records that it ran and tells the
// indexer through the change feed.
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
	err := w.cfg.Store.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: job.Args.DocumentID})
	if pipeline.ErrorCode(err) == pipeline.ENOTFOUND {
		return river.JobCancel(err)
	}
	return err
}
