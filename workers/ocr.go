package workers

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"hoso/extract"
	"hoso/pipeline"
)

// OCR works pipeline.OCRArgs in the ocr queue, with its own concurrency
// and its own sandbox children, so that a stack of scans never holds up
// born-digital files. Without tesseract (or its language data, or
// pdftoppm for PDFs) the document waits, saying what to install, and the
// job looks again every few minutes.
type OCR struct {
	river.WorkerDefaults[pipeline.OCRArgs]
	cfg Config
}

// ocrRetry is how long a document waits for OCR to be installed before
// the job looks again.
const ocrRetry = 2 * time.Minute

// Timeout leaves the sandbox its own time limit, twice over.
func (w *OCR) Timeout(*river.Job[pipeline.OCRArgs]) time.Duration {
	if w.cfg.OCR == nil {
		return time.Minute
	}
	return 2*w.cfg.OCR.Timeout() + 10*time.Second
}

// NextRetry retries soon.
func (w *OCR) NextRetry(job *river.Job[pipeline.OCRArgs]) time.Time {
	return retryAfter(failedAttempts(job.JobRow))
}

// Work reads one document's scans.
func (w *OCR) Work(ctx context.Context, job *river.Job[pipeline.OCRArgs]) error {
	id := job.Args.DocumentID
	doc, err := w.cfg.Store.DocumentGetByID(ctx, id)
	if pipeline.ErrorCode(err) == pipeline.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	if doc.State != pipeline.StateReceived {
		return nil
	}
	tools := w.cfg.OCRTools()
	if msg := tools.MissingTools(doc.MIME == extract.MIMEPDF); msg != "" || w.cfg.OCR == nil {
		if msg == "" {
			msg = "OCR is not configured on this server."
		}
		return w.wait(ctx, doc, msg)
	}
	path, err := w.cfg.Blobs.Path(ctx, doc.SHA256)
	if err != nil {
		return err
	}
	start := time.Now()
	// The batch page shows the pages read so far; a report that cannot be
	// written costs the page its figure, not the document its OCR.
	tools.Progress = func(done, total int) {
		if err := w.cfg.Store.OCRProgressSet(ctx, id, done, total); err != nil {
			w.cfg.Logger.WarnContext(ctx, "OCR progress not recorded", "document_id", id, "error", err)
		}
	}
	res, err := w.cfg.OCR.ExtractOCR(ctx, path, tools)
	var crash *extract.CrashError
	switch {
	case errors.Is(err, extract.ErrOCRMissing):
		return w.wait(ctx, doc, strings.TrimPrefix(err.Error(), extract.ErrOCRMissing.Error()+": "))
	case errors.As(err, &crash):
		n, rerr := w.cfg.Store.DocumentCrashRecord(ctx, id)
		if rerr != nil {
			return rerr
		}
		w.cfg.Logger.WarnContext(ctx, "OCR sandbox died", "document_id", id, "crashes", n, "code", crash.Code, "detail", crash.Detail)
		if n >= w.cfg.MaxCrashes {
			code := crash.Code
			if code == pipeline.ECORRUPT {
				code = pipeline.EQUARANTINED
			}
			return w.fail(ctx, doc, pipeline.Errorf(code, "%s", crash.Message))
		}
		return err
	case err != nil && pipeline.ErrorCode(err) != pipeline.EINTERNAL:
		return w.fail(ctx, doc, err)
	case err != nil:
		return err
	}
	pages := pipelinePages(res.Pages)
	if err := w.cfg.Store.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: id, MIME: res.MIME, Pages: pages,
		Quality: res.Quality, Extractor: res.Extractor(), Language: res.Language}); err != nil {
		return err
	}
	w.cfg.Logger.DebugContext(ctx, "Document read by OCR", "document_id", id, "pages", len(pages), "duration", time.Since(start))
	return nil
}

// wait notes why the document waits and looks again later.
func (w *OCR) wait(ctx context.Context, doc *pipeline.Document, msg string) error {
	if err := w.cfg.Store.DocumentWaiting(ctx, doc.ID, pipeline.EOCRMISSING, msg); err != nil {
		return err
	}
	w.cfg.Logger.InfoContext(ctx, "Document waits for OCR", "document_id", doc.ID)
	return river.JobSnooze(ocrRetry)
}

func (w *OCR) fail(ctx context.Context, doc *pipeline.Document, cause error) error {
	return failDocument(ctx, w.cfg, doc, pipeline.StageOCR, cause)
}

// CachedOCRTools looks the tools up (tesseract at the path given, or on
// the PATH) at most once a minute.
func CachedOCRTools(tesseract string) func() extract.OCROptions {
	var mu sync.Mutex
	var found extract.OCROptions
	var at time.Time
	return func() extract.OCROptions {
		mu.Lock()
		defer mu.Unlock()
		if at.IsZero() || time.Since(at) > time.Minute {
			found, at = extract.FindOCR(tesseract), time.Now()
		}
		return found
	}
}
