package workers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"

	"hoso/extract"
	"hoso/ingest"
	"hoso/pipeline"
)

// Extract works pipeline.ExtractArgs: the original's text, page by page,
// read in the sandbox.
type Extract struct {
	river.WorkerDefaults[pipeline.ExtractArgs]
	cfg Config
}

// Timeout leaves room for waiting on a child (the queue fetches ahead),
// the sandbox's own limit, and storing the result.
func (w *Extract) Timeout(*river.Job[pipeline.ExtractArgs]) time.Duration {
	return 2*w.cfg.Extractor.Timeout() + 10*time.Second
}

// NextRetry retries soon: a crash is retried once, then quarantined.
func (w *Extract) NextRetry(job *river.Job[pipeline.ExtractArgs]) time.Time {
	return retryAfter(failedAttempts(job.JobRow))
}

// Work extracts one document.
func (w *Extract) Work(ctx context.Context, job *river.Job[pipeline.ExtractArgs]) error {
	id := job.Args.DocumentID
	doc, ok, err := stageDocument(ctx, w.cfg.Store, id, pipeline.StateReceived)
	if err != nil || !ok {
		return err
	}
	path, err := w.cfg.Blobs.Path(ctx, doc.SHA256)
	if code := pipeline.ErrorCode(err); code == pipeline.ENOTFOUND || code == pipeline.EINVALID {
		return w.fail(ctx, doc, pipeline.Errorf(pipeline.ENOTFOUND, "The original file is missing from storage; upload it again."))
	} else if err != nil {
		return err
	}
	start := time.Now()
	var res *extract.Result
	var attachDir string
	if ae, ok := w.cfg.Extractor.(attachmentExtractor); ok {
		if attachDir, err = os.MkdirTemp("", "hoso-attachments-*"); err != nil {
			return fmt.Errorf("make a folder for attachments: %w", err)
		}
		defer os.RemoveAll(attachDir)
		res, err = ae.ExtractInto(ctx, path, attachDir)
	} else {
		res, err = w.cfg.Extractor.Extract(ctx, path)
	}
	var crash *extract.CrashError
	switch {
	case errors.As(err, &crash):
		return w.crashed(ctx, doc, crash, err)
	case pipeline.ErrorCode(err) == pipeline.ENEEDSOCR:
		return w.toOCR(ctx, doc)
	case err != nil && pipeline.ErrorCode(err) != pipeline.EINTERNAL:
		return w.fail(ctx, doc, err)
	case err != nil:
		return err
	}
	if w.needsOCR(res) {
		return w.toOCR(ctx, doc)
	}
	pages := pipelinePages(res.Pages)
	atts, err := w.storeAttachments(ctx, doc, res.Attachments, attachDir)
	if err != nil {
		return err
	}
	var msg *pipeline.Message
	if m := res.Message; m != nil {
		msg = &pipeline.Message{From: m.From, To: m.To, Cc: m.Cc, Date: m.Date, Subject: m.Subject}
	}
	err = w.cfg.Store.ExtractComplete(ctx, pipeline.ExtractCompleteParams{
		DocumentID: id, MIME: res.MIME, Pages: pages, Quality: res.Quality, Extractor: res.Extractor(), Language: res.Language,
		Message: msg, Attachments: atts.Documents, Rejections: atts.Rejections,
	})
	if err != nil {
		return err
	}
	w.cfg.Logger.DebugContext(ctx, "Document extracted", "document_id", id, "pages", len(pages), "duration", time.Since(start))
	return nil
}

// attachmentExtractor is an Extractor that saves the files an e-mail
// carries (*extract.Sandbox).
type attachmentExtractor interface {
	ExtractInto(ctx context.Context, path, dir string) (*extract.Result, error)
}

// crashed counts a crash of the sandbox on the document: it is retried
// (err) until it has crashed MaxCrashes times, then failed, a file that
// reads as damaged each time quarantined.
func (w *Extract) crashed(ctx context.Context, doc *pipeline.Document, crash *extract.CrashError, err error) error {
	n, rerr := w.cfg.Store.DocumentCrashRecord(ctx, doc.ID)
	if rerr != nil {
		return rerr
	}
	w.cfg.Logger.WarnContext(ctx, "Extraction sandbox died", "document_id", doc.ID, "crashes", n, "code", crash.Code, "detail", crash.Detail)
	if n < w.cfg.MaxCrashes {
		return err
	}
	code := crash.Code
	if crash.Code == pipeline.ECORRUPT {
		code = pipeline.EQUARANTINED
	}
	if n > 1 {
		return w.fail(ctx, doc, pipeline.Errorf(code, "%s The file was set aside after %d attempts.", crash.Message, n))
	}
	return w.fail(ctx, doc, pipeline.Errorf(code, "%s", crash.Message))
}

// needsOCR says whether a PDF goes to OCR: one with pages whose text
// layer is missing or junk does when OCR is installed; without it, the
// readable pages are enough, and a PDF with none waits for OCR like a
// scan.
func (w *Extract) needsOCR(res *extract.Result) bool {
	if res.MIME != extract.MIMEPDF {
		return false
	}
	unusable := 0
	for _, p := range res.Pages {
		if !extract.UsableTextLayer(p, ocrBar) {
			unusable++
		}
	}
	ocrReady := w.cfg.OCR != nil && w.cfg.OCRTools().MissingTools(true) == ""
	return unusable > 0 && (ocrReady || unusable == len(res.Pages))
}

// storeAttachments keeps the attachments the child saved under dir as
// originals, to become documents of the e-mail's batch, as an upload's
// files do: an attached archive is unpacked within the upload limits,
// and a file refused is recorded with its reason. Their paths are the
// e-mail's path and their names (an archive's files below the
// archive's), so the batch page shows where each came from.
func (w *Extract) storeAttachments(ctx context.Context, doc *pipeline.Document, atts []extract.Attachment, dir string) (*ingest.Attached, error) {
	if len(atts) == 0 {
		return &ingest.Attached{}, nil
	}
	in := &ingest.Ingester{Blobs: w.cfg.Blobs, Limits: w.cfg.Uploads}
	var out ingest.Attached
	// The batch limit counts what the batch already holds, and an e-mail
	// inside an e-mail nests its attachments one deeper.
	used, err := w.cfg.Store.BatchStoredBytes(ctx, doc.BatchID)
	if err != nil {
		return nil, err
	}
	out.Used = used
	for p := doc.ParentID; p != nil && out.Depth < 8; out.Depth++ {
		parent, err := w.cfg.Store.DocumentGetByID(ctx, *p)
		if err != nil {
			return nil, err
		}
		p = parent.ParentID
	}
	for _, a := range atts {
		if a.Path == "" || filepath.Dir(a.Path) != filepath.Clean(dir) {
			continue // not saved, or not where it was asked to be
		}
		f, err := os.Open(a.Path)
		if err != nil {
			return nil, fmt.Errorf("open attachment: %w", err)
		}
		err = in.Attach(ctx, &out, doc.BatchID, doc.Path+"/"+a.Name, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("store attachment: %w", err)
		}
	}
	return &out, nil
}

// ocrBar is the text-layer quality under which a PDF page is read again by
// OCR.
const ocrBar = 0.5

func (w *Extract) toOCR(ctx context.Context, doc *pipeline.Document) error {
	if _, err := w.cfg.Store.DocumentNeedsOCR(ctx, doc.ID); err != nil {
		return err
	}
	w.cfg.Logger.DebugContext(ctx, "Document sent to OCR", "document_id", doc.ID)
	return nil
}

// pipelinePages turns extracted pages into stored ones.
func pipelinePages(in []extract.PageText) []pipeline.Page {
	pages := make([]pipeline.Page, len(in))
	for i, p := range in {
		pages[i] = pipeline.Page{Number: i + 1, Text: p.Text, Quality: p.Quality, Extractor: p.Extractor,
			Confidence: p.Confidence, Language: p.Language, NeedsReview: p.NeedsReview()}
	}
	return pages
}

// fail ends the document as failed and cancels the job with the reason,
// so River's job record says why too.
func (w *Extract) fail(ctx context.Context, doc *pipeline.Document, cause error) error {
	return failDocument(ctx, w.cfg, doc, pipeline.StageExtract, cause)
}

// failDocument ends the document as failed at a stage and cancels the job
// with the reason.
func failDocument(ctx context.Context, cfg Config, doc *pipeline.Document, stage pipeline.Stage, cause error) error {
	err := cfg.Store.DocumentFail(ctx, pipeline.DocumentFailParams{
		DocumentID: doc.ID, Stage: stage, Code: pipeline.ErrorCode(cause), Reason: pipeline.ErrorMessage(cause),
	})
	if err != nil {
		return err
	}
	cfg.Logger.InfoContext(ctx, "Document failed", "document_id", doc.ID, "stage", stage, "code", pipeline.ErrorCode(cause))
	return river.JobCancel(cause)
}
