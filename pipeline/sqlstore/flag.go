package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"hoso/pipeline"
)

// flagUpsert raises or extends a flag inside tx.
func (s *Store) flagUpsert(ctx context.Context, tx Tx, f pipeline.FlagUpsert) error {
	now := s.now()
	var id int64
	var status string
	err := tx.QueryRow(ctx, `SELECT id, status FROM flag WHERE kind = $1 AND flag_key = $2`, f.Kind, f.Key).Scan(&id, &status)
	if errors.Is(err, ErrNoRows) {
		err = tx.QueryRow(ctx, `INSERT INTO flag (kind, flag_key, severity, department, title, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, f.Kind, f.Key, f.Severity, f.Department, f.Title, pipeline.FlagOpen, now).Scan(&id)
		status = pipeline.FlagOpen
	}
	if err != nil {
		return err
	}
	added := 0
	for _, e := range f.Evidence {
		n, err := tx.Exec(ctx, `INSERT INTO flag_evidence (flag_id, document_id, detail, added_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (flag_id, document_id) DO NOTHING`, id, e.DocumentID, e.Detail, now)
		if err != nil {
			return err
		}
		added += int(n)
	}
	if added == 0 {
		return nil
	}
	// New evidence: the flag is news again. A dismissed or confirmed flag
	// reopens, and the history says why.
	if status != pipeline.FlagOpen {
		var total int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM flag_evidence WHERE flag_id = $1`, id).Scan(&total); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO flag_decision (flag_id, status, reason, note, decided_by, evidence, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, pipeline.FlagOpen, "new_evidence",
			fmt.Sprintf("%d more documents show the pattern.", added), "hoso", total, now); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `UPDATE flag SET status = $2, title = $3, updated_at = $4 WHERE id = $1`, id, pipeline.FlagOpen, f.Title, now)
	return err
}

const flagColumns = `id, kind, flag_key, severity, department, title, status, assignee, created_at, updated_at`

func scanFlag(row Row) (*pipeline.Flag, error) {
	f := &pipeline.Flag{}
	if err := row.Scan(&f.ID, &f.Kind, &f.Key, &f.Severity, &f.Department, &f.Title, &f.Status, &f.Assignee, &f.CreatedAt, &f.UpdatedAt); err != nil {
		return nil, err
	}
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	f.Evidence, f.Decisions = []pipeline.FlagEvidence{}, []pipeline.FlagDecision{}
	return f, nil
}

// FlagList lists flags, newest first, without their evidence lists.
func (s *Store) FlagList(ctx context.Context, p pipeline.FlagListParams) ([]*pipeline.Flag, error) {
	q := `SELECT ` + flagColumns + ` FROM flag`
	var conds []string
	var args []any
	if p.Status != "" {
		args = append(args, p.Status)
		conds = append(conds, fmt.Sprintf("status = $%d", len(args)))
	}
	if p.Kind != "" {
		args = append(args, p.Kind)
		conds = append(conds, fmt.Sprintf("kind = $%d", len(args)))
	}
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 500
	}
	args = append(args, limit)
	rows, err := s.db.Query(ctx, q+fmt.Sprintf(" ORDER BY updated_at DESC, id DESC LIMIT $%d", len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list flags: %w", err)
	}
	defer rows.Close()
	out := []*pipeline.Flag{}
	for rows.Next() {
		f, err := scanFlag(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FlagGetByID returns a flag with its evidence and decisions.
func (s *Store) FlagGetByID(ctx context.Context, id int64) (*pipeline.Flag, error) {
	f, err := scanFlag(s.db.QueryRow(ctx, `SELECT `+flagColumns+` FROM flag WHERE id = $1`, id))
	if errors.Is(err, ErrNoRows) {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "Flag %d does not exist.", id)
	} else if err != nil {
		return nil, fmt.Errorf("get flag %d: %w", id, err)
	}
	rows, err := s.db.Query(ctx, `SELECT document_id, detail FROM flag_evidence WHERE flag_id = $1 ORDER BY document_id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e pipeline.FlagEvidence
		if err := rows.Scan(&e.DocumentID, &e.Detail); err != nil {
			rows.Close()
			return nil, err
		}
		f.Evidence = append(f.Evidence, e)
	}
	rows.Close()
	rows, err = s.db.Query(ctx, `SELECT status, reason, note, decided_by, evidence, decided_at FROM flag_decision WHERE flag_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d pipeline.FlagDecision
		if err := rows.Scan(&d.Status, &d.Reason, &d.Note, &d.DecidedBy, &d.Evidence, &d.DecidedAt); err != nil {
			return nil, err
		}
		d.DecidedAt = d.DecidedAt.UTC()
		f.Decisions = append(f.Decisions, d)
	}
	return f, rows.Err()
}

var flagStatuses = map[string]bool{pipeline.FlagOpen: true, pipeline.FlagConfirmed: true, pipeline.FlagDismissed: true, pipeline.FlagNeedsInfo: true}

// FlagDecide records a decision and moves the flag to its status.
func (s *Store) FlagDecide(ctx context.Context, p pipeline.FlagDecideParams) (*pipeline.Flag, error) {
	if !flagStatuses[p.Status] {
		return nil, pipeline.Errorf(pipeline.EINVALID, "A decision is confirmed, dismissed, needs_information or open, not %q.", p.Status)
	}
	if strings.TrimSpace(p.Reason) == "" {
		return nil, pipeline.Errorf(pipeline.EINVALID, "A decision needs a reason.")
	}
	if strings.TrimSpace(p.DecidedBy) == "" {
		return nil, pipeline.Errorf(pipeline.EINVALID, "A decision needs the name of who decides.")
	}
	err := s.inTx(ctx, func(tx Tx) error {
		var total int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM flag_evidence WHERE flag_id = $1`, p.ID).Scan(&total); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `UPDATE flag SET status = $2, updated_at = $3 WHERE id = $1`, p.ID, p.Status, s.now())
		if err != nil {
			return err
		}
		if n == 0 {
			return pipeline.Errorf(pipeline.ENOTFOUND, "Flag %d does not exist.", p.ID)
		}
		_, err = tx.Exec(ctx, `INSERT INTO flag_decision (flag_id, status, reason, note, decided_by, evidence, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, p.ID, p.Status, p.Reason, p.Note, p.DecidedBy, total, s.now())
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.FlagGetByID(ctx, p.ID)
}

// IdentifierOccurrences lists the documents holding an identifier.
func (s *Store) IdentifierOccurrences(ctx context.Context, kind, value string, since time.Time) ([]pipeline.IdentifierOccurrence, error) {
	rows, err := s.db.Query(ctx, `SELECT i.document_id, d.batch_id, i.raw, i.page, i.char_offset, d.created_at
		FROM identifier i JOIN document d ON d.id = i.document_id
		WHERE i.kind = $1 AND i.value = $2 AND d.created_at >= $3 ORDER BY i.document_id, i.page, i.char_offset`, kind, value, since)
	if err != nil {
		return nil, fmt.Errorf("find identifier: %w", err)
	}
	defer rows.Close()
	var out []pipeline.IdentifierOccurrence
	for rows.Next() {
		var o pipeline.IdentifierOccurrence
		if err := rows.Scan(&o.DocumentID, &o.BatchID, &o.Raw, &o.Page, &o.Offset, &o.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// DocumentIDsBySHA256 lists the documents with the same original.
func (s *Store) DocumentIDsBySHA256(ctx context.Context, sum string) ([]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM document WHERE sha256 = $1 ORDER BY id`, sum)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
