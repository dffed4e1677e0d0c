package pipeline

import (
	"context"
	"time"
)

// SourceModel marks a type or department taken from the learned model's
// confident suggestion (see Suggestion), never from a rule or a person.
const SourceModel = "model"

// What a learned model predicts.
const (
	ModelKindType       = "type"
	ModelKindDepartment = "department"
)

// FlagModelDisagrees is the flag kind raised when a rule typed a document
// and the model is confident of another type.
const FlagModelDisagrees = "model_disagrees"

// Suggestion is what a learned model proposes for a document, with the
// model version, its probability and the terms that weighed most for and
// against it: the explanation.
type Suggestion struct {
	ModelVersion int      `json:"model_version"`
	Label        string   `json:"label"` // the type or department proposed
	Probability  float64  `json:"probability"`
	For          []Weight `json:"for"`
	Against      []Weight `json:"against"`
	// RunnerUp is the next most probable label.
	RunnerUp            string  `json:"runner_up,omitempty"`
	RunnerUpProbability float64 `json:"runner_up_probability,omitempty"`
}

// Weight is a word or phrase of a document and how much it pushed the
// model towards (positive) or away from (negative) its suggestion.
type Weight struct {
	Term   string  `json:"term"`
	Weight float64 `json:"weight"`
}

// ModelVersion is a learned model stored as a numbered version, like rule
// sets. The newest of a kind is the active one.
type ModelVersion struct {
	Version   int            `json:"version"`
	Kind      string         `json:"kind"`
	Documents int            `json:"documents"`   // trained on
	Labels    map[string]int `json:"labels"`      // documents per label
	LastDocID int64          `json:"last_doc_id"` // the newest decision it saw
	Data      []byte         `json:"-"`
	CreatedAt time.Time      `json:"created_at"`
}

// TrainingDocument is a document whose type was decided by a rule or a
// person, with its text: what a model may learn from.
type TrainingDocument struct {
	ID               int64
	Type             string
	TypeSource       string
	Department       string
	DepartmentSource string
	Text             string
	UpdatedAt        time.Time
}

// ModelStore keeps learned models and gives them what to learn from.
type ModelStore interface {
	// ModelCreate stores a model as the next version of its kind.
	ModelCreate(ctx context.Context, m *ModelVersion) (*ModelVersion, error)
	// ModelLatest returns the active (newest) model of a kind, ENOTFOUND
	// before one was trained.
	ModelLatest(ctx context.Context, kind string) (*ModelVersion, error)
	ModelList(ctx context.Context) ([]*ModelVersion, error)
	// ModelTrainingDocuments pages, in ID order, through documents whose
	// type was decided by a rule or a person (never by a model), with
	// their text.
	ModelTrainingDocuments(ctx context.Context, p ModelTrainingDocumentsParams) ([]TrainingDocument, error)
	// ModelDecisionsSince counts the news a model has not seen: documents
	// decided by a rule or a person after the newest it learned from
	// (afterID), and people's corrections made after it was trained.
	ModelDecisionsSince(ctx context.Context, afterID int64, since time.Time) (int, error)
}

// ModelTrainingDocumentsParams are the parameters of
// ModelStore.ModelTrainingDocuments.
type ModelTrainingDocumentsParams struct {
	AfterID  int64
	Limit    int // 0 means 500
	MaxChars int // text per document; 0 means 20000
}
