package pipeline

import "time"

// Flag statuses.
const (
	FlagOpen      = "open"
	FlagConfirmed = "confirmed"
	FlagDismissed = "dismissed"
	FlagNeedsInfo = "needs_information"
	// FlagAwaitingSecond is a high-severity flag one supervisor confirmed,
	// waiting for a second (four-eyes review).
	FlagAwaitingSecond = "awaiting_second_confirmation"
	// FlagsActive lists, in FlagListParams.Status, the flags still to
	// review: open, awaiting a second confirmation, needing information.
	FlagsActive = "active"
)

// Flag kinds.
const (
	FlagExactDuplicate      = "exact_duplicate"
	FlagRecurringIdentifier = "recurring_identifier"
)

// Flag is a pattern detection found across documents, for a supervisor to
// decide on. One flag per pattern (kind and key): more documents showing
// the same pattern join it as evidence, they do not make new flags.
type Flag struct {
	ID         int64          `json:"id"`
	Kind       string         `json:"kind"`
	Key        string         `json:"key"`
	Severity   string         `json:"severity"` // low, medium, high
	Department string         `json:"department"`
	Title      string         `json:"title"`
	Status     string         `json:"status"`
	Assignee   string         `json:"assignee"`
	Evidence   []FlagEvidence `json:"evidence"`
	Decisions  []FlagDecision `json:"decisions"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// FlagEvidence is a document in a flag, with what in it matched.
type FlagEvidence struct {
	DocumentID int64  `json:"document_id"`
	Detail     string `json:"detail"` // e.g. the identifier as written, its page and offset
}

// FlagDecision is a supervisor's decision with its reason.
type FlagDecision struct {
	Status    string    `json:"status"`
	Reason    string    `json:"reason"`
	Note      string    `json:"note"`
	DecidedBy string    `json:"decided_by"`
	Evidence  int       `json:"evidence"` // documents in the flag when decided
	DecidedAt time.Time `json:"decided_at"`
}

// FlagUpsert raises a flag or adds evidence to the flag of the same kind
// and key. A dismissed flag that gains a document it did not have is open
// again; the same evidence never reopens it.
type FlagUpsert struct {
	Kind       string
	Key        string
	Severity   string
	Department string
	Title      string
	Evidence   []FlagEvidence
}

// FlagListParams are the parameters of Store.FlagList.
type FlagListParams struct {
	Scope      Scope
	Department string // "" for any in scope
	DocumentID int64  // only flags with this document as evidence; 0 for any
	Severity   string // "" for any
	// Sort: "" (newest change first), "severity" (high first, then
	// oldest), "age" (oldest first).
	Sort   string
	Status string // "" for any
	Kind   string // "" for any
	Limit  int    // 0 means 500
}

// FlagDecideParams are the parameters of Store.FlagDecide.
type FlagDecideParams struct {
	Scope Scope
	// FourEyes makes the confirmation of a high-severity flag take two
	// supervisors: the first leaves it awaiting the second.
	FourEyes  bool
	ID        int64
	Status    string
	Reason    string
	Note      string
	DecidedBy string
}

// IdentifierOccurrence is where an identifier was found.
type IdentifierOccurrence struct {
	DocumentID int64     `json:"document_id"`
	BatchID    int64     `json:"batch_id"`
	Department string    `json:"department"` // the document's
	Raw        string    `json:"raw"`
	Page       int       `json:"page"`
	Offset     int       `json:"offset"`
	CreatedAt  time.Time `json:"created_at"`
}

// Figures are an office's numbers for the supervisor's dashboard.
type Figures struct {
	Since     time.Time  `json:"since"`
	Documents int        `json:"documents"`
	Failed    int        `json:"failed"`
	PerDay    []DayCount `json:"per_day"`
	// Searchable is the time from upload to searchable, over the
	// documents indexed since Since.
	SearchableP50 time.Duration   `json:"searchable_p50"`
	SearchableP90 time.Duration   `json:"searchable_p90"`
	Searchable    int             `json:"searchable"`
	Failures      []CodeCount     `json:"failures"`
	Flags         []FlagKindCount `json:"flags"`
}

// DayCount is a day's uploads.
type DayCount struct {
	Day       string `json:"day"` // yyyy-mm-dd, UTC
	Documents int    `json:"documents"`
	Failed    int    `json:"failed"`
}

// CodeCount counts failures with one error code.
type CodeCount struct {
	Code  string `json:"code"`
	Count int    `json:"count"`
}

// FlagKindCount counts flags of a kind.
type FlagKindCount struct {
	Kind  string `json:"kind"`
	Open  int    `json:"open"`
	Total int    `json:"total"`
}

// FlagNearDuplicate is the kind of a cluster of near-identical documents.
const FlagNearDuplicate = "near_duplicate"

// NearDupSignature is a document's stored near-duplicate signature.
type NearDupSignature struct {
	DocumentID   int64
	SHA256       string
	Signature    []byte
	ClusterID    int64
	Type         string
	Version      int
	TemplateDocs int
}

// NearDupWrite stores a document's signature with DetectComplete.
type NearDupWrite struct {
	Version      int
	Type         string
	TemplateDocs int // documents the type's template was learned from; 0 for none
	Signature    []byte
	Bands        []int64
	ClusterID    int64 // the cluster the document is in (its own ID when alone)
}

// NearDupTemplate is a document type's learned template: the shingles
// most of its documents share.
type NearDupTemplate struct {
	Type      string
	Documents int
	Shingles  []uint64
}

// FlagVolumeSpike is the kind of a day with far more documents of a type
// in a department than usual.
const FlagVolumeSpike = "volume_spike"

// VolumeDocument is what volume anomalies count of a document.
type VolumeDocument struct {
	ID         int64
	Type       string
	Department string
	CreatedAt  time.Time
}
