package workers

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"hoso/pipeline"
)

// Classify works pipeline.ClassifyArgs. The rule engine arrives with the
// classification issue; until then the stage records that it ran.
type Classify struct {
	river.WorkerDefaults[pipeline.ClassifyArgs]
	cfg Config
}

// NextRetry retries soon.
func (w *Classify) NextRetry(job *river.Job[pipeline.ClassifyArgs]) time.Time {
	return retryAfter(job.Attempt)
}

// Work classifies one document.
func (w *Classify) Work(ctx context.Context, job *river.Job[pipeline.ClassifyArgs]) error {
	err := w.cfg.Store.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: job.Args.DocumentID})
	if pipeline.ErrorCode(err) == pipeline.ENOTFOUND {
		return river.JobCancel(err)
	}
	return err
}
