package sqlstore

import (
	"context"
	"fmt"
	"time"

	"hoso/pipeline"
)

// Process is a running serve, worker or process command, registered under
// its River client ID.
type Process struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Host       string    `json:"host"`
	PID        int       `json:"pid"`
	PIDStarted int64     `json:"-"` // the kernel's start time of the PID, to tell a reused one
	StartedAt  time.Time `json:"started_at"`
	// Silent is how long ago its last heartbeat was, by the database's
	// clock on PostgreSQL (the nodes' clocks may differ).
	Silent time.Duration `json:"silent"`
}

// ProcessRegister records a process that starts working jobs.
func (s *Store) ProcessRegister(ctx context.Context, p Process) error {
	var err error
	if s.db.Dialect() == "postgres" {
		_, err = s.db.Exec(ctx, `INSERT INTO process (id, kind, host, pid, pid_started, started_at, heartbeat_at)
			VALUES ($1, $2, $3, $4, $5, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
			ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at`, p.ID, p.Kind, p.Host, p.PID, p.PIDStarted)
	} else {
		now := s.now()
		_, err = s.db.Exec(ctx, `INSERT INTO process (id, kind, host, pid, pid_started, started_at, heartbeat_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)
			ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at`, p.ID, p.Kind, p.Host, p.PID, p.PIDStarted, now)
	}
	if err != nil {
		return fmt.Errorf("register process: %w", err)
	}
	return nil
}

// ProcessHeartbeat says the process is alive; false when its record is
// gone (another process took it for dead), and it must register again.
func (s *Store) ProcessHeartbeat(ctx context.Context, id string) (bool, error) {
	var n int64
	var err error
	if s.db.Dialect() == "postgres" {
		n, err = s.db.Exec(ctx, `UPDATE process SET heartbeat_at = now() AT TIME ZONE 'UTC' WHERE id = $1`, id)
	} else {
		n, err = s.db.Exec(ctx, `UPDATE process SET heartbeat_at = $2 WHERE id = $1`, id, s.now())
	}
	if err != nil {
		return false, fmt.Errorf("process heartbeat: %w", err)
	}
	return n > 0, nil
}

// ProcessList returns the registered processes, the longest silent first.
func (s *Store) ProcessList(ctx context.Context) ([]Process, error) {
	q := `SELECT id, kind, host, pid, pid_started, started_at, heartbeat_at FROM process ORDER BY heartbeat_at, id`
	if s.db.Dialect() == "postgres" {
		q = `SELECT id, kind, host, pid, pid_started, started_at, heartbeat_at, now() AT TIME ZONE 'UTC' FROM process ORDER BY heartbeat_at, id`
	}
	out, err := collect(func(row Row) (Process, error) {
		var p Process
		var beat, now time.Time
		dest := []any{&p.ID, &p.Kind, &p.Host, &p.PID, &p.PIDStarted, &p.StartedAt, &beat}
		if s.db.Dialect() == "postgres" {
			dest = append(dest, &now)
		} else {
			now = s.now()
		}
		if err := row.Scan(dest...); err != nil {
			return p, err
		}
		p.StartedAt = p.StartedAt.UTC()
		p.Silent = max(0, now.Sub(beat))
		return p, nil
	})(s.db.Query(ctx, q))
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	return out, nil
}

// ProcessForget removes processes found dead, once their jobs are free.
func (s *Store) ProcessForget(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var args []any
	if _, err := s.db.Exec(ctx, `DELETE FROM process WHERE id IN `+in(&args, ids), args...); err != nil {
		return fmt.Errorf("forget processes: %w", err)
	}
	return nil
}

// JobsRescue makes the jobs that dead processes were running available
// again at once, with a note of why in the job's errors; the attempt the
// kill cut short is given back (the job did not fail, its process died),
// and it keeps its place in the queue, ahead of jobs never started.
// PostgreSQL only: on SQLite one process owns the database, and frees
// what it left running when it starts again.
func (s *Store) JobsRescue(ctx context.Context, dead []string) (int64, error) {
	if len(dead) == 0 || s.db.Dialect() != "postgres" {
		return 0, nil
	}
	n, err := s.db.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = LEAST(scheduled_at, now()),
			max_attempts = max_attempts + 1,
			errors = array_append(errors, jsonb_build_object('at', now(), 'attempt', attempt,
				'error', $2 || ' (' || attempted_by[array_length(attempted_by, 1)] || '); made available again by a live process.', 'trace', ''))
		WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = ANY($1)`, dead, pipeline.RescueNote)
	if err != nil {
		return 0, fmt.Errorf("rescue jobs of stopped processes: %w", err)
	}
	return n, nil
}

// OrphanJob is a running job whose process is not registered, or is dead.
type OrphanJob struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	AttemptedBy string    `json:"attempted_by"`
	AttemptedAt time.Time `json:"attempted_at"`
}

// JobsRunningBy returns the running jobs and the client that runs each
// (PostgreSQL; SQLite's are all this process's).
func (s *Store) JobsRunningBy(ctx context.Context) ([]OrphanJob, error) {
	if s.db.Dialect() != "postgres" {
		return []OrphanJob{}, nil
	}
	out, err := collect(func(row Row) (OrphanJob, error) {
		var j OrphanJob
		err := row.Scan(&j.ID, &j.Kind, &j.AttemptedBy, &j.AttemptedAt)
		return j, err
	})(s.db.Query(ctx, `SELECT id, kind, coalesce(attempted_by[array_length(attempted_by, 1)], ''), coalesce(attempted_at, created_at)
		FROM river_job WHERE state = 'running' ORDER BY id`))
	if err != nil {
		return nil, fmt.Errorf("list running jobs: %w", err)
	}
	return out, nil
}
