package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"hoso/pipeline"
)

// BatchCreate creates a batch.
func (s *Store) BatchCreate(ctx context.Context, params pipeline.BatchCreateParams) (*pipeline.Batch, error) {
	name := strings.TrimSpace(params.Name)
	if name == "" {
		return nil, pipeline.Errorf(pipeline.EINVALID, "A batch needs a name.")
	}
	dep := params.Department
	if dep == "" {
		dep = pipeline.DepartmentIntake
	}
	b := &pipeline.Batch{Name: name, CreatedBy: params.CreatedBy, Department: dep, CreatedAt: s.now()}
	err := s.db.QueryRow(ctx, `INSERT INTO batch (name, created_by, department, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		b.Name, b.CreatedBy, b.Department, b.CreatedAt).Scan(&b.ID)
	if err != nil {
		return nil, fmt.Errorf("create batch: %w", err)
	}
	return s.BatchGetByID(ctx, b.ID)
}

const batchColumns = `b.id, b.name, b.created_by, COALESCE(u.name, ''), b.department, b.created_at`

const batchFrom = ` FROM batch b LEFT JOIN app_user u ON u.id = b.created_by `

func scanBatch(row Row) (*pipeline.Batch, error) {
	b := &pipeline.Batch{}
	if err := row.Scan(&b.ID, &b.Name, &b.CreatedBy, &b.CreatedByName, &b.Department, &b.CreatedAt); err != nil {
		return nil, err
	}
	b.CreatedAt = b.CreatedAt.UTC()
	return b, nil
}

// BatchGetByID returns a batch.
func (s *Store) BatchGetByID(ctx context.Context, id int64) (*pipeline.Batch, error) {
	return s.BatchGet(ctx, pipeline.ScopeAll, id)
}

// BatchStoredBytes returns the bytes of the documents a batch holds.
func (s *Store) BatchStoredBytes(ctx context.Context, id int64) (int64, error) {
	var n int64
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(SUM(size), 0) FROM document WHERE batch_id = $1`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the bytes of batch %d: %w", id, err)
	}
	return n, nil
}

// BatchGet returns a batch in scope.
func (s *Store) BatchGet(ctx context.Context, scope pipeline.Scope, id int64) (*pipeline.Batch, error) {
	args := []any{id}
	cond := scopeCond(scope, "b.department", &args)
	b, err := scanBatch(s.db.QueryRow(ctx, `SELECT `+batchColumns+batchFrom+`WHERE b.id = $1 AND `+cond, args...))
	if errors.Is(err, ErrNoRows) {
		if scope.All {
			return nil, pipeline.Errorf(pipeline.ENOTFOUND, "Batch %d does not exist.", id)
		}
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "Batch %d does not exist or belongs to a department you do not work in.", id)
	} else if err != nil {
		return nil, fmt.Errorf("get batch %d: %w", id, err)
	}
	return b, nil
}

// BatchList lists batches in scope, newest first, with counts.
func (s *Store) BatchList(ctx context.Context, p pipeline.BatchListParams) ([]*pipeline.BatchSummary, error) {
	var args []any
	conds := []string{scopeCond(p.Scope, "b.department", &args)}
	if p.CreatedBy != 0 {
		args = append(args, p.CreatedBy)
		conds = append(conds, fmt.Sprintf("b.created_by = $%d", len(args)))
	}
	if p.BeforeID > 0 {
		args = append(args, p.BeforeID)
		conds = append(conds, fmt.Sprintf("b.id < $%d", len(args)))
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit)
	out, err := collect(func(row Row) (*pipeline.BatchSummary, error) {
		b, err := scanBatch(row)
		if err != nil {
			return nil, err
		}
		return &pipeline.BatchSummary{Batch: *b, States: map[pipeline.State]int{}}, nil
	})(s.db.Query(ctx, `SELECT `+batchColumns+batchFrom+`WHERE `+strings.Join(conds, " AND ")+
		fmt.Sprintf(` ORDER BY b.id DESC LIMIT $%d`, len(args)), args...))
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	byID := map[int64]*pipeline.BatchSummary{}
	var ids []int64
	for _, b := range out {
		byID[b.ID] = b
		ids = append(ids, b.ID)
	}
	var idArgs []any
	inIDs := in(&idArgs, ids)
	err = each(func(row Row) error {
		var id int64
		var state string
		var n int
		if err := row.Scan(&id, &state, &n); err != nil {
			return err
		}
		byID[id].States[pipeline.State(state)] = n
		byID[id].Documents += n
		return nil
	})(s.db.Query(ctx, `SELECT batch_id, state, count(*) FROM document WHERE batch_id IN `+inIDs+` GROUP BY batch_id, state`, idArgs...))
	if err != nil {
		return nil, err
	}
	err = each(func(row Row) error {
		var id int64
		var n int
		if err := row.Scan(&id, &n); err != nil {
			return err
		}
		byID[id].Rejected = n
		return nil
	})(s.db.Query(ctx, `SELECT batch_id, count(*) FROM rejection WHERE batch_id IN `+inIDs+` GROUP BY batch_id`, idArgs...))
	if err != nil {
		return nil, err
	}
	return out, nil
}
