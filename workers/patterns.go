package workers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"hoso/detect"
	"hoso/pipeline"
)

// What a document shares with others — the same file, an identifier
// recurring across batches, a near-identical text — is checked after its
// detection has committed, by a sweep over the documents marked pending.
// One sweep runs at a time in a process, so two related documents detected
// at the same moment still see each other; a periodic job sweeps what a
// stopped process left.

// Patterns works PatternsArgs: a sweep of the pending documents.
type Patterns struct {
	river.WorkerDefaults[pipeline.PatternsArgs]
	cfg     Config
	sweeper *sweeper
}

// Work sweeps.
func (w *Patterns) Work(ctx context.Context, job *river.Job[pipeline.PatternsArgs]) error {
	w.sweeper.kick(ctx, w.cfg)
	return w.sweeper.lastErr()
}

// PeriodicPatterns is the periodic job that sweeps leftovers.
func PeriodicPatterns() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) {
		return pipeline.PatternsArgs{}, insertOpts(pipeline.PatternsArgs{})
	}, &river.PeriodicJobOpts{RunOnStart: true})
}

// sweeper runs one sweep at a time; a kick during a sweep makes it go
// round again instead of starting another.
type sweeper struct {
	mu      sync.Mutex
	running bool
	again   bool
	err     error
	sigs    *signatureCache
}

func (s *sweeper) kick(ctx context.Context, cfg Config) {
	s.mu.Lock()
	if s.running {
		s.again = true
		s.mu.Unlock()
		return
	}
	s.running = true
	s.mu.Unlock()
	if s.sigs == nil {
		s.sigs = &signatureCache{}
	}
	for {
		err := sweep(ctx, cfg, s.sigs)
		if err != nil {
			cfg.Logger.ErrorContext(ctx, "Pattern sweep failed", "error", err)
		}
		s.mu.Lock()
		s.err = err
		if !s.again || err != nil {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.again = false
		s.mu.Unlock()
	}
}

func (s *sweeper) lastErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// SweepPatterns checks every pending document's cross-document patterns
// and stores the flags, until none is pending.
func SweepPatterns(ctx context.Context, cfg Config) error {
	return sweep(ctx, cfg, &signatureCache{})
}

func sweep(ctx context.Context, cfg Config, sigs *signatureCache) error {
	cfg.Detect = cfg.Detect.WithDefaults()
	for {
		ids, err := cfg.Store.PatternsPending(ctx, 200)
		if err != nil || len(ids) == 0 {
			return err
		}
		for _, id := range ids {
			if err := checkPatterns(ctx, cfg, sigs, id); err != nil {
				return err
			}
		}
	}
}

// signatureCache keeps signatures the sweep has read: they do not change
// (but for the one time a type learns its template, which the template
// size tells), so a document's bucket-mates cost no database read the
// second time. It forgets everything at a million entries (512 MB).
type signatureCache struct {
	byID map[int64]cachedSignature
}

type cachedSignature struct {
	sig          detect.Signature
	sha256       string
	docType      string
	version      int
	templateDocs int
}

func (c *signatureCache) get(ctx context.Context, st patternsStore, ids []int64, templateDocs int) (map[int64]cachedSignature, error) {
	if c.byID == nil || len(c.byID) > 1_000_000 {
		c.byID = map[int64]cachedSignature{}
	}
	out := make(map[int64]cachedSignature, len(ids))
	var missing []int64
	for _, id := range ids {
		if e, ok := c.byID[id]; ok && e.templateDocs == templateDocs {
			out[id] = e
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	list, err := st.NearDupSignatures(ctx, missing)
	if err != nil {
		return nil, err
	}
	for _, s := range list {
		sig, ok := detect.SignatureFromBytes(s.Signature)
		if !ok {
			continue
		}
		e := cachedSignature{sig: sig, sha256: s.SHA256, docType: s.Type, version: s.Version, templateDocs: s.TemplateDocs}
		c.byID[s.DocumentID], out[s.DocumentID] = e, e
	}
	return out, nil
}

func checkPatterns(ctx context.Context, cfg Config, sigs *signatureCache, id int64) error {
	doc, err := cfg.Store.DocumentGetByID(ctx, id)
	if err != nil {
		return err
	}
	p := pipeline.PatternsCompleteParams{DocumentID: id}
	same, err := cfg.Store.DocumentIDsBySHA256(ctx, doc.SHA256)
	if err != nil {
		return err
	}
	if len(same) > 1 {
		refs := make([]detect.DocumentRef, 0, len(same))
		for _, sid := range same {
			d, err := cfg.Store.DocumentGetByID(ctx, sid)
			if err != nil {
				return err
			}
			refs = append(refs, detect.DocumentRef{ID: d.ID, Department: d.Department})
		}
		p.Flags = append(p.Flags, detect.ExactDuplicates(doc.SHA256, refs)...)
	}
	ids, err := cfg.Store.IdentifierListByDocument(ctx, id)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, ident := range ids {
		key := ident.Kind + ":" + ident.Value
		if _, watched := cfg.Detect.RecurringSeverity[ident.Kind]; !watched || seen[key] {
			continue
		}
		seen[key] = true
		occ, err := cfg.Store.IdentifierOccurrences(ctx, ident.Kind, ident.Value, time.Now().Add(-cfg.Detect.RecurringWindow))
		if err != nil {
			return err
		}
		p.Flags = append(p.Flags, detect.Recurring(ident.Kind, ident.Value, occ, cfg.Detect)...)
	}
	if err := nearDuplicates(ctx, cfg, sigs, doc, &p); err != nil {
		return err
	}
	_, err = cfg.Store.PatternsComplete(ctx, p)
	return err
}

// nearDuplicates looks up the earlier documents of the type that share an
// LSH bucket; those similar enough join the document in one cluster,
// flagged once.
func nearDuplicates(ctx context.Context, cfg Config, sigs *signatureCache, doc *pipeline.Document, p *pipeline.PatternsCompleteParams) error {
	own, err := cfg.Store.NearDupSignatureGet(ctx, doc.ID)
	if pipeline.ErrorCode(err) == pipeline.ENOTFOUND {
		return nil // too short to compare
	} else if err != nil {
		return err
	}
	sims, err := similarEarlier(ctx, cfg, sigs, doc, own)
	if err != nil || len(sims) == 0 {
		return err
	}
	matched := slices.Sorted(maps.Keys(sims))
	// Clusters change as documents join them: read them now.
	current, err := cfg.Store.NearDupSignatures(ctx, matched)
	if err != nil {
		return err
	}
	var matches []detect.NearDuplicateMatch
	clusters := map[int64]bool{own.ClusterID: true}
	for _, c := range current {
		matches = append(matches, detect.NearDuplicateMatch{DocumentID: c.DocumentID, ClusterID: c.ClusterID, Similarity: sims[c.DocumentID]})
		clusters[c.ClusterID] = true
	}
	cl := slices.Collect(maps.Keys(clusters))
	members, err := cfg.Store.NearDupClusterMembers(ctx, cl)
	if err != nil {
		return err
	}
	flag, root := detect.NearDuplicates(doc.ID, matches, members, doc.Department)
	// Each department sees its own share of the cluster.
	deps := map[int64]string{}
	for _, e := range flag.Evidence {
		d, err := cfg.Store.DocumentGetByID(ctx, e.DocumentID)
		if err != nil {
			return err
		}
		deps[d.ID] = d.Department
	}
	p.Flags = append(p.Flags, detect.ByDepartment(flag, deps, 2, func(n int) string { return fmt.Sprintf("%d near-identical documents", n) })...)
	p.ClusterID, p.Merge = root, cl
	return nil
}

// similarEarlier returns the earlier documents of the document's type and
// signature version that share an LSH bucket with it and are similar
// enough, with their similarity; the same file (an exact duplicate,
// flagged as such) is not among them.
func similarEarlier(ctx context.Context, cfg Config, sigs *signatureCache, doc *pipeline.Document, own *pipeline.NearDupWrite) (map[int64]float64, error) {
	sig, ok := detect.SignatureFromBytes(own.Signature)
	if !ok || own.Version != detect.NearDuplicateVersion {
		return nil, nil
	}
	ids, err := cfg.Store.NearDupCandidateIDs(ctx, sig.BandHashes(), doc.ID)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	cands, err := sigs.get(ctx, cfg.Store, ids, own.TemplateDocs)
	if err != nil {
		return nil, err
	}
	threshold := cfg.Detect.NearDuplicateThreshold
	if own.TemplateDocs == 0 {
		threshold = cfg.Detect.UntemplatedThreshold
	}
	sims := map[int64]float64{}
	for _, id := range ids {
		c, ok := cands[id]
		if !ok || c.docType != own.Type || c.version != own.Version || c.sha256 == doc.SHA256 {
			continue
		}
		if s := detect.Similarity(&sig, &c.sig); s >= threshold {
			sims[id] = s
		}
	}
	return sims, nil
}

// Volume works VolumeArgs: it flags the spikes of yesterday and today.
type Volume struct {
	river.WorkerDefaults[pipeline.VolumeArgs]
	cfg Config
}

// Work checks the volumes.
func (w *Volume) Work(ctx context.Context, job *river.Job[pipeline.VolumeArgs]) error {
	_, err := CheckVolume(ctx, w.cfg, time.Now(), 2)
	return err
}

// PeriodicVolume is the job that watches volumes every ten minutes.
func PeriodicVolume() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(10*time.Minute), func() (river.JobArgs, *river.InsertOpts) {
		return pipeline.VolumeArgs{}, insertOpts(pipeline.VolumeArgs{})
	}, &river.PeriodicJobOpts{RunOnStart: true})
}

// maxVolumeEvidence caps the documents a spike's flag lists.
const maxVolumeEvidence = 500

// CheckVolume flags the spikes of the last days (today included) and
// returns them.
func CheckVolume(ctx context.Context, cfg Config, now time.Time, days int) ([]detect.Spike, error) {
	vc := cfg.Volume.WithDefaults()
	days = max(days, 1)
	today := now.In(vc.Location)
	first := today.AddDate(0, 0, 1-days)
	y, m, d := first.Date()
	since := time.Date(y, m, d, 0, 0, 0, 0, vc.Location).AddDate(0, 0, -vc.Baseline)
	docs, err := cfg.Store.VolumeDocuments(ctx, since)
	if err != nil {
		return nil, err
	}
	spikes := detect.VolumeSpikes(docs, first.Format("2006-01-02"), today.Format("2006-01-02"), vc)
	var flags []pipeline.FlagUpsert
	for _, s := range spikes {
		var ids []int64
		for _, doc := range docs {
			if doc.Type == s.Type && doc.Department == s.Department && doc.CreatedAt.In(vc.Location).Format("2006-01-02") == s.Day {
				ids = append(ids, doc.ID)
				if len(ids) == maxVolumeEvidence {
					break
				}
			}
		}
		flags = append(flags, detect.VolumeFlag(s, ids))
	}
	if len(flags) > 0 {
		if err := cfg.Store.FlagsUpsert(ctx, flags); err != nil {
			return nil, err
		}
	}
	return spikes, nil
}
