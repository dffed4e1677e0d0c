package workers

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"hoso/pipeline"
	"hoso/pipeline/blob"
)

// BlobSweepArgs are the arguments of the periodic sweep of originals that
// no document refers to: an upload stores its bytes before the row that
// names them commits, so one that died in between leaves an orphan.
type BlobSweepArgs struct{}

// Kind is the River job kind.
func (BlobSweepArgs) Kind() string { return "blob_sweep" }

// BlobSweep works BlobSweepArgs.
type BlobSweep struct {
	river.WorkerDefaults[BlobSweepArgs]
	cfg Config
}

// Work removes originals older than blob.DefaultGrace that no row names.
func (w *BlobSweep) Work(ctx context.Context, job *river.Job[BlobSweepArgs]) error {
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
func (w *BlobSweep) Timeout(*river.Job[BlobSweepArgs]) time.Duration { return 30 * time.Minute }

// PeriodicBlobSweep is the hourly sweep; River's leader inserts it, so one
// process of the office runs it.
func PeriodicBlobSweep() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return BlobSweepArgs{}, &river.InsertOpts{Queue: pipeline.QueueDefault}
	}, nil)
}
