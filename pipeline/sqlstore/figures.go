package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"hoso/pipeline"
)

// Figures counts the office's documents, failures and flags.
func (s *Store) Figures(ctx context.Context, scope pipeline.Scope, since time.Time) (*pipeline.Figures, error) {
	f := &pipeline.Figures{Since: since.UTC(), PerDay: []pipeline.DayCount{}, Failures: []pipeline.CodeCount{}, Flags: []pipeline.FlagKindCount{}}
	args := []any{since.UTC()}
	cond := scopeCond(scope, "department", &args)
	days := map[string]*pipeline.DayCount{}
	codes := map[string]int{}
	var waits []time.Duration
	err := each(func(row Row) error {
		var created, updated time.Time
		var state, code string
		if err := row.Scan(&created, &updated, &state, &code); err != nil {
			return err
		}
		day := created.UTC().Format("2006-01-02")
		dc := days[day]
		if dc == nil {
			dc = &pipeline.DayCount{Day: day}
			days[day] = dc
			f.PerDay = append(f.PerDay, pipeline.DayCount{Day: day})
		}
		dc.Documents++
		f.Documents++
		switch pipeline.State(state) {
		case pipeline.StateFailed:
			dc.Failed++
			f.Failed++
			codes[code]++
		case pipeline.StateIndexed:
			waits = append(waits, updated.Sub(created))
		}
		return nil
	})(s.db.Query(ctx, `SELECT created_at, updated_at, state, error_code FROM document WHERE created_at >= $1 AND `+cond+` ORDER BY created_at`, args...))
	if err != nil {
		return nil, fmt.Errorf("count documents: %w", err)
	}
	for i := range f.PerDay {
		f.PerDay[i] = *days[f.PerDay[i].Day]
	}
	for c, n := range codes {
		f.Failures = append(f.Failures, pipeline.CodeCount{Code: c, Count: n})
	}
	slices.SortFunc(f.Failures, func(a, b pipeline.CodeCount) int { return cmp.Or(b.Count-a.Count, strings.Compare(a.Code, b.Code)) })
	if len(waits) > 0 {
		slices.Sort(waits)
		f.Searchable = len(waits)
		f.SearchableP50 = waits[(len(waits)-1)*50/100]
		f.SearchableP90 = waits[(len(waits)-1)*90/100]
	}
	args = nil
	cond = scopeCond(scope, "department", &args)
	err = each(func(row Row) error {
		var kind, status string
		var n int
		if err := row.Scan(&kind, &status, &n); err != nil {
			return err
		}
		if len(f.Flags) == 0 || f.Flags[len(f.Flags)-1].Kind != kind {
			f.Flags = append(f.Flags, pipeline.FlagKindCount{Kind: kind})
		}
		fk := &f.Flags[len(f.Flags)-1]
		fk.Total += n
		if status == pipeline.FlagOpen {
			fk.Open += n
		}
		return nil
	})(s.db.Query(ctx, `SELECT kind, status, count(*) FROM flag WHERE `+cond+` GROUP BY kind, status ORDER BY kind`, args...))
	if err != nil {
		return nil, fmt.Errorf("count flags: %w", err)
	}
	return f, nil
}

// FailureCounts counts failed documents by error code.
func (s *Store) FailureCounts(ctx context.Context) ([]pipeline.CodeCount, error) {
	out, err := collect(func(row Row) (pipeline.CodeCount, error) {
		var c pipeline.CodeCount
		err := row.Scan(&c.Code, &c.Count)
		return c, err
	})(s.db.Query(ctx, `SELECT error_code, count(*) FROM document WHERE state = $1 GROUP BY error_code ORDER BY error_code`, string(pipeline.StateFailed)))
	if err != nil {
		return nil, fmt.Errorf("count failures: %w", err)
	}
	return out, nil
}

// QueueDepth counts River jobs waiting, by queue.
func (s *Store) QueueDepth(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := each(func(row Row) error {
		var q string
		var n int
		err := row.Scan(&q, &n)
		out[q] = n
		return err
	})(s.db.Query(ctx, `SELECT queue, count(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable') GROUP BY queue`))
	if err != nil {
		return nil, fmt.Errorf("count queued jobs: %w", err)
	}
	return out, nil
}

// VolumeDocuments lists classified documents uploaded since a time.
func (s *Store) VolumeDocuments(ctx context.Context, since time.Time) ([]pipeline.VolumeDocument, error) {
	out, err := collect(func(row Row) (pipeline.VolumeDocument, error) {
		var d pipeline.VolumeDocument
		err := row.Scan(&d.ID, &d.Type, &d.Department, &d.CreatedAt)
		return d, err
	})(s.db.Query(ctx, `SELECT id, doc_type, department, created_at FROM document
		WHERE created_at >= $1 AND doc_type <> '' ORDER BY id`, since.UTC()))
	if err != nil {
		return nil, fmt.Errorf("list documents for volumes: %w", err)
	}
	return out, nil
}
