package workers

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"hoso/classify"
	"hoso/detect"
	"hoso/pipeline"
)

// Detect works pipeline.DetectArgs: it finds the document's identifiers,
// its near-duplicate signature and its red flags, and tells the indexer
// through the change feed; what the document shares with others is the
// patterns sweep's.
type Detect struct {
	river.WorkerDefaults[pipeline.DetectArgs]
	cfg       Config
	templates *templateCache
	sweeper   *sweeper
}

// NewDetect returns a detect worker on its own, for benchmarks that time
// the stage without the queue.
func NewDetect(cfg Config) *Detect {
	cfg = cfg.withDefaults()
	return &Detect{cfg: cfg, templates: &templateCache{byType: map[string]templateEntry{}}, sweeper: &sweeper{}}
}

// NextRetry retries soon.
func (w *Detect) NextRetry(job *river.Job[pipeline.DetectArgs]) time.Time {
	return retryAfter(failedAttempts(job.JobRow))
}

// Work checks one document.
func (w *Detect) Work(ctx context.Context, job *river.Job[pipeline.DetectArgs]) error {
	id := job.Args.DocumentID
	doc, ok, err := stageDocument(ctx, w.cfg.Store, id, pipeline.StateClassified)
	if err != nil || !ok {
		return err
	}
	pages, err := w.cfg.Store.PageListByDocument(ctx, id)
	if err != nil {
		return err
	}
	texts := make([]string, len(pages))
	for i, p := range pages {
		texts[i] = p.Text
	}
	ids := detect.Identifiers(texts)
	var nd *pipeline.NearDupWrite
	if sig, ok, err := w.signature(ctx, doc, texts); err != nil {
		return err
	} else if ok {
		nd = &sig
	}
	var flags []pipeline.FlagUpsert
	rules, err := w.cfg.Rules.Get(ctx)
	if err != nil {
		return err
	}
	for _, m := range rules.RedFlags(classify.Document{Filename: doc.Filename, Batch: doc.BatchName, Language: doc.Language, Pages: texts}) {
		detail := m.Message
		for _, e := range m.Evidence {
			if e.Text != "" {
				detail = fmt.Sprintf("%q on page %d, character %d", e.Text, e.Page, e.Offset)
				break
			}
		}
		flags = append(flags, pipeline.FlagUpsert{
			Kind: m.Flag, Key: fmt.Sprintf("%s:%d", m.ID, doc.ID), Severity: m.Severity, Department: doc.Department,
			Title: m.Message, Evidence: []pipeline.FlagEvidence{{DocumentID: doc.ID, Detail: detail}},
		})
	}
	if err := w.cfg.Store.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: id, Identifiers: ids, Flags: flags, NearDup: nd}); err != nil {
		return err
	}
	if nd != nil && nd.TemplateDocs == 0 {
		if err := w.signAgainIfLearned(ctx, doc); err != nil {
			return err
		}
	}
	// What this document shares with others is checked now that it is
	// committed, by one sweep at a time (see patterns.go).
	w.sweeper.kick(ctx, w.cfg)
	return nil
}

// signature signs the document for near-duplicate lookups: MinHash of
// what it holds beyond its type's template. ok is false for a document
// with too little of its own to compare.
func (w *Detect) signature(ctx context.Context, doc *pipeline.Document, texts []string) (nd pipeline.NearDupWrite, ok bool, err error) {
	cfg := w.cfg.Detect.WithDefaults()
	tmpl, docs, err := w.template(ctx, doc.Type, cfg)
	if err != nil {
		return nd, false, err
	}
	feats := detect.Features(detect.Words(strings.Join(texts, "\n")), tmpl)
	if len(feats) < detect.MinShingles {
		return nd, false, nil
	}
	sig := detect.MinHash(feats)
	return pipeline.NearDupWrite{Version: detect.NearDuplicateVersion, Type: doc.Type, TemplateDocs: docs,
		Signature: sig.Bytes(), Bands: sig.BandHashes(), ClusterID: doc.ID}, true, nil
}

// signAgain signs documents of a type again with its template, and has
// their patterns checked again: they were compared on whole texts.
func (w *Detect) signAgain(ctx context.Context, ids []int64, docType string, tmpl detect.Template, docs int) error {
	for _, id := range ids {
		words, err := w.words(ctx, id)
		if err != nil {
			return err
		}
		sig := detect.MinHash(detect.Features(words, tmpl))
		if err := w.cfg.Store.NearDupReplace(ctx, id, pipeline.NearDupWrite{Version: detect.NearDuplicateVersion, Type: docType,
			TemplateDocs: docs, Signature: sig.Bytes(), Bands: sig.BandHashes()}); err != nil {
			return err
		}
	}
	return w.cfg.Store.PatternsRecheck(ctx, ids)
}

// signAgainIfLearned signs a document signed without a template again
// when its type's template was saved meanwhile (by another worker, after
// this one looked): the worker that learned it signed again only the
// documents committed before it listed them.
func (w *Detect) signAgainIfLearned(ctx context.Context, doc *pipeline.Document) error {
	stored, err := w.cfg.Store.NearDupTemplateGet(ctx, doc.Type)
	if pipeline.ErrorCode(err) == pipeline.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	tmpl := detect.Template{}
	for _, h := range stored.Shingles {
		tmpl[h] = true
	}
	return w.signAgain(ctx, []int64{doc.ID}, doc.Type, tmpl, stored.Documents)
}

// templateCache keeps the types' templates a minute, and a missing one a
// few seconds, so that most documents cost no lookup.
type templateCache struct {
	mu     sync.Mutex
	byType map[string]templateEntry
}

type templateEntry struct {
	tmpl    detect.Template
	docs    int
	fetched time.Time
}

// template returns the type's template and how many documents it was
// learned from, learning it once the type has enough documents.
func (w *Detect) template(ctx context.Context, docType string, cfg detect.Config) (detect.Template, int, error) {
	c := w.templates
	c.mu.Lock()
	e, ok := c.byType[docType]
	c.mu.Unlock()
	if ok && (e.docs > 0 && time.Since(e.fetched) < time.Minute || e.docs == 0 && time.Since(e.fetched) < 5*time.Second) {
		return e.tmpl, e.docs, nil
	}
	e = templateEntry{fetched: time.Now()}
	t, err := w.cfg.Store.NearDupTemplateGet(ctx, docType)
	switch {
	case err == nil:
		e.tmpl, e.docs = detect.Template{}, t.Documents
		for _, h := range t.Shingles {
			e.tmpl[h] = true
		}
	case pipeline.ErrorCode(err) != pipeline.ENOTFOUND:
		return nil, 0, err
	default:
		if e.tmpl, e.docs, err = w.learnTemplate(ctx, docType, cfg); err != nil {
			return nil, 0, err
		}
	}
	c.mu.Lock()
	c.byType[docType] = e
	c.mu.Unlock()
	return e.tmpl, e.docs, nil
}

// learnTemplate builds a type's template from its newest documents once
// there are enough of them, and signs again the documents signed before.
func (w *Detect) learnTemplate(ctx context.Context, docType string, cfg detect.Config) (detect.Template, int, error) {
	ids, err := w.cfg.Store.NearDupSample(ctx, docType, 2*cfg.TemplateMinDocs)
	if err != nil || len(ids) < cfg.TemplateMinDocs {
		return nil, 0, err
	}
	var samples [][]string
	for _, id := range ids {
		words, err := w.words(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		samples = append(samples, words)
	}
	tmpl := detect.BuildTemplate(samples)
	t := pipeline.NearDupTemplate{Type: docType, Documents: len(ids)}
	for h := range tmpl {
		t.Shingles = append(t.Shingles, h)
	}
	if err := w.cfg.Store.NearDupTemplateSave(ctx, t); err != nil {
		return nil, 0, err
	}
	// Another worker may have saved its template first: use the stored one.
	stored, err := w.cfg.Store.NearDupTemplateGet(ctx, docType)
	if err != nil {
		return nil, 0, err
	}
	tmpl = detect.Template{}
	for _, h := range stored.Shingles {
		tmpl[h] = true
	}
	old, err := w.cfg.Store.NearDupUntemplated(ctx, docType)
	if err != nil {
		return nil, 0, err
	}
	if err := w.signAgain(ctx, old, docType, tmpl, stored.Documents); err != nil {
		return nil, 0, err
	}
	w.cfg.Logger.InfoContext(ctx, "Near-duplicate template learned", "type", docType, "documents", stored.Documents, "shingles", len(tmpl), "signed_again", len(old))
	return tmpl, stored.Documents, nil
}

func (w *Detect) words(ctx context.Context, id int64) ([]string, error) {
	pages, err := w.cfg.Store.PageListByDocument(ctx, id)
	if err != nil {
		return nil, err
	}
	texts := make([]string, len(pages))
	for i, p := range pages {
		texts[i] = p.Text
	}
	return detect.Words(strings.Join(texts, "\n")), nil
}
