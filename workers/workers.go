// Package workers holds the River worker of each job kind. Workers are
// thin: load the document, call a stage package, store the result and
// enqueue the next stage through the Store in one transaction.
package workers

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"hoso/classify"
	"hoso/detect"
	"hoso/extract"
	"hoso/pipeline"
)

// Extractor reads an original's text; *extract.Sandbox is the one hoso
// uses. Timeout is its time limit per file.
type Extractor interface {
	Extract(ctx context.Context, path string) (*extract.Result, error)
	Timeout() time.Duration
}

// OCRExtractor reads scans; *extract.Sandbox (a pool of its own) is the
// one hoso uses.
type OCRExtractor interface {
	ExtractOCR(ctx context.Context, path string, ocr extract.OCROptions) (*extract.Result, error)
	Timeout() time.Duration
}

// Config holds what the workers need.
type Config struct {
	Store     pipeline.Store
	Blobs     pipeline.BlobStore
	Extractor Extractor
	// OCR reads scans; nil sends documents that need it to wait.
	OCR OCRExtractor
	// OCRTools says which OCR tools are installed now; default: looked up
	// on the PATH, again every minute, so installing them resumes the
	// waiting documents.
	OCRTools func() extract.OCROptions
	// Detect holds the detectors' thresholds.
	Detect detect.Config
	// Volume holds the volume spike thresholds and the office's time zone.
	Volume detect.VolumeConfig
	// Rules gives the rule set in force; default: the store's newest
	// version, else the built-in rules.
	Rules *classify.Current
	// MaxCrashes is how many times the sandbox may die on one document
	// before it is quarantined. Default 2.
	MaxCrashes int
	Logger     *slog.Logger
}

// Register adds every worker to w.
func Register(w *river.Workers, cfg Config) {
	if cfg.MaxCrashes <= 0 {
		cfg.MaxCrashes = 2
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Rules == nil {
		cfg.Rules = &classify.Current{Store: cfg.Store}
	}
	if cfg.OCRTools == nil {
		cfg.OCRTools = CachedOCRTools("")
	}
	river.AddWorker(w, &Extract{cfg: cfg})
	river.AddWorker(w, &OCR{cfg: cfg})
	river.AddWorker(w, &Classify{cfg: cfg})
	sw := &sweeper{}
	river.AddWorker(w, &Detect{cfg: cfg, templates: &templateCache{byType: map[string]templateEntry{}}, sweeper: sw})
	river.AddWorker(w, &Patterns{cfg: cfg, sweeper: sw})
	river.AddWorker(w, &Volume{cfg: cfg})
	river.AddWorker(w, &BlobSweep{cfg: cfg})
}

// failedAttempts counts a job's attempts that failed, leaving out those
// its process died in (the rescue's note, sqlstore.JobsRescue): a file
// whose process was killed ten times is not made to wait minutes.
func failedAttempts(job *rivertype.JobRow) int {
	n := job.Attempt
	for _, e := range job.Errors {
		if strings.HasPrefix(e.Error, pipeline.RescueNote) {
			n--
		}
	}
	return max(n, 1)
}

// retryAfter is a short backoff: the stages fail transiently on a busy
// database or a machine short of memory, rarely for long.
func retryAfter(attempt int) time.Time {
	d := time.Duration(attempt*attempt) * time.Second
	return time.Now().Add(min(d, 5*time.Minute))
}
