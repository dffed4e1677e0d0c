package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"hoso/pipeline/sqlstore"
)

// Every process that works jobs registers under its River client ID and
// beats every few seconds. Each of them looks for the dead: a process
// silent for longer than the grace, or one on this machine whose PID is
// gone (or belongs to another program now). The jobs a dead process was
// running are made available at once, and its record is removed; River's
// time-based rescuer stays as the last resort.
const (
	heartbeatEvery = 5 * time.Second
	heartbeatGrace = 4 * heartbeatEvery
)

// liveness registers this process and frees the jobs of dead ones.
type liveness struct {
	st     *sqlstore.Store
	me     sqlstore.Process
	logger *slog.Logger
	every  time.Duration
	grace  time.Duration

	stop func()
	done chan struct{}
}

// newProcess describes this process, for the registry and as River's
// client ID.
func newProcess(kind string) sqlstore.Process {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	pid := os.Getpid()
	return sqlstore.Process{
		ID:         fmt.Sprintf("%s-%s-%d-%d", kind, host, pid, time.Now().UnixMilli()),
		Kind:       kind,
		Host:       host,
		PID:        pid,
		PIDStarted: pidStarted(pid),
	}
}

// pidStarted is when the kernel started the process, in clock ticks since
// boot (field 22 of /proc/PID/stat), or 0 where that cannot be read.
func pidStarted(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0
	}
	n, _ := strconv.ParseInt(f[19], 10, 64)
	return n
}

// alive tells whether a process of this machine still runs.
func alive(p sqlstore.Process) bool {
	if _, err := os.Stat("/proc/" + strconv.Itoa(p.PID)); err != nil {
		return false
	}
	return p.PIDStarted == 0 || pidStarted(p.PID) == p.PIDStarted
}

// startLiveness registers the process and frees what dead processes left
// running, then beats until stopped.
func startLiveness(ctx context.Context, st *sqlstore.Store, me sqlstore.Process, logger *slog.Logger) (*liveness, error) {
	l := &liveness{st: st, me: me, logger: logger, every: heartbeatEvery, grace: heartbeatGrace, done: make(chan struct{})}
	if err := st.ProcessRegister(ctx, me); err != nil {
		return nil, err
	}
	if _, err := l.rescue(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var once sync.Once
	l.stop = func() {
		once.Do(func() {
			cancel()
			<-l.done
			forget, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = st.ProcessForget(forget, []string{me.ID})
		})
	}
	go l.run(ctx)
	return l, nil
}

func (l *liveness) run(ctx context.Context) {
	defer close(l.done)
	tick := time.NewTicker(l.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ok, err := l.st.ProcessHeartbeat(ctx, l.me.ID)
		if err == nil && !ok {
			// Taken for dead (a long pause): say so and register again;
			// the jobs it ran were freed and run elsewhere, and the stage
			// guards keep the work from being done twice.
			l.logger.WarnContext(ctx, "This process was taken for dead and registers again", "process", l.me.ID)
			err = l.st.ProcessRegister(ctx, l.me)
		}
		if err == nil {
			_, err = l.rescue(ctx)
		}
		if err != nil && ctx.Err() == nil {
			l.logger.WarnContext(ctx, "Process heartbeat", "error", err)
		}
	}
}

// rescue frees the jobs of dead processes and forgets them.
func (l *liveness) rescue(ctx context.Context) (int64, error) {
	procs, err := l.st.ProcessList(ctx)
	if err != nil {
		return 0, err
	}
	var dead []string
	for _, p := range procs {
		if p.ID != l.me.ID && deadProcess(p, l.me.Host, l.grace) {
			dead = append(dead, p.ID)
		}
	}
	if len(dead) == 0 {
		return 0, nil
	}
	n, err := l.st.JobsRescue(ctx, dead)
	if err != nil {
		return 0, err
	}
	if err := l.st.ProcessForget(ctx, dead); err != nil {
		return n, err
	}
	if n > 0 {
		l.logger.InfoContext(ctx, "Jobs of stopped processes are available again", "jobs", n, "processes", strings.Join(dead, ", "))
	}
	return n, nil
}

// deadProcess tells whether a registered process is dead: silent beyond
// the grace, or gone from this machine.
func deadProcess(p sqlstore.Process, host string, grace time.Duration) bool {
	return p.Silent > grace || p.Host == host && !alive(p)
}
