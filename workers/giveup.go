package workers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"hoso/pipeline"
)

// GiveUp is River's error handler for the document stages: when a stage's
// last attempt fails, River discards the job, and the document would stay
// where it was, in no queue, forever. GiveUp ends it as failed at that
// stage with the last error as its reason, so that a clerk sees it and can
// retry it.
type GiveUp struct {
	Config Config
}

var _ river.ErrorHandler = (*GiveUp)(nil)

// HandleError fails the document of a job on its last attempt.
func (g *GiveUp) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	g.lastAttempt(ctx, job, err.Error())
	return nil
}

// HandlePanic does the same for a panic.
func (g *GiveUp) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	g.lastAttempt(ctx, job, fmt.Sprint(panicVal))
	return nil
}

func (g *GiveUp) lastAttempt(ctx context.Context, job *rivertype.JobRow, msg string) {
	if job.Attempt < job.MaxAttempts {
		return
	}
	switch pipeline.Stage(job.Kind) {
	case pipeline.StageExtract, pipeline.StageOCR, pipeline.StageClassify, pipeline.StageDetect:
	default:
		return
	}
	var args struct {
		DocumentID int64 `json:"document_id"`
	}
	if json.Unmarshal(job.EncodedArgs, &args) != nil || args.DocumentID == 0 {
		return
	}
	doc, err := g.Config.Store.DocumentGetByID(ctx, args.DocumentID)
	if err != nil || doc.State.Terminal() {
		return
	}
	cause := pipeline.Errorf(pipeline.EINTERNAL, "hoso gave up after %d attempts (%s). Retry the document from its batch; if it fails again, report it.", job.Attempt, msg)
	err = g.Config.Store.DocumentFail(ctx, pipeline.DocumentFailParams{
		DocumentID: doc.ID, Stage: pipeline.Stage(job.Kind), Code: pipeline.ErrorCode(cause), Reason: pipeline.ErrorMessage(cause),
	})
	if err != nil && g.Config.Logger != nil {
		g.Config.Logger.ErrorContext(ctx, "A document whose stage gave up could not be marked failed", "document_id", doc.ID, "error", err)
	}
}
