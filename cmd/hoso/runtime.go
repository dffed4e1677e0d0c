package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"

	"hoso/detect"
	"hoso/extract"
	"hoso/ingest"
	"hoso/pipeline"
	"hoso/pipeline/blob"
	"hoso/pipeline/postgres"
	"hoso/pipeline/sqlite"
	"hoso/pipeline/sqlstore"
	"hoso/search"
	"hoso/web"
	"hoso/workers"
)

// Config is everything the commands read from flags and the environment.
type Config struct {
	DataDir      string        // --data, HOSO_DATA; default ./hoso-data
	DatabaseURL  string        // --database-url, HOSO_DATABASE_URL; default SQLite in DataDir
	BlobURL      string        // --blob-url, HOSO_BLOB_URL: where originals live; default DataDir/blobs, or s3://bucket?endpoint=…&region=…
	BlobKeys     blob.S3Config // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY for an s3:// BlobURL; empty: the machine's role
	Schema       string        // PostgreSQL schema (tests); HOSO_DATABASE_SCHEMA
	Timeout      time.Duration // extraction wall-clock limit per file
	Children     int           // extraction children (and extract workers)
	OCRChildren  int           // OCR children (and OCR workers); HOSO_OCR_CHILDREN, default the number of CPUs
	OCRPages     int           // pages of one PDF an OCR child reads at once; HOSO_OCR_PAGES, default cores / OCRChildren, at least 2
	OCRTimeout   time.Duration // OCR wall-clock limit per document; HOSO_OCR_TIMEOUT, default 10m
	Tesseract    string        // path of tesseract; HOSO_TESSERACT, default looked up on the PATH
	Memory       int64         // extraction child memory limit, bytes
	Workers      int           // workers for the cheap stages
	RescueAfter  time.Duration // a job running this long on PostgreSQL is presumed dead and retried
	MaxFileSize  int64
	MaxBatchSize int64
	Location     *time.Location // the office's time zone (days of volume counts); HOSO_TIMEZONE
	Command      string         // serve, worker, process, …: what the process registers as
	Queues       []string       // job queues this process works; --queues, HOSO_QUEUES; default all (pipeline.Queues)
	Node         string         // this search node's name in the table of positions; --node, HOSO_NODE; serve's default host:data folder
	AuditKey     string         // hex secret keying the audit chain; HOSO_AUDIT_KEY, default DataDir/audit.key
	// The learned type model: HOSO_MODEL=off turns suggestions off;
	// HOSO_MODEL_THRESHOLD the probability from which its type is taken
	// (default learn.DefaultThreshold; above 1: suggestions only);
	// HOSO_MODEL_RETRAIN_MIN the new decisions that retrain it (default
	// workers.DefaultModelMinNew; 0 or below: no periodic retraining).
	NoModel        bool
	ModelThreshold float64
	ModelRetrain   workers.ModelRetrainConfig
	Logger         *slog.Logger
}

func (c *Config) fill() {
	if c.DataDir == "" {
		c.DataDir = "hoso-data"
	}
	if c.Command == "" {
		c.Command = "hoso"
	}
	if c.Children <= 0 {
		c.Children = max(1, runtime.NumCPU())
	}
	if c.OCRChildren <= 0 {
		c.OCRChildren = max(1, runtime.NumCPU())
	}
	// Two pages at once at least: a scan read alone (the other children
	// idle, or a batch's last document) then takes a second core, and
	// with every child busy the cores run at most twice as many
	// tesseracts as they have.
	if c.OCRPages <= 0 {
		c.OCRPages = max(2, runtime.NumCPU()/c.OCRChildren)
	}
	if c.OCRTimeout <= 0 {
		c.OCRTimeout = extract.DefaultOCRTimeout
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.Timeout <= 0 {
		c.Timeout = extract.DefaultTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
}

// Runtime is an open database, blob store and extraction sandbox, and the
// means to start River workers on them.
type Runtime struct {
	cfg      Config
	Store    *sqlstore.Store
	Blobs    blob.Store
	Sandbox  *extract.Sandbox
	ocrTools func() extract.OCROptions
	// OCRSandbox reads scans, with children of its own.
	OCRSandbox *extract.Sandbox
	// Extractor is what the extract workers call: the sandbox, unless a
	// benchmark swaps it.
	Extractor workers.Extractor
	// newClient starts a River client working every job kind.
	newClient func(ctx context.Context, rc *river.Config) (queue, error)
	// jobsUI returns River's web UI over the database.
	jobsUI func(ctx context.Context) (http.Handler, error)
	// Metrics gathers figures for /metrics; stage durations come from the
	// workers' River client.
	Metrics *web.Metrics
	// Index is the search index, opened by OpenIndex.
	Index *search.Index
	// requeue makes jobs of a dead process available (SQLite only).
	requeue func(ctx context.Context) (int64, error)
	closeDB func() error
	// auditKey keys the audit chain and signs its checkpoints.
	auditKey []byte
}

type queue interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// OpenRuntime opens (and migrates) the database and the blob store.
func OpenRuntime(ctx context.Context, cfg Config) (*Runtime, error) {
	cfg.fill()
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	tools := workers.CachedOCRTools(cfg.Tesseract)
	// Each OCR child reads a document's pages in parallel, one tesseract
	// thread each: children × pages ≈ cores, two pages at least (fill).
	pages := cfg.OCRPages
	rt := &Runtime{cfg: cfg, ocrTools: func() extract.OCROptions {
		o := tools()
		o.Parallel = pages
		return o
	}}
	var err error
	if rt.Blobs, err = blob.OpenURL(ctx, cfg.BlobURL, filepath.Join(cfg.DataDir, "blobs"), cfg.BlobKeys); err != nil {
		return nil, err
	}
	if err := rt.openStore(ctx); err != nil {
		return nil, err
	}
	if rt.auditKey, err = loadAuditKey(ctx, rt.Store, cfg); err != nil {
		rt.closeDB()
		return nil, err
	}
	rt.Metrics = web.NewMetrics(rt.Store, nil, cfg.Logger)
	pdftotext, _ := exec.LookPath("pdftotext")
	// Extraction and OCR children share one CPU budget: a file at a time
	// per core, so OCR takes every core when extraction is idle.
	budget := make(chan struct{}, max(1, runtime.NumCPU()))
	rt.Sandbox, err = extract.NewSandbox(extract.SandboxConfig{
		Children: cfg.Children, Timeout: cfg.Timeout, Memory: cfg.Memory, PDFToText: pdftotext, Budget: budget,
	})
	if err != nil {
		rt.closeDB()
		return nil, err
	}
	rt.OCRSandbox, err = extract.NewSandbox(extract.SandboxConfig{
		Children: cfg.OCRChildren, Timeout: cfg.OCRTimeout, Memory: cfg.Memory, PDFToText: pdftotext, FilesPerChild: 50, Budget: budget,
	})
	if err != nil {
		rt.Sandbox.Close()
		rt.closeDB()
		return nil, err
	}
	return rt, nil
}

// openStore opens and migrates the database the configuration names:
// SQLite in the data folder by default, or PostgreSQL.
func (rt *Runtime) openStore(ctx context.Context) error {
	cfg := rt.cfg
	if cfg.DatabaseURL == "" || isSQLiteURL(cfg.DatabaseURL) {
		path := filepath.Join(cfg.DataDir, "hoso.db")
		if cfg.DatabaseURL != "" {
			path = sqlitePath(cfg.DatabaseURL)
		}
		st, db, err := sqlite.OpenStore(ctx, path)
		if err != nil {
			return err
		}
		rt.Store, rt.closeDB = st, db.Close
		useRiver(rt, db.NewClient)
		rt.requeue = db.RequeueRunning
		return nil
	}
	st, db, err := postgres.OpenStore(ctx, postgres.Config{URL: cfg.DatabaseURL, Schema: cfg.Schema, MaxConns: int32(cfg.Children + cfg.Workers + 4)})
	if err != nil {
		return err
	}
	rt.Store, rt.closeDB = st, db.Close
	useRiver(rt, db.NewClient)
	return nil
}

// useRiver makes the runtime's River clients, for the workers and for
// River's UI, with a backend's newClient: the one step that depends on
// the driver's transaction type.
func useRiver[TTx any](rt *Runtime, newClient func(*river.Config) (*river.Client[TTx], error)) {
	rt.newClient = func(ctx context.Context, rc *river.Config) (queue, error) {
		c, err := newClient(rc)
		if err == nil {
			observe(ctx, c, rt)
		}
		return c, err
	}
	rt.jobsUI = func(ctx context.Context) (http.Handler, error) {
		c, err := newClient(&river.Config{Logger: rt.cfg.Logger})
		if err != nil {
			return nil, err
		}
		return jobsHandler(ctx, riverui.NewEndpoints(c, nil), rt.cfg.Logger)
	}
}

func isSQLiteURL(u string) bool {
	return len(u) > 7 && (u[:7] == "sqlite:" || u[:5] == "file:")
}

func sqlitePath(u string) string {
	for _, p := range []string{"sqlite://", "sqlite:", "file:"} {
		if len(u) > len(p) && u[:len(p)] == p {
			return u[len(p):]
		}
	}
	return u
}

// Ingester returns an ingester over the runtime's store.
func (rt *Runtime) Ingester() *ingest.Ingester {
	return &ingest.Ingester{Store: rt.Store, Blobs: rt.Blobs, Limits: rt.uploadLimits()}
}

// uploadLimits are the limits of an upload, which an e-mail's
// attachments keep too.
func (rt *Runtime) uploadLimits() ingest.Limits {
	return ingest.Limits{MaxFileSize: rt.cfg.MaxFileSize, MaxBatchSize: rt.cfg.MaxBatchSize}
}

// StartWorkers starts River working every stage.
func (rt *Runtime) StartWorkers(ctx context.Context) (queue, error) {
	if err := rt.resume(ctx); err != nil {
		return nil, err
	}
	rescue := rt.cfg.RescueAfter
	if rescue <= 0 {
		rescue = max(rt.Sandbox.Config().Timeout, rt.OCRSandbox.Config().Timeout) + 3*time.Minute
	}
	queues := workQueues(rt.cfg.Queues, rt.Sandbox.Config().Children, rt.OCRSandbox.Config().Children, rt.cfg.Workers)
	if _, ok := queues[pipeline.QueueExtract]; ok {
		_ = rt.Sandbox.Warm()
	}
	w := river.NewWorkers()
	ex := rt.Extractor
	if ex == nil {
		ex = rt.Sandbox
	}
	workers.Register(w, rt.WorkersConfig(ex))
	rc := &river.Config{
		Logger:               rt.cfg.Logger,
		ErrorHandler:         &workers.GiveUp{Config: rt.WorkersConfig(ex)},
		Queues:               queues,
		Workers:              w,
		PeriodicJobs:         []*river.PeriodicJob{workers.PeriodicPatterns(), workers.PeriodicVolume(), workers.PeriodicModelTrain(rt.cfg.ModelRetrain), workers.PeriodicBlobSweep()},
		FetchCooldown:        5 * time.Millisecond,
		FetchPollInterval:    100 * time.Millisecond,
		RescueStuckJobsAfter: rescue,
		JobTimeout:           min(time.Minute, rescue/2),
	}
	// Registered before River starts: every running job's client is known.
	me := newProcess(rt.cfg.Command)
	live, err := startLiveness(ctx, rt.Store, me, rt.cfg.Logger)
	if err != nil {
		return nil, err
	}
	rc.ID = me.ID
	client, err := rt.newClient(ctx, rc)
	if err != nil {
		live.stop()
		return nil, fmt.Errorf("create river client: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		live.stop()
		return nil, fmt.Errorf("start workers: %w", err)
	}
	return &liveQueue{queue: client, live: live}, nil
}

// resume puts back what a stopped process left: jobs it left running
// (SQLite: one process owns the file), and the documents waiting for
// OCR once it is installed.
func (rt *Runtime) resume(ctx context.Context) error {
	if rt.requeue != nil {
		n, err := rt.requeue(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			rt.cfg.Logger.InfoContext(ctx, "Requeued jobs left running by a stopped process", "jobs", n)
		}
	}
	// OCR installed since documents began to wait for it: they go now.
	if rt.ocrTools().MissingTools(true) == "" {
		n, err := rt.Store.OCRResume(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			rt.cfg.Logger.InfoContext(ctx, "OCR is installed now: documents that waited for it go on", "documents", n)
		}
	}
	return nil
}

// workQueues is River's queue configuration for the queues the process
// works.
func workQueues(names []string, extractChildren, ocrChildren, cheap int) map[string]river.QueueConfig {
	// Twice as many extract workers as children: a job fetched ahead
	// waits in the sandbox for the next free child, so the children
	// never stand idle while River fetches.
	all := map[string]river.QueueConfig{
		pipeline.QueueExtract:  {MaxWorkers: 2 * extractChildren},
		pipeline.QueueOCR:      {MaxWorkers: ocrChildren},
		pipeline.QueueClassify: {MaxWorkers: cheap},
		pipeline.QueueDetect:   {MaxWorkers: cheap},
		pipeline.QueueDefault:  {MaxWorkers: cheap},
	}
	if len(names) == 0 {
		return all
	}
	out := map[string]river.QueueConfig{}
	for _, q := range names {
		out[q] = all[q]
	}
	return out
}

// parseQueues reads --queues: names from pipeline.Queues, separated by
// commas; empty means all.
func parseQueues(v string) ([]string, error) {
	var out []string
	for _, q := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !slices.Contains(pipeline.Queues, q) {
			return nil, usageError{fmt.Sprintf("--queues: %q is not a queue (%s)", q, strings.Join(pipeline.Queues, ", "))}
		}
		if !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	return out, nil
}

// liveQueue is River's client with the process's registration, which
// ends when the client stops.
type liveQueue struct {
	queue
	live *liveness
}

func (q *liveQueue) Stop(ctx context.Context) error {
	err := q.queue.Stop(ctx)
	if err == nil {
		q.live.stop()
	}
	return err
}

func (q *liveQueue) StopAndCancel(ctx context.Context) error {
	err := q.queue.StopAndCancel(ctx)
	q.live.stop()
	return err
}

// WorkersConfig is the workers' configuration over the runtime.
func (rt *Runtime) WorkersConfig(ex workers.Extractor) workers.Config {
	return workers.Config{Store: rt.Store, Blobs: rt.Blobs, Uploads: rt.uploadLimits(), Extractor: ex, OCR: rt.OCRSandbox, OCRTools: rt.ocrTools, Logger: rt.cfg.Logger,
		Volume:  detect.VolumeConfig{Location: rt.cfg.Location},
		NoModel: rt.cfg.NoModel, ModelThreshold: rt.cfg.ModelThreshold, ModelRetrain: rt.cfg.ModelRetrain}
}

// OpenIndex opens the search index in the data folder.
func (rt *Runtime) OpenIndex() error {
	ix, err := search.Open(filepath.Join(rt.cfg.DataDir, "index"))
	if err != nil {
		return err
	}
	rt.Index = ix
	rt.Metrics.SetIndex(ix)
	return nil
}

// Indexer returns the indexer feeding the runtime's index.
func (rt *Runtime) Indexer() *search.Indexer {
	return &search.Indexer{Index: rt.Index, Store: rt.Store, Node: rt.cfg.Node, Logger: rt.cfg.Logger}
}

// RunIndexer tails the change feed into the index in the background
// until the returned stop is called; stop waits for it to end and may be
// called more than once.
func (rt *Runtime) RunIndexer(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		rt.Indexer().Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// Close closes the index, the sandbox and the database.
func (rt *Runtime) Close() error {
	var err error
	if rt.Index != nil {
		err = rt.Index.Close()
	}
	return errors.Join(err, rt.Sandbox.Close(), rt.OCRSandbox.Close(), rt.closeDB())
}

// observe feeds finished jobs' durations to the metrics.
func observe[TTx any](ctx context.Context, c *river.Client[TTx], rt *Runtime) {
	events, cancel := c.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	go func() {
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				if ev.Job == nil || ev.JobStats == nil || rt.Metrics == nil {
					continue
				}
				outcome := map[river.EventKind]string{river.EventKindJobCompleted: "completed", river.EventKindJobFailed: "failed",
					river.EventKindJobCancelled: "cancelled"}[ev.Kind]
				rt.Metrics.ObserveJob(ev.Job.Kind, ev.JobStats.RunDuration, ev.JobStats.QueueWaitDuration, outcome)
			}
		}
	}()
}

// jobsHandler starts River's UI under /admin/jobs.
func jobsHandler(ctx context.Context, endpoints uiendpoints.Bundle, logger *slog.Logger) (http.Handler, error) {
	h, err := riverui.NewHandler(&riverui.HandlerOpts{Endpoints: endpoints, Logger: logger, Prefix: "/admin/jobs"})
	if err != nil {
		return nil, fmt.Errorf("river UI: %w", err)
	}
	if err := h.Start(ctx); err != nil {
		return nil, fmt.Errorf("start river UI: %w", err)
	}
	return h, nil
}

// JobsUI returns River's UI for the database.
func (rt *Runtime) JobsUI(ctx context.Context) (http.Handler, error) { return rt.jobsUI(ctx) }
