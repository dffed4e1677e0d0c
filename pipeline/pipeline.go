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
	// StateWaiting is not stored: counts report received documents that
	// wait for OCR to be installed under it (see Store.DocumentCountByState).
	StateWaiting State = "waiting"
)

// States lists every state in lifecycle order.
var States = []State{StateReceived, StateExtracted, StateClassified, StateChecked, StateIndexed, StateFailed}

// Terminal reports whether a document in state s needs no more work from the
// job queue.
func (s State) Terminal() bool {
	return s == StateChecked || s == StateIndexed || s == StateFailed
}

// RescueNote opens the error a job is given when the process working it
// died and another made it available again: the attempt did not fail.
const RescueNote = "The process working this job stopped"

// Settled reports whether nothing will happen to a document in state s
// until a person acts: it is terminal, or waits for OCR to be installed.
func (s State) Settled() bool { return s.Terminal() || s == StateWaiting }

// Waiting reports a received document that waits for OCR to be installed.
func (d *Document) Waiting() bool {
	return d.State == StateReceived && d.ErrorCode == EOCRMISSING
}

// Stage names a step of the pipeline. Stages that run as jobs share their
// name with the job kind.
type Stage string

// The stages, in order.
const (
	StageIngest   Stage = "ingest"
	StageExtract  Stage = "extract"
	StageOCR      Stage = "ocr" // extraction of scans, in its own queue
	StageClassify Stage = "classify"
	StageDetect   Stage = "detect"
	StageIndex    Stage = "index"
)

// Batch is one upload by a clerk: a name and the files it brought.
type Batch struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// CreatedBy is the uploader's user ID (0 for the command line);
	// Department the one the batch was uploaded for.
	CreatedBy     int64     `json:"created_by"`
	CreatedByName string    `json:"created_by_name"`
	Department    string    `json:"department"`
	CreatedAt     time.Time `json:"created_at"`
}

// BatchSummary is a batch with its documents counted by state.
type BatchSummary struct {
	Batch
	Documents int           `json:"documents"`
	States    map[State]int `json:"states"`
	Rejected  int           `json:"rejected"`
}

// Message holds the header fields of an e-mail.
type Message struct {
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Cc      string    `json:"cc,omitempty"`
	Date    time.Time `json:"date,omitzero"`
	Subject string    `json:"subject,omitempty"`
}

// Fields lists the message's header fields as document fields (page 0:
// they come from the header, not from a page): mail_from, mail_to,
// mail_cc, mail_date (yyyy-mm-dd, raw RFC 3339) and mail_subject.
func (m *Message) Fields() []Field {
	var out []Field
	add := func(name, typ, value, raw string) {
		if raw != "" {
			out = append(out, Field{Name: name, Type: typ, Value: value, Raw: raw})
		}
	}
	add("mail_from", "text", m.From, m.From)
	add("mail_to", "text", m.To, m.To)
	add("mail_cc", "text", m.Cc, m.Cc)
	if !m.Date.IsZero() {
		add("mail_date", "date", m.Date.Format("2006-01-02"), m.Date.Format(time.RFC3339))
	}
	add("mail_subject", "text", m.Subject, m.Subject)
	return out
}

// OCRProgress is how far OCR has read a document: pages done of the
// pages it reads (those without a usable text layer).
type OCRProgress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// Document is one accepted file and everything known about it.
type Document struct {
	ID          int64   `json:"id"`
	BatchID     int64   `json:"batch_id"`
	BatchName   string  `json:"batch"`
	Filename    string  `json:"filename"` // base name as uploaded
	Path        string  `json:"path"`     // relative path as uploaded (inside folders and archives)
	SHA256      string  `json:"sha256"`
	Size        int64   `json:"size"`
	MIME        string  `json:"mime"`
	State       State   `json:"state"`
	Stage       Stage   `json:"stage"` // the stage that runs next, or the one that failed
	ErrorCode   string  `json:"error_code,omitempty"`
	Error       string  `json:"error"` // reason for the clerk when failed
	Pages       int     `json:"pages"`
	Quality     float64 `json:"quality"`
	Extractor   string  `json:"extractor,omitempty"`
	Language    string  `json:"language"` // vi, en, or "" when extraction could not tell
	DuplicateOf *int64  `json:"duplicate_of"`
	Crashes     int     `json:"crashes,omitempty"`
	// ParentID is the e-mail this document was attached to; Message the
	// header fields of a document that is an e-mail.
	ParentID *int64   `json:"parent_id"`
	Message  *Message `json:"message,omitempty"`
	// Type, Department and Tags come from classification; Type is "" before
	// it and "unclassified" when no rule claimed the document.
	Type           string          `json:"type"`
	Department     string          `json:"department"`
	Tags           []string        `json:"tags"`
	Classification *Classification `json:"classification,omitempty"`
	// TypeSource and DepartmentSource say who decided: SourceRule or
	// SourceManual ("" before classification, and for an unclassified
	// type). UploadDepartment is the department of the upload.
	TypeSource       string `json:"type_source"`
	DepartmentSource string `json:"department_source"`
	UploadDepartment string `json:"upload_department"`
	// Identifiers are filled in where a caller asks for them (the API's
	// document, the export), not by every Store read.
	Identifiers []Identifier `json:"identifiers,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// Page is the text of one page of a document.
type Page struct {
	Number    int     `json:"number"` // from 1
	Text      string  `json:"text"`
	Quality   float64 `json:"quality"`
	Extractor string  `json:"extractor"` // pdf, pdftotext, ocr, docx, …, or manual for a person's correction
	// Confidence is OCR's mean word confidence (0–100; 0 when the page
	// was not read by OCR); NeedsReview marks OCR pages a person should
	// check against the image; Language is the page's own.
	Confidence  float64 `json:"confidence,omitempty"`
	Language    string  `json:"language,omitempty"`
	NeedsReview bool    `json:"needs_review,omitempty"`
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

// Classification is a document's type, department and tags with the reason
// the rules gave them.
type Classification struct {
	RuleSetVersion int         `json:"rule_set_version"`
	Type           string      `json:"type"`
	Department     string      `json:"department"`
	Tags           []string    `json:"tags"`
	Rule           string      `json:"rule"`
	Fields         []Field     `json:"fields"`
	Explanation    Explanation `json:"explanation"`
}

// Field is a typed value a rule captured from the text.
type Field struct {
	Name   string `json:"name"`
	Type   string `json:"type"`  // text, date, amount, reference, identifier
	Value  string `json:"value"` // normalized: dates yyyy-mm-dd, amounts plain numbers; "" when the raw text did not parse
	Raw    string `json:"raw"`
	Page   int    `json:"page"`
	Offset int    `json:"offset"` // characters from the start of the page
}

// Explanation says why a document got its type.
type Explanation struct {
	Summary  string     `json:"summary"`
	Rule     string     `json:"rule,omitempty"`
	Priority int        `json:"priority,omitempty"`
	Matches  []Evidence `json:"matches"`
	RunnerUp *RunnerUp  `json:"runner_up,omitempty"`
	// DepartmentFrom says what decided the department: the upload, the
	// rule, or the type (rerouted, or the upload named none).
	DepartmentFrom string `json:"department_from,omitempty"`
}

// Who decided a document's type or department.
const (
	SourceRule   = "rule"
	SourceManual = "manual"
)

// TypeUnclassified is the type of a document no rule claims.
const TypeUnclassified = "unclassified"

// What decided a document's department (Explanation.DepartmentFrom).
const (
	DepartmentFromUpload = "upload"
	DepartmentFromRule   = "rule"
	DepartmentFromType   = "type"
	DepartmentFromPerson = "manual"
)

// Evidence is one condition of the deciding rule that held, and where.
type Evidence struct {
	Condition string `json:"condition"`
	Text      string `json:"text,omitempty"`
	Page      int    `json:"page,omitempty"`
	Offset    int    `json:"offset,omitempty"`
}

// RunnerUp is the best rule of another type: one that also matched with
// lower precedence, or one that came close.
type RunnerUp struct {
	Rule    string  `json:"rule"`
	Type    string  `json:"type"`
	Matched bool    `json:"matched"`
	Share   float64 `json:"share"` // of its conditions that held
}

// RuleSetVersion is a rule file loaded into the database.
type RuleSetVersion struct {
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	SHA256    string    `json:"sha256"`
	Source    string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// Identifier is an identifier found in a document's text, normalized and,
// where it has one, with its checksum verified.
type Identifier struct {
	Kind   string `json:"kind"`  // citizen_id, phone, email, tax_code, iban, ...
	Value  string `json:"value"` // normalized: phones in E.164, spaces removed, upper case
	Raw    string `json:"raw"`
	Page   int    `json:"page"`
	Offset int    `json:"offset"` // characters from the start of the page
}

// Count returns how many of the batch's documents are in a state.
func (b *BatchSummary) Count(state string) int { return b.States[State(state)] }
