package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"hoso/pipeline"
)

// flagUpsert raises or extends a flag inside tx.
func (s *Store) flagUpsert(ctx context.Context, tx Tx, f pipeline.FlagUpsert) error {
	now := s.now()
	if f.Department == "" {
		f.Department = pipeline.DepartmentIntake
	}
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
		if n > 0 {
			// The document's flags are searchable: the indexer takes it again.
			if err := s.feed(ctx, tx, e.DocumentID, "flagged"); err != nil {
				return err
			}
		}
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
	var args []any
	conds := []string{scopeCond(p.Scope, "department", &args)}
	if p.Department != "" {
		args = append(args, p.Department)
		conds = append(conds, fmt.Sprintf("department = $%d", len(args)))
	}
	switch p.Status {
	case "":
	case pipeline.FlagsActive:
		args = append(args, pipeline.FlagOpen, pipeline.FlagAwaitingSecond, pipeline.FlagNeedsInfo)
		conds = append(conds, fmt.Sprintf("status IN ($%d, $%d, $%d)", len(args)-2, len(args)-1, len(args)))
	default:
		args = append(args, p.Status)
		conds = append(conds, fmt.Sprintf("status = $%d", len(args)))
	}
	if p.Kind != "" {
		args = append(args, p.Kind)
		conds = append(conds, fmt.Sprintf("kind = $%d", len(args)))
	}
	if p.Severity != "" {
		args = append(args, p.Severity)
		conds = append(conds, fmt.Sprintf("severity = $%d", len(args)))
	}
	if p.DocumentID != 0 {
		args = append(args, p.DocumentID)
		conds = append(conds, fmt.Sprintf("id IN (SELECT flag_id FROM flag_evidence WHERE document_id = $%d)", len(args)))
	}
	order := "updated_at DESC, id DESC"
	switch p.Sort {
	case "severity":
		order = "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, created_at, id"
	case "age":
		order = "created_at, id"
	}
	q += " WHERE " + strings.Join(conds, " AND ")
	limit := p.Limit
	if limit <= 0 {
		limit = 500
	}
	args = append(args, limit)
	out, err := collect(scanFlag)(s.db.Query(ctx, q+" ORDER BY "+order+fmt.Sprintf(" LIMIT $%d", len(args)), args...))
	if err != nil {
		return nil, fmt.Errorf("list flags: %w", err)
	}
	return out, nil
}

// FlagGet returns a flag in scope with its evidence in scope and its
// decisions.
func (s *Store) FlagGet(ctx context.Context, scope pipeline.Scope, id int64) (*pipeline.Flag, error) {
	args := []any{id}
	cond := scopeCond(scope, "department", &args)
	f, err := scanFlag(s.db.QueryRow(ctx, `SELECT `+flagColumns+` FROM flag WHERE id = $1 AND `+cond, args...))
	if errors.Is(err, ErrNoRows) {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "Flag %d does not exist or belongs to a department you do not work in.", id)
	} else if err != nil {
		return nil, fmt.Errorf("get flag %d: %w", id, err)
	}
	args = []any{id}
	cond = scopeCond(scope, "d.department", &args)
	// Evidence in departments the reader does not see is neither listed
	// nor counted.
	f.Evidence, err = collect(func(row Row) (pipeline.FlagEvidence, error) {
		var e pipeline.FlagEvidence
		err := row.Scan(&e.DocumentID, &e.Detail)
		return e, err
	})(s.db.Query(ctx, `SELECT e.document_id, e.detail FROM flag_evidence e JOIN document d ON d.id = e.document_id
		WHERE e.flag_id = $1 AND `+cond+` ORDER BY e.document_id`, args...))
	if err != nil {
		return nil, fmt.Errorf("get flag %d: %w", id, err)
	}
	f.Decisions, err = collect(func(row Row) (pipeline.FlagDecision, error) {
		var d pipeline.FlagDecision
		err := row.Scan(&d.Status, &d.Reason, &d.Note, &d.DecidedBy, &d.Evidence, &d.DecidedAt)
		d.DecidedAt = d.DecidedAt.UTC()
		return d, err
	})(s.db.Query(ctx, `SELECT status, reason, note, decided_by, evidence, decided_at FROM flag_decision WHERE flag_id = $1 ORDER BY id`, id))
	if err != nil {
		return nil, fmt.Errorf("get flag %d: %w", id, err)
	}
	return f, nil
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
		if p.FourEyes && p.Status == pipeline.FlagConfirmed {
			args := []any{p.ID}
			cond := scopeCond(p.Scope, "department", &args)
			var severity, status string
			err := tx.QueryRow(ctx, `SELECT severity, status FROM flag WHERE id = $1 AND `+cond, args...).Scan(&severity, &status)
			if errors.Is(err, ErrNoRows) {
				return pipeline.Errorf(pipeline.ENOTFOUND, "Flag %d does not exist or belongs to a department you do not work in.", p.ID)
			} else if err != nil {
				return err
			}
			if severity == "high" {
				if status != pipeline.FlagAwaitingSecond {
					p.Status = pipeline.FlagAwaitingSecond
				} else {
					var first string
					if err := tx.QueryRow(ctx, `SELECT decided_by FROM flag_decision WHERE flag_id = $1 AND status = $2 ORDER BY id DESC LIMIT 1`,
						p.ID, pipeline.FlagAwaitingSecond).Scan(&first); err != nil && !errors.Is(err, ErrNoRows) {
						return err
					}
					if first == p.DecidedBy {
						return pipeline.Errorf(pipeline.ECONFLICT, "You confirmed this flag already; a second supervisor must confirm a high-severity flag.")
					}
				}
			}
		}
		args := []any{p.ID, p.Status, s.now()}
		cond := scopeCond(p.Scope, "department", &args)
		n, err := tx.Exec(ctx, `UPDATE flag SET status = $2, updated_at = $3 WHERE id = $1 AND `+cond, args...)
		if err != nil {
			return err
		}
		if n == 0 {
			return pipeline.Errorf(pipeline.ENOTFOUND, "Flag %d does not exist or belongs to a department you do not work in.", p.ID)
		}
		_, err = tx.Exec(ctx, `INSERT INTO flag_decision (flag_id, status, reason, note, decided_by, evidence, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, p.ID, p.Status, p.Reason, p.Note, p.DecidedBy, total, s.now())
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.FlagGet(ctx, p.Scope, p.ID)
}

// FlagsUpsert raises or extends flags in one transaction.
func (s *Store) FlagsUpsert(ctx context.Context, flags []pipeline.FlagUpsert) error {
	return s.inTx(ctx, func(tx Tx) error {
		for _, f := range flags {
			if err := s.flagUpsert(ctx, tx, f); err != nil {
				return err
			}
		}
		return nil
	})
}
