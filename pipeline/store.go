package pipeline

import (
	"context"
	"io"
	"time"
)

// Store keeps batches, documents, pages and the job queue, as the sum of
// the smaller stores below: a consumer takes the one it needs. Every method
// that finishes a stage records its result and enqueues the next stage's job
// in one transaction. Implementations: pipeline/sqlite (the embedded
// default) and pipeline/postgres; pipeline/storetest holds the conformance
// suite both pass.
type Store interface {
	AccountStore
	ModelStore
	FeedStore
	BatchStore
	DocumentStore
	StageStore
	FlagStore
	PatternStore
	FigureStore
	RuleSetStore

	Close() error
}

// BatchStore keeps batches and the files refused from them.
type BatchStore interface {
	BatchCreate(ctx context.Context, params BatchCreateParams) (*Batch, error)
	BatchGetByID(ctx context.Context, id int64) (*Batch, error)
	// BatchStoredBytes returns the bytes of the documents a batch holds
	// (an archive's files counted unpacked).
	BatchStoredBytes(ctx context.Context, id int64) (int64, error)
	// BatchGet returns a batch if the scope covers its department.
	BatchGet(ctx context.Context, scope Scope, id int64) (*Batch, error)
	// BatchList lists batches in scope, newest first, with their documents
	// counted by state.
	BatchList(ctx context.Context, params BatchListParams) ([]*BatchSummary, error)
	RejectionCreate(ctx context.Context, r Rejection) error
	RejectionListByBatch(ctx context.Context, batchID int64) ([]Rejection, error)
}

// DocumentStore keeps documents, their pages and identifiers, and people's
// corrections of them.
type DocumentStore interface {
	// DocumentCreate records an accepted file whose original is already in
	// the blob store and queues its extraction. A file whose SHA-256 matches
	// an earlier document is linked to the first one through DuplicateOf.
	DocumentCreate(ctx context.Context, params DocumentCreateParams) (*Document, error)
	DocumentGetByID(ctx context.Context, id int64) (*Document, error)
	// DocumentGet returns a document if the scope covers its department;
	// otherwise ENOTFOUND, as if it did not exist.
	DocumentGet(ctx context.Context, scope Scope, id int64) (*Document, error)
	// DocumentRetry sends failed documents of a batch back to extraction
	// and returns their IDs.
	DocumentRetry(ctx context.Context, params DocumentRetryParams) ([]int64, error)
	DocumentListByBatch(ctx context.Context, batchID int64) ([]*Document, error)
	// DocumentList pages through all documents in ID order.
	DocumentList(ctx context.Context, params DocumentListParams) ([]*Document, error)
	// DocumentCountByState counts documents per state, for the given batches
	// or for all when BatchIDs is empty.
	DocumentCountByState(ctx context.Context, params DocumentCountByStateParams) (map[State]int, error)
	// DocumentCrashRecord notes that the extraction sandbox died on the
	// document and returns how many times it has.
	DocumentCrashRecord(ctx context.Context, id int64) (int, error)
	// DocumentNeedsOCR sends a received document on to OCR, in its own
	// queue; false when it was not waiting for extraction.
	DocumentNeedsOCR(ctx context.Context, id int64) (bool, error)
	// PageCorrect replaces a page's text with a person's correction and
	// sends the document back to classification (and what follows); it
	// returns the text it replaced.
	PageCorrect(ctx context.Context, params PageCorrectParams) (string, error)
	PageListByDocument(ctx context.Context, documentID int64) ([]Page, error)
	IdentifierListByDocument(ctx context.Context, documentID int64) ([]Identifier, error)
	// IdentifierOccurrences lists the documents holding an identifier,
	// uploaded since the given time.
	IdentifierOccurrences(ctx context.Context, kind, value string, since time.Time) ([]IdentifierOccurrence, error)
	// DocumentIDsBySHA256 lists the documents with the same original.
	DocumentIDsBySHA256(ctx context.Context, sha256 string) ([]int64, error)
	// DocumentCorrect sets a document's type or department as a person
	// decided; reclassification keeps them.
	DocumentCorrect(ctx context.Context, params DocumentCorrectParams) (*Document, error)
	// DocumentReclassify sends classified documents back to classification
	// (and what follows), as jobs; it returns their IDs.
	DocumentReclassify(ctx context.Context, params DocumentReclassifyParams) ([]int64, error)
}

// StageStore moves documents through the stages: each completion records a
// stage's result and queues the next stage's job in one transaction.
type StageStore interface {
	// OCRResume queues OCR again for every document waiting for it to be
	// installed and returns how many there were.
	OCRResume(ctx context.Context) (int, error)
	// OCRProgressSet records how many of a document's pages OCR has read.
	OCRProgressSet(ctx context.Context, documentID int64, done, total int) error
	// OCRProgressByBatch returns, by document, how far OCR has read the
	// batch's documents that have been through it.
	OCRProgressByBatch(ctx context.Context, batchID int64) (map[int64]OCRProgress, error)
	// DocumentWaiting notes why a document waits (OCR not installed)
	// without failing it; the note clears when it moves on.
	DocumentWaiting(ctx context.Context, id int64, code, reason string) error
	// DocumentFail ends a document as failed at a stage, with a code and a
	// reason for the clerk, and completes the job that gave up.
	DocumentFail(ctx context.Context, params DocumentFailParams) error
	// ExtractComplete stores the pages of a document, moves it to
	// extracted and queues classification.
	ExtractComplete(ctx context.Context, params ExtractCompleteParams) error
	// ClassifyComplete stores a document's classification, moves it to
	// classified and queues detection.
	ClassifyComplete(ctx context.Context, params ClassifyCompleteParams) error
	// DetectComplete stores the identifiers found, moves the document to
	// checked and writes a change-feed entry for the indexer.
	DetectComplete(ctx context.Context, params DetectCompleteParams) error
	// DocumentMarkIndexed moves checked documents to indexed.
	DocumentMarkIndexed(ctx context.Context, ids []int64) error
}

// FlagStore keeps the flags raised for supervisors and their decisions.
type FlagStore interface {
	FlagList(ctx context.Context, params FlagListParams) ([]*Flag, error)
	// FlagGet returns a flag in scope with the evidence in scope; what
	// lies outside the scope is neither listed nor counted.
	FlagGet(ctx context.Context, scope Scope, id int64) (*Flag, error)
	FlagDecide(ctx context.Context, params FlagDecideParams) (*Flag, error)
	// VolumeDocuments lists the classified documents uploaded since a time.
	VolumeDocuments(ctx context.Context, since time.Time) ([]VolumeDocument, error)
	// FlagsUpsert raises flags, or adds evidence to them, outside any
	// document's stage.
	FlagsUpsert(ctx context.Context, flags []FlagUpsert) error
}

// PatternStore keeps what the cross-document checks need: the documents
// still to check and the near-duplicate signatures, buckets, clusters and
// templates.
type PatternStore interface {
	// PatternsPending lists documents whose cross-document patterns are
	// still to be checked, oldest first.
	PatternsPending(ctx context.Context, limit int) ([]int64, error)
	// PatternsComplete stores what the check of a document's patterns
	// found (flags, its near-duplicate cluster) and clears its pending
	// mark; false when another process checked it meanwhile.
	PatternsComplete(ctx context.Context, params PatternsCompleteParams) (bool, error)
	// PatternsRecheck marks documents for checking again.
	PatternsRecheck(ctx context.Context, ids []int64) error
	// NearDupSignatureGet returns a document's stored signature with its
	// type and template size (ENOTFOUND when it has none).
	NearDupSignatureGet(ctx context.Context, documentID int64) (*NearDupWrite, error)
	// NearDupCandidateIDs returns the documents that share an LSH bucket
	// with the given band hashes, but not the excluded one.
	NearDupCandidateIDs(ctx context.Context, bands []int64, exclude int64) ([]int64, error)
	// NearDupSignatures returns the documents' signatures.
	NearDupSignatures(ctx context.Context, ids []int64) ([]NearDupSignature, error)
	// NearDupClusterMembers lists the documents of the clusters.
	NearDupClusterMembers(ctx context.Context, clusterIDs []int64) ([]int64, error)
	// NearDupTemplateGet returns a type's template (ENOTFOUND before one
	// was learned).
	NearDupTemplateGet(ctx context.Context, docType string) (*NearDupTemplate, error)
	// NearDupTemplateSave stores a type's template unless one exists.
	NearDupTemplateSave(ctx context.Context, t NearDupTemplate) error
	// NearDupSample lists up to limit documents of a type that have a
	// signature, newest first.
	NearDupSample(ctx context.Context, docType string, limit int) ([]int64, error)
	// NearDupUntemplated lists a type's documents whose signatures were
	// made before its template.
	NearDupUntemplated(ctx context.Context, docType string) ([]int64, error)
	// NearDupReplace rewrites a document's signature and buckets.
	NearDupReplace(ctx context.Context, documentID int64, w NearDupWrite) error
}

// FigureStore counts, for the figures page and the metrics.
type FigureStore interface {
	// FailureCounts counts failed documents by error code.
	FailureCounts(ctx context.Context) ([]CodeCount, error)
	// QueueDepth counts jobs waiting to run (available, scheduled or
	// retryable), by queue.
	QueueDepth(ctx context.Context) (map[string]int, error)
	// Figures counts documents, failures and flags in scope since a time.
	Figures(ctx context.Context, scope Scope, since time.Time) (*Figures, error)
}

// RuleSetStore keeps the numbered versions of the rule file.
type RuleSetStore interface {
	// RuleSetCreate stores a rule file as the next version, unless it is
	// the same text as the latest version, which it returns.
	RuleSetCreate(ctx context.Context, params RuleSetCreateParams) (*RuleSetVersion, error)
	// RuleSetLatest returns the newest version (ENOTFOUND when none was
	// loaded: the built-in rules apply).
	RuleSetLatest(ctx context.Context) (*RuleSetVersion, error)
	RuleSetGet(ctx context.Context, version int) (*RuleSetVersion, error)
	RuleSetList(ctx context.Context) ([]*RuleSetVersion, error)
}

// RuleSetCreateParams are the parameters of Store.RuleSetCreate.
type RuleSetCreateParams struct {
	Name   string
	Source string
}

// BatchCreateParams are the parameters of Store.BatchCreate.
type BatchCreateParams struct {
	Name       string
	CreatedBy  int64
	Department string // "" means intake
}

// BatchListParams are the parameters of Store.BatchList.
type BatchListParams struct {
	Scope     Scope
	CreatedBy int64 // only this uploader's batches; 0 for any
	BeforeID  int64 // paging: batches older than this one
	Limit     int   // 0 means 50
}

// DocumentRetryParams are the parameters of Store.DocumentRetry.
type DocumentRetryParams struct {
	Scope       Scope
	BatchID     int64
	DocumentIDs []int64 // only these; empty for every failed document of the batch
}

// DocumentCreateParams are the parameters of Store.DocumentCreate.
type DocumentCreateParams struct {
	BatchID  int64
	Filename string
	Path     string
	SHA256   string
	Size     int64
	MIME     string
}

// DocumentListParams are the parameters of Store.DocumentList.
type DocumentListParams struct {
	AfterID int64 // return documents with a larger ID
	Limit   int   // at most this many; 0 means 1000
}

// DocumentCountByStateParams are the parameters of Store.DocumentCountByState.
type DocumentCountByStateParams struct {
	BatchIDs []int64
}

// DocumentFailParams are the parameters of Store.DocumentFail.
type DocumentFailParams struct {
	DocumentID int64
	Stage      Stage
	Code       string
	Reason     string
}

// ExtractCompleteParams are the parameters of Store.ExtractComplete.
type ExtractCompleteParams struct {
	DocumentID int64
	MIME       string // the type found by content
	Pages      []Page
	Quality    float64
	Extractor  string
	Language   string
	// Message holds an e-mail's header fields; Attachments its files,
	// stored already, which become documents of the same batch (with the
	// e-mail as their parent), each with its own extraction job (an
	// attached archive's files among them); Rejections the attached
	// files refused, with their reasons.
	Message     *Message
	Attachments []DocumentCreateParams
	Rejections  []Rejection
}

// ClassifyCompleteParams are the parameters of Store.ClassifyComplete.
type ClassifyCompleteParams struct {
	DocumentID     int64
	Classification Classification
	// Flags are raised with the classification (the rule and the
	// learned model disagree).
	Flags []FlagUpsert
}

// DetectCompleteParams are the parameters of Store.DetectComplete.
type DetectCompleteParams struct {
	DocumentID  int64
	Identifiers []Identifier
	Flags       []FlagUpsert
	NearDup     *NearDupWrite // nil: the document is too short to compare
}

// PageCorrectParams are the parameters of Store.PageCorrect.
type PageCorrectParams struct {
	Scope      Scope
	DocumentID int64
	Number     int
	Text       string
	Quality    float64
	Language   string
	// KeepDepartment holds the document in its department through the
	// reclassification the new text brings, as a person's decision would:
	// a clerk's rewrite never moves a document to another department
	// (only a supervisor's correction or decision does).
	KeepDepartment bool
}

// PatternsCompleteParams are the parameters of Store.PatternsComplete.
type PatternsCompleteParams struct {
	DocumentID int64
	Flags      []FlagUpsert
	// ClusterID is the near-duplicate cluster the document joins (0: it
	// stays alone); Merge lists clusters that join it.
	ClusterID int64
	Merge     []int64
}

// BlobInfo describes an original in the blob store.
type BlobInfo struct {
	SHA256 string
	Size   int64
}

// BlobStore keeps originals, content-addressed by SHA-256.
type BlobStore interface {
	// Put stores the bytes read from r, at most limit of them (0: no
	// limit); more gives an ETOOLARGE error and stores nothing.
	Put(ctx context.Context, r io.Reader, limit int64) (BlobInfo, error)
	Open(ctx context.Context, sha256 string) (io.ReadSeekCloser, error)
	// Path returns a local file path with the original's bytes, for the
	// extraction sandbox to read.
	Path(ctx context.Context, sha256 string) (string, error)
}

// Change is a change-feed entry: a document whose searchable content
// changed.
type Change struct {
	Seq        int64
	TxID       int64 // the writing transaction: see FeedPosition
	DocumentID int64
	Op         string // "checked", "failed"
}

// DocumentCorrectParams are the parameters of Store.DocumentCorrect: the
// new type and department ("" keeps them).
type DocumentCorrectParams struct {
	DocumentID int64
	Type       string
	Department string
}

// DocumentReclassifyParams are the parameters of Store.DocumentReclassify.
type DocumentReclassifyParams struct {
	Type string // only documents of this type; "" with All for every one
	All  bool
}
