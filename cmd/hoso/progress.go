package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"hoso/pipeline"
	"hoso/pipeline/sqlstore"
)

// progress tells what `hoso process` is doing while it works: on a
// terminal a line rewritten twice a second, otherwise a line a minute
// (logs, CI), on standard error so that --json keeps standard output.
type progress struct {
	w     io.Writer
	tty   bool
	every time.Duration
	start time.Time
	last  time.Time
	done0 int // documents already settled when the run began
	first bool
	shown bool
	// stalled says what waits on a process gone silent, if anything.
	stalled func() string
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, every: time.Minute, start: time.Now(), first: true}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.every = true, 500*time.Millisecond
	}
	p.last = p.start
	return p
}

// update reports the counts of documents by state, when it is time to.
func (p *progress) update(counts map[pipeline.State]int) {
	settled, total := 0, 0
	for st, n := range counts {
		total += n
		if st.Settled() {
			settled += n
		}
	}
	if p.first {
		p.done0, p.first = settled, false
	}
	now := time.Now()
	if now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	line := progressLine(counts, settled, total, settled-p.done0, now.Sub(p.start))
	if p.stalled != nil {
		if w := p.stalled(); w != "" {
			line += "; " + w
		}
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.shown = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// finish ends the rewritten line before the summary.
func (p *progress) finish() {
	if p.tty && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// progressLine says how far the documents are: settled of all, by state,
// the rate of this run and an estimate of the time left.
func progressLine(counts map[pipeline.State]int, settled, total, doneNow int, elapsed time.Duration) string {
	var parts []string
	for _, st := range append(pipeline.States, pipeline.StateWaiting) {
		if n := counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, n))
		}
	}
	line := fmt.Sprintf("%d of %d documents done (%s)", settled, total, strings.Join(parts, ", "))
	if elapsed > 0 && doneNow > 0 {
		rate := float64(doneNow) / elapsed.Seconds()
		line += fmt.Sprintf("; %.1f documents/s", rate)
		if left := total - settled; left > 0 {
			line += fmt.Sprintf(", about %s left", time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second))
		}
	}
	return line
}

// stalledJobs says which jobs wait on processes that have gone silent but
// are not yet taken for dead, and by when they will be freed.
func stalledJobs(ctx context.Context, st *sqlstore.Store) string {
	procs, err := st.ProcessList(ctx)
	if err != nil {
		return ""
	}
	silent := map[string]sqlstore.Process{}
	for _, p := range procs {
		if p.Silent > 2*heartbeatEvery {
			silent[p.ID] = p
		}
	}
	if len(silent) == 0 {
		return ""
	}
	jobs, err := st.JobsRunningBy(ctx)
	if err != nil {
		return ""
	}
	n := 0
	var until time.Time
	var who string
	for _, j := range jobs {
		if p, ok := silent[j.AttemptedBy]; ok {
			n++
			if t := time.Now().Add(heartbeatGrace - p.Silent); t.After(until) {
				until, who = t, fmt.Sprintf("pid %d on %s", p.PID, p.Host)
			}
		}
	}
	if n == 0 {
		return ""
	}
	what := "jobs wait"
	if n == 1 {
		what = "job waits"
	}
	return fmt.Sprintf("%d %s on a silent process (%s), freed by %s at the latest", n, what, who, until.Format(time.TimeOnly))
}
