package pipeline

import (
	"time"
)

// State is where a document is in its lifecycle. See the package
// documentation for the order.
type State string

// The states of a document.
const (
	StateReceived   State = "received"
	StateExtracted  State = "extracted"
	StateClassified State = "classified"
	StateChecked    State = "checked"
	StateIndexed    State = "indexed"
	StateFailed     State = "failed"
)

// States lists every state in lifecycle order.
var States = []State{StateReceived, StateExtracted, StateClassified, StateChecked, StateIndexed, StateFailed}

// Terminal reports whether a document in state s needs no more work from the
// job queue.
func (s State) Terminal() bool {
	return s == StateChecked || s == StateIndexed || s == StateFailed
}

// Stage names a step of the pipeline. Stages that run as jobs share their
// name with the job kind.
type Stage string

// The stages, in order.
const (
	StageIngest   Stage = "ingest"
	StageExtract  Stage = "extract"
	StageClassify Stage = "classify"
	StageDetect   Stage = "detect"
	StageIndex    Stage = "index"
)

// Batch is one upload by a clerk: a name and the files it brought.
type Batch struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Document is one accepted file and everything known about it.
type Document struct {
	ID          int64     `json:"id"`
	BatchID     int64     `json:"batch_id"`
	BatchName   string    `json:"batch"`
	Filename    string    `json:"filename"` // base name as uploaded
	Path        string    `json:"path"`     // relative path as uploaded (inside folders and archives)
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	MIME        string    `json:"mime"`
	State       State     `json:"state"`
	Stage       Stage     `json:"stage"` // the stage that runs next, or the one that failed
	ErrorCode   string    `json:"error_code,omitempty"`
	Error       string    `json:"error"` // reason for the clerk when failed
	Pages       int       `json:"pages"`
	Quality     float64   `json:"quality"`
	Extractor   string    `json:"extractor,omitempty"`
	DuplicateOf *int64    `json:"duplicate_of"`
	Crashes     int       `json:"crashes,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Page is the text of one page of a document.
type Page struct {
	Number    int     `json:"number"` // from 1
	Text      string  `json:"text"`
	Quality   float64 `json:"quality"`
	Extractor string  `json:"extractor"`
}

// Rejection is a file of a batch that did not become a document, with the
// reason it was refused.
type Rejection struct {
	BatchID int64  `json:"batch_id"`
	Path    string `json:"path"`
	Code    string `json:"code"`
	Reason  string `json:"reason"`
}

// ExtractArgs are the arguments of the extract job.
type ExtractArgs struct {
	DocumentID int64 `json:"document_id"`
}

// Kind is the River job kind. It never changes once shipped.
func (ExtractArgs) Kind() string { return string(StageExtract) }

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
// cheap stages.
const (
	QueueExtract = "extract"
	QueueDefault = "default"
)
