package workers

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"hoso/pipeline"
	"hoso/pipeline/blob"
)

// BlobSweep works pipeline.BlobSweepArgs.
type BlobSweep struct {
	river.WorkerDefaults[pipeline.BlobSweepArgs]
	cfg Config
}

// Work removes originals older than blob.DefaultGrace that no row names.
func (w *BlobSweep) Work(ctx context.Context, job *river.Job[pipeline.BlobSweepArgs]) error {
	blobs, ok1 := w.cfg.Blobs.(blob.Lister)
	refs, ok2 := w.cfg.Store.(blob.Referencer)
	if !ok1 || !ok2 {
		return nil
	}
	n, err := blob.Sweep(ctx, blobs, refs, blob.DefaultGrace)
	if n > 0 {
		w.cfg.Logger.InfoContext(ctx, "Originals no document refers to removed", "blobs", n)
	}
	return err
}

// Timeout gives the sweep of a large bucket time to list it.
func (w *BlobSweep) Timeout(*river.Job[pipeline.BlobSweepArgs]) time.Duration {
	return 30 * time.Minute
}

// PeriodicBlobSweep is the hourly sweep; River's leader inserts it, so one
// process of the office runs it.
func PeriodicBlobSweep() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return pipeline.BlobSweepArgs{}, insertOpts(pipeline.BlobSweepArgs{})
	}, nil)
}
