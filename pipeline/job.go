package pipeline

// Every stage is a River job kind. Its arguments live here, so that the
// stores, the web handlers and the workers share them without importing
// one another, and so do the options each kind is inserted with.

// ExtractArgs are the arguments of the extract job.
type ExtractArgs struct {
	DocumentID int64 `json:"document_id"`
}

// Kind is the River job kind. It never changes once shipped.
func (ExtractArgs) Kind() string { return string(StageExtract) }

// OCRArgs are the arguments of the ocr job: a document whose text (or some
// pages of it) only OCR can read.
type OCRArgs struct {
	DocumentID int64 `json:"document_id"`
}

// Kind is the River job kind.
func (OCRArgs) Kind() string { return string(StageOCR) }

// ClassifyArgs are the arguments of the classify job.
type ClassifyArgs struct {
	DocumentID int64 `json:"document_id"`
}

// Kind is the River job kind.
func (ClassifyArgs) Kind() string { return string(StageClassify) }

// DetectArgs are the arguments of the detect job.
type DetectArgs struct {
	DocumentID int64 `json:"document_id"`
}

// Kind is the River job kind.
func (DetectArgs) Kind() string { return string(StageDetect) }

// Queues names the job queues. Extraction has its own queue so that its
// concurrency (bounded by the sandbox's children) is set apart from the
// cheap stages; each stage has one, so that an office can give a stage
// machines of its own (hoso worker --queues ocr). The default queue holds
// the periodic checks and the stages' jobs queued before they had theirs.
const (
	QueueExtract  = "extract"
	QueueOCR      = "ocr"
	QueueClassify = "classify"
	QueueDetect   = "detect"
	QueueDefault  = "default"
)

// Queues lists every job queue.
var Queues = []string{QueueExtract, QueueOCR, QueueClassify, QueueDetect, QueueDefault}

// PatternsArgs are the arguments of the periodic patterns job: a sweep of
// the documents whose shared patterns are still to check.
type PatternsArgs struct{}

// Kind is the River job kind.
func (PatternsArgs) Kind() string { return "patterns" }

// VolumeArgs are the arguments of the periodic volume job.
type VolumeArgs struct{}

// Kind is the River job kind.
func (VolumeArgs) Kind() string { return "volume" }

// ModelTrainArgs are the arguments of the model_train job, periodic and
// on demand (hoso model train).
type ModelTrainArgs struct {
	// Force trains even without enough new decisions.
	Force bool `json:"force,omitempty"`
}

// Kind is the River job kind.
func (ModelTrainArgs) Kind() string { return "model_train" }

// BlobSweepArgs are the arguments of the periodic sweep of originals that
// no document refers to: an upload stores its bytes before the row that
// names them commits, so one that died in between leaves an orphan.
type BlobSweepArgs struct{}

// Kind is the River job kind.
func (BlobSweepArgs) Kind() string { return "blob_sweep" }

// JobOpts are the options a job is inserted with, River's InsertOpts for
// what hoso sets: the queue that runs it and how many attempts it has
// before River discards it (0: River's default).
type JobOpts struct {
	Queue       string
	MaxAttempts int
}

// JobArgs are a job's arguments: River's JobArgs and the insert options of
// their kind.
type JobArgs interface {
	Kind() string
	JobOpts() JobOpts
}

// jobOpts is the one table of insert options per job kind. Extraction and
// OCR run a file in a child process: a file that keeps failing there is a
// bad file, and five tries settle it. The later stages only read and write
// the database, so a retry is cheap and a failure is rather the database's
// than the document's.
var jobOpts = map[string]JobOpts{
	string(StageExtract):  {Queue: QueueExtract, MaxAttempts: 5},
	string(StageOCR):      {Queue: QueueOCR, MaxAttempts: 5},
	string(StageClassify): {Queue: QueueClassify, MaxAttempts: 10},
	string(StageDetect):   {Queue: QueueDetect, MaxAttempts: 10},
	"patterns":            {Queue: QueueDefault},
	"volume":              {Queue: QueueDefault},
	"model_train":         {Queue: QueueDefault, MaxAttempts: 3},
	"blob_sweep":          {Queue: QueueDefault},
}

// JobOpts returns the kind's insert options.
func (a ExtractArgs) JobOpts() JobOpts { return jobOpts[a.Kind()] }

// JobOpts returns the kind's insert options.
func (a OCRArgs) JobOpts() JobOpts { return jobOpts[a.Kind()] }

// JobOpts returns the kind's insert options.
func (a ClassifyArgs) JobOpts() JobOpts { return jobOpts[a.Kind()] }

// JobOpts returns the kind's insert options.
func (a DetectArgs) JobOpts() JobOpts { return jobOpts[a.Kind()] }

// JobOpts returns the kind's insert options.
func (a PatternsArgs) JobOpts() JobOpts { return jobOpts[a.Kind()] }

// JobOpts returns the kind's insert options.
func (a VolumeArgs) JobOpts() JobOpts { return jobOpts[a.Kind()] }

// JobOpts returns the kind's insert options.
func (a ModelTrainArgs) JobOpts() JobOpts { return jobOpts[a.Kind()] }

// JobOpts returns the kind's insert options.
func (a BlobSweepArgs) JobOpts() JobOpts { return jobOpts[a.Kind()] }
