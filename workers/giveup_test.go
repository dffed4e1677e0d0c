package workers_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"hoso/ingest"
	"hoso/pipeline"
	"hoso/pipeline/sqlite/sqlitetest"
	"hoso/workers"
)

// TestGiveUp: when a stage's last attempt fails, River discards its job;
// the document then ends as failed with the last error, never stuck in
// a state no queue holds. Earlier attempts leave it to River's retries.
func TestGiveUp(t *testing.T) {
	ctx := context.Background()
	st, _, blobs := sqlitetest.Open(t)
	in := &ingest.Ingester{Store: st, Blobs: blobs}
	s, err := in.Begin(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, "don.txt", strings.NewReader("Đơn đề nghị")); err != nil {
		t.Fatal(err)
	}
	id := s.Outcomes[0].DocumentID
	g := &workers.GiveUp{Config: workers.Config{Store: st}}
	job := &rivertype.JobRow{Kind: "extract", Attempt: 4, MaxAttempts: 5, EncodedArgs: []byte(`{"document_id": ` + strconv.FormatInt(id, 10) + `}`)}
	g.HandleError(ctx, job, errors.New("database is locked"))
	d, err := st.DocumentGetByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != pipeline.StateReceived {
		t.Fatalf("after attempt 4 of 5: %s, want received (River retries)", d.State)
	}
	job.Attempt = 5
	g.HandleError(ctx, job, errors.New("database is locked"))
	if d, err = st.DocumentGetByID(ctx, id); err != nil {
		t.Fatal(err)
	}
	if d.State != pipeline.StateFailed || d.Stage != pipeline.StageExtract || !strings.Contains(d.Error, "gave up after 5 attempts (database is locked)") {
		t.Errorf("after the last attempt: %s at %s: %q", d.State, d.Stage, d.Error)
	}
	// A second report changes nothing (one end per document).
	g.HandlePanic(ctx, job, "boom", "")
	if d2, _ := st.DocumentGetByID(ctx, id); d2.Error != d.Error {
		t.Errorf("a second give-up rewrote the reason: %q", d2.Error)
	}
}

// TestRetryAfterRescues: attempts cut short by a dead process do not
// lengthen the wait before the next try.
func TestRetryAfterRescues(t *testing.T) {
	job := &rivertype.JobRow{Attempt: 12}
	for range 11 {
		job.Errors = append(job.Errors, rivertype.AttemptError{Error: pipeline.RescueNote + " (process-a); made available again by a live process."})
	}
	w := &workers.Extract{}
	soon := time.Until(w.NextRetry(&river.Job[pipeline.ExtractArgs]{JobRow: job}))
	job.Errors = nil
	late := time.Until(w.NextRetry(&river.Job[pipeline.ExtractArgs]{JobRow: job}))
	if soon > 2*time.Second || late < time.Minute {
		t.Errorf("next try after 11 rescues and 1 failure in %v, after 12 failures in %v", soon, late)
	}
}
