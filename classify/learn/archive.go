package learn

import (
	"context"
	"fmt"
	"sync"
	"time"

	"hoso/pipeline"
)

// ArchiveConfig tunes training from the archive.
type ArchiveConfig struct {
	Config
	// Kind is what the model predicts: pipeline.ModelKindType (default)
	// or pipeline.ModelKindDepartment.
	Kind string
	// Loaded, when set, is called as documents are read.
	Loaded func(n int)
}

// TrainArchive trains a model from the documents of the archive whose
// type a rule or a person decided (the store never gives those a model
// typed) and stores it as the next version.
func TrainArchive(ctx context.Context, st pipeline.ModelStore, cfg ArchiveConfig) (*pipeline.ModelVersion, error) {
	if cfg.Kind == "" {
		cfg.Kind = pipeline.ModelKindType
	}
	examples, last, err := ArchiveExamples(ctx, st, cfg.Kind, cfg.Loaded)
	if err != nil {
		return nil, err
	}
	m, err := Train(examples, cfg.Config)
	if err != nil {
		return nil, fmt.Errorf("train %s model on %d documents: %w", cfg.Kind, len(examples), err)
	}
	data, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	labels := map[string]int{}
	for i, l := range m.Labels {
		labels[l] = m.Counts[i]
	}
	return st.ModelCreate(ctx, &pipeline.ModelVersion{Kind: cfg.Kind, Documents: len(examples), Labels: labels, LastDocID: last, Data: data})
}

// ArchiveExamples reads the documents a rule or a person typed, labelled
// with their type (or department, by kind), and the newest one's ID.
// loaded, when set, is called as they are read.
func ArchiveExamples(ctx context.Context, st pipeline.ModelStore, kind string, loaded func(n int)) ([]Example, int64, error) {
	var examples []Example
	var last int64
	for {
		docs, err := st.ModelTrainingDocuments(ctx, pipeline.ModelTrainingDocumentsParams{AfterID: last})
		if err != nil {
			return nil, 0, err
		}
		if len(docs) == 0 {
			return examples, last, nil
		}
		for _, d := range docs {
			label := d.Type
			if kind == pipeline.ModelKindDepartment {
				label = d.Department
			}
			if label != "" {
				examples = append(examples, Example{Text: d.Text, Label: label})
			}
		}
		last = docs[len(docs)-1].ID
		if loaded != nil {
			loaded(len(examples))
		}
	}
}

// Current keeps the model in force of a kind: the newest stored version.
// It looks again at most every TTL, so a new model reaches the workers
// within seconds, and decodes a version once.
type Current struct {
	Store pipeline.ModelStore
	Kind  string        // default pipeline.ModelKindType
	TTL   time.Duration // default 10s

	mu      sync.Mutex
	model   *Model
	version int
	checked time.Time
}

// Get returns the model in force and its version, or nil and 0 before
// one was trained.
func (c *Current) Get(ctx context.Context) (*Model, int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ttl := c.TTL
	if ttl <= 0 {
		ttl = 10 * time.Second
	}
	if !c.checked.IsZero() && time.Since(c.checked) < ttl {
		return c.model, c.version, nil
	}
	kind := c.Kind
	if kind == "" {
		kind = pipeline.ModelKindType
	}
	v, err := c.Store.ModelLatest(ctx, kind)
	switch {
	case pipeline.ErrorCode(err) == pipeline.ENOTFOUND:
		c.model, c.version = nil, 0
	case err != nil:
		return nil, 0, err
	case v.Version != c.version:
		m, err := Unmarshal(v.Data)
		if err != nil {
			return nil, 0, fmt.Errorf("model version %d: %w", v.Version, err)
		}
		c.model, c.version = m, v.Version
	}
	c.checked = time.Now()
	return c.model, c.version, nil
}

// SuggestPages is the model's suggestion for a document's pages, marked with
// the model version.
func (m *Model) SuggestPages(version int, pages []string) pipeline.Suggestion {
	s := m.Suggest(joinPages(pages))
	s.ModelVersion = version
	return s
}

// maxChars bounds the text of a document the model reads, as the store
// does for training (pipeline.ModelTrainingDocumentsParams.MaxChars).
const maxChars = 20000

func joinPages(pages []string) string {
	n := 0
	var out []byte
	for i, p := range pages {
		if i > 0 {
			out = append(out, '\n')
		}
		out = append(out, p...)
		n += len(p)
		if n >= maxChars {
			break
		}
	}
	return string(out)
}
