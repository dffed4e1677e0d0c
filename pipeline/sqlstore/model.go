package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"hoso/pipeline"
)

// ModelCreate stores a learned model as the next version.
func (s *Store) ModelCreate(ctx context.Context, m *pipeline.ModelVersion) (*pipeline.ModelVersion, error) {
	labels, err := json.Marshal(m.Labels)
	if err != nil {
		return nil, err
	}
	out := *m
	out.CreatedAt = s.now()
	err = s.db.QueryRow(ctx, `INSERT INTO model (kind, documents, labels, last_doc_id, data, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING version`,
		m.Kind, m.Documents, string(labels), m.LastDocID, m.Data, out.CreatedAt).Scan(&out.Version)
	if err != nil {
		return nil, fmt.Errorf("store model: %w", err)
	}
	return &out, nil
}

const modelColumns = `version, kind, documents, labels, last_doc_id, created_at`

func scanModel(row Row, withData bool) (*pipeline.ModelVersion, error) {
	m := &pipeline.ModelVersion{}
	var labels string
	dest := []any{&m.Version, &m.Kind, &m.Documents, &labels, &m.LastDocID, &m.CreatedAt}
	if withData {
		dest = append(dest, &m.Data)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(labels), &m.Labels); err != nil {
		return nil, fmt.Errorf("model %d: labels: %w", m.Version, err)
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return m, nil
}

// ModelLatest returns the newest model of a kind, with its data.
func (s *Store) ModelLatest(ctx context.Context, kind string) (*pipeline.ModelVersion, error) {
	m, err := scanModel(s.db.QueryRow(ctx, `SELECT `+modelColumns+`, data FROM model WHERE kind = $1 ORDER BY version DESC LIMIT 1`, kind), true)
	if errors.Is(err, ErrNoRows) {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "No %s model has been trained yet.", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("latest %s model: %w", kind, err)
	}
	return m, nil
}

// ModelList lists every model, newest first, without their data.
func (s *Store) ModelList(ctx context.Context) ([]*pipeline.ModelVersion, error) {
	rows, err := s.db.Query(ctx, `SELECT `+modelColumns+` FROM model ORDER BY version DESC`)
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	defer rows.Close()
	var out []*pipeline.ModelVersion
	for rows.Next() {
		m, err := scanModel(rows, false)
		if err != nil {
			return nil, fmt.Errorf("list models: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// decided is the condition on documents whose type a model may learn
// from: typed by a rule or a person, never by a model, and not a copy of
// another file.
const decided = `d.type_source IN ('rule', 'manual') AND d.doc_type <> '' AND d.doc_type <> 'unclassified'
	AND d.state IN ('classified', 'checked', 'indexed') AND d.duplicate_of IS NULL`

// ModelTrainingDocuments pages through the documents a model may learn
// from, with their text (pages in order, cut at MaxChars).
func (s *Store) ModelTrainingDocuments(ctx context.Context, p pipeline.ModelTrainingDocumentsParams) ([]pipeline.TrainingDocument, error) {
	if p.Limit <= 0 {
		p.Limit = 500
	}
	if p.MaxChars <= 0 {
		p.MaxChars = 20000
	}
	rows, err := s.db.Query(ctx, `SELECT d.id, d.doc_type, d.type_source, d.department, d.department_source, d.updated_at
		FROM document d WHERE d.id > $1 AND `+decided+` ORDER BY d.id LIMIT $2`, p.AfterID, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("list training documents: %w", err)
	}
	var out []pipeline.TrainingDocument
	byID := map[int64]int{}
	for rows.Next() {
		var d pipeline.TrainingDocument
		if err := rows.Scan(&d.ID, &d.Type, &d.TypeSource, &d.Department, &d.DepartmentSource, &d.UpdatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list training documents: %w", err)
		}
		byID[d.ID] = len(out)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows, err = s.db.Query(ctx, `SELECT document_id, text FROM page WHERE document_id >= $1 AND document_id <= $2 ORDER BY document_id, number`,
		out[0].ID, out[len(out)-1].ID)
	if err != nil {
		return nil, fmt.Errorf("list training documents: %w", err)
	}
	defer rows.Close()
	texts := make([]strings.Builder, len(out))
	for rows.Next() {
		var id int64
		var text string
		if err := rows.Scan(&id, &text); err != nil {
			return nil, fmt.Errorf("list training documents: %w", err)
		}
		i, ok := byID[id]
		if !ok || texts[i].Len() >= p.MaxChars {
			continue
		}
		if texts[i].Len() > 0 {
			texts[i].WriteString("\n")
		}
		texts[i].WriteString(cutChars(text, p.MaxChars-texts[i].Len()))
	}
	for i := range out {
		out[i].Text = texts[i].String()
	}
	return out, rows.Err()
}

// cutChars returns at most n bytes of s, cut at a character boundary.
func cutChars(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:max(n, 0)]
}

// ModelDecisionsSince counts the documents typed by a rule or a person
// after afterID, and those people corrected after a time. (Other changes
// to a document, such as indexing, are no news to a model.)
func (s *Store) ModelDecisionsSince(ctx context.Context, afterID int64, since time.Time) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM document d WHERE `+decided+`
		AND (d.id > $1 OR (d.type_source = 'manual' AND d.updated_at > $2))`, afterID, since.UTC()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count decisions: %w", err)
	}
	return n, nil
}
