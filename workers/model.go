package workers

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"hoso/classify/learn"
	"hoso/pipeline"
)

// ModelRetrainConfig says when the periodic job trains a new model.
type ModelRetrainConfig struct {
	// MinNew is how many documents typed by a rule or a person since the
	// model in force make it worth training again (default 100); the
	// first model waits for that many too.
	MinNew int
	// Every is how often the job looks (default 30 minutes).
	Every time.Duration
	// Off stops the periodic training (`hoso model train` still works).
	Off bool
}

// Defaults of ModelRetrainConfig.
const (
	DefaultModelMinNew = 100
	DefaultModelEvery  = 30 * time.Minute
)

// ModelTrain works pipeline.ModelTrainArgs: when enough documents were typed by a
// rule or a person since the model in force was trained, it trains the
// next version from all of them.
type ModelTrain struct {
	river.WorkerDefaults[pipeline.ModelTrainArgs]
	cfg Config
}

// NewModelTrain returns the training worker on its own, for `hoso model
// train`-like callers and tests that run it without the queue.
func NewModelTrain(cfg Config) *ModelTrain {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &ModelTrain{cfg: cfg}
}

// Timeout gives training room: a large archive takes minutes.
func (w *ModelTrain) Timeout(*river.Job[pipeline.ModelTrainArgs]) time.Duration {
	return 30 * time.Minute
}

// Work trains a model if there is news.
func (w *ModelTrain) Work(ctx context.Context, job *river.Job[pipeline.ModelTrainArgs]) error {
	if w.cfg.NoModel || (w.cfg.ModelRetrain.Off && !job.Args.Force) {
		return nil
	}
	minNew := w.cfg.ModelRetrain.MinNew
	if minNew <= 0 {
		minNew = DefaultModelMinNew
	}
	var since time.Time
	var last int64
	m, err := w.cfg.Store.ModelLatest(ctx, pipeline.ModelKindType)
	switch {
	case err == nil:
		since, last = m.CreatedAt, m.LastDocID
	case pipeline.ErrorCode(err) != pipeline.ENOTFOUND:
		return err
	}
	news, err := w.cfg.Store.ModelDecisionsSince(ctx, last, since)
	if err != nil {
		return err
	}
	if news < minNew && !job.Args.Force {
		return nil
	}
	for _, kind := range []string{pipeline.ModelKindType, pipeline.ModelKindDepartment} {
		v, err := learn.TrainArchive(ctx, w.cfg.Store, learn.ArchiveConfig{Kind: kind})
		switch {
		case errors.Is(err, learn.ErrTooFew):
		case err != nil:
			return err
		default:
			w.cfg.Logger.InfoContext(ctx, "Model trained", "kind", kind, "model_version", v.Version, "documents", v.Documents, "new_decisions", news)
		}
	}
	return nil
}

// PeriodicModelTrain is the job that retrains the model when enough new
// decisions arrived.
func PeriodicModelTrain(cfg ModelRetrainConfig) *river.PeriodicJob {
	every := cfg.Every
	if every <= 0 {
		every = DefaultModelEvery
	}
	return river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
		return pipeline.ModelTrainArgs{}, insertOpts(pipeline.ModelTrainArgs{})
	}, &river.PeriodicJobOpts{RunOnStart: true})
}
