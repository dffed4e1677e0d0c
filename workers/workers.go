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
	"hoso/classify/learn"
	"hoso/detect"
	"hoso/extract"
	"hoso/ingest"
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

// stageStore is what every stage worker needs: its document, and a way
// to end it as failed (giveup.go).
type stageStore interface {
	DocumentGetByID(ctx context.Context, id int64) (*pipeline.Document, error)
	DocumentFail(ctx context.Context, params pipeline.DocumentFailParams) error
}

// extractStore is what the extract and ocr workers need.
type extractStore interface {
	stageStore
	DocumentCrashRecord(ctx context.Context, id int64) (int, error)
	DocumentNeedsOCR(ctx context.Context, id int64) (bool, error)
	DocumentWaiting(ctx context.Context, id int64, code, reason string) error
	ExtractComplete(ctx context.Context, params pipeline.ExtractCompleteParams) error
	BatchStoredBytes(ctx context.Context, id int64) (int64, error)
	OCRProgressSet(ctx context.Context, documentID int64, done, total int) error
}

// classifyStore is what the classify worker needs; the rule set comes
// through classify.Current.
type classifyStore interface {
	stageStore
	PageListByDocument(ctx context.Context, documentID int64) ([]pipeline.Page, error)
	ClassifyComplete(ctx context.Context, params pipeline.ClassifyCompleteParams) error
	RuleSetLatest(ctx context.Context) (*pipeline.RuleSetVersion, error)
}

// detectStore is what the detect worker needs, near-duplicate templates
// included.
type detectStore interface {
	stageStore
	PageListByDocument(ctx context.Context, documentID int64) ([]pipeline.Page, error)
	DetectComplete(ctx context.Context, params pipeline.DetectCompleteParams) error
	NearDupTemplateGet(ctx context.Context, docType string) (*pipeline.NearDupTemplate, error)
	NearDupTemplateSave(ctx context.Context, t pipeline.NearDupTemplate) error
	NearDupSample(ctx context.Context, docType string, limit int) ([]int64, error)
	NearDupUntemplated(ctx context.Context, docType string) ([]int64, error)
	NearDupReplace(ctx context.Context, documentID int64, w pipeline.NearDupWrite) error
	PatternsRecheck(ctx context.Context, ids []int64) error
}

// patternsStore is what the periodic patterns and volume jobs need.
type patternsStore interface {
	DocumentGetByID(ctx context.Context, id int64) (*pipeline.Document, error)
	DocumentIDsBySHA256(ctx context.Context, sha256 string) ([]int64, error)
	IdentifierListByDocument(ctx context.Context, documentID int64) ([]pipeline.Identifier, error)
	IdentifierOccurrences(ctx context.Context, kind, value string, since time.Time) ([]pipeline.IdentifierOccurrence, error)
	NearDupSignatureGet(ctx context.Context, documentID int64) (*pipeline.NearDupWrite, error)
	NearDupCandidateIDs(ctx context.Context, bands []int64, exclude int64) ([]int64, error)
	NearDupSignatures(ctx context.Context, ids []int64) ([]pipeline.NearDupSignature, error)
	NearDupClusterMembers(ctx context.Context, clusterIDs []int64) ([]int64, error)
	PatternsPending(ctx context.Context, limit int) ([]int64, error)
	PatternsComplete(ctx context.Context, params pipeline.PatternsCompleteParams) (bool, error)
	FlagsUpsert(ctx context.Context, flags []pipeline.FlagUpsert) error
	VolumeDocuments(ctx context.Context, since time.Time) ([]pipeline.VolumeDocument, error)
}

// Store is what the workers need of a pipeline.Store, grouped by the
// workers that call them; the model's training and suggestions need its
// versions and the decided documents (pipeline.ModelStore).
type Store interface {
	extractStore
	classifyStore
	detectStore
	patternsStore
	pipeline.ModelStore
}

// Config holds what the workers need.
type Config struct {
	Store     Store
	Blobs     pipeline.BlobStore
	Extractor Extractor
	// Uploads are the limits of an upload; an e-mail's attachments keep
	// them too (an attached archive is unpacked within them).
	Uploads ingest.Limits
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
	// Models gives the learned type model in force (default: the
	// store's newest); ModelThreshold the probability from which its
	// type is taken when no rule holds (default
	// learn.DefaultThreshold; above 1: never, suggestions only);
	// NoModel turns suggestions off. ModelRetrain configures the
	// periodic retraining.
	Models *learn.Current
	// DepartmentModels gives the learned department model in force
	// (default: the store's newest), whose answer is only suggested.
	DepartmentModels *learn.Current
	ModelThreshold   float64
	NoModel          bool
	ModelRetrain     ModelRetrainConfig
	// MaxCrashes is how many times the sandbox may die on one document
	// before it is quarantined. Default 2.
	MaxCrashes int
	Logger     *slog.Logger
}

// withDefaults fills the fields left zero with their defaults.
func (cfg Config) withDefaults() Config {
	if cfg.MaxCrashes <= 0 {
		cfg.MaxCrashes = 2
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Rules == nil {
		cfg.Rules = &classify.Current{Store: cfg.Store}
	}
	if cfg.Models == nil {
		cfg.Models = &learn.Current{Store: cfg.Store}
	}
	if cfg.DepartmentModels == nil {
		cfg.DepartmentModels = &learn.Current{Store: cfg.Store, Kind: pipeline.ModelKindDepartment}
	}
	if cfg.ModelThreshold <= 0 {
		cfg.ModelThreshold = learn.DefaultThreshold
	}
	if cfg.OCRTools == nil {
		cfg.OCRTools = CachedOCRTools("")
	}
	return cfg
}

// stageDocument loads the document a stage's job names. A document that
// no longer exists cancels the job; one that is not in state from (the
// stage ran before a crash whose restart runs the job again, or the
// document failed meanwhile) gives ok false: there is nothing to do.
func stageDocument(ctx context.Context, store stageStore, id int64, from pipeline.State) (doc *pipeline.Document, ok bool, err error) {
	doc, err = store.DocumentGetByID(ctx, id)
	if pipeline.ErrorCode(err) == pipeline.ENOTFOUND {
		return nil, false, river.JobCancel(err)
	} else if err != nil {
		return nil, false, err
	}
	return doc, doc.State == from, nil
}

// Register adds every worker to w.
func Register(w *river.Workers, cfg Config) {
	cfg = cfg.withDefaults()
	river.AddWorker(w, &Extract{cfg: cfg})
	river.AddWorker(w, &OCR{cfg: cfg})
	river.AddWorker(w, &Classify{cfg: cfg})
	sw := &sweeper{}
	river.AddWorker(w, &Detect{cfg: cfg, templates: &templateCache{byType: map[string]templateEntry{}}, sweeper: sw})
	river.AddWorker(w, &Patterns{cfg: cfg, sweeper: sw})
	river.AddWorker(w, &Volume{cfg: cfg})
	river.AddWorker(w, &ModelTrain{cfg: cfg})
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

// insertOpts is River's form of a kind's insert options.
func insertOpts(args pipeline.JobArgs) *river.InsertOpts {
	o := args.JobOpts()
	return &river.InsertOpts{Queue: o.Queue, MaxAttempts: o.MaxAttempts}
}
