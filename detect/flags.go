package detect

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"hoso/pipeline"
)

// Config holds the detectors' thresholds. Zero fields take the defaults.
type Config struct {
	// RecurringMin is how many documents, from at least two batches, must
	// share an identifier before it is flagged. Default 3.
	RecurringMin int
	// RecurringWindow is how far back documents count. Default 180 days.
	RecurringWindow time.Duration
	// RecurringSeverity gives the severity per identifier kind; kinds not
	// listed are not watched. Default: bank accounts high; phones, e-mail
	// and tax codes medium; citizen IDs low (one person files often).
	RecurringSeverity map[string]string
	// NearDuplicateThreshold is the similarity, outside the type's
	// template, from which documents are near duplicates. Default
	// DefaultNearDuplicateThreshold.
	NearDuplicateThreshold float64
	// UntemplatedThreshold applies to a type with too few documents to
	// have learned its template: whole texts are compared, so the bar is
	// higher (two applications on one form score up to 0.85). Default 0.92.
	UntemplatedThreshold float64
	// TemplateMinDocs is how many documents of a type it takes to learn
	// its template. Default 30.
	TemplateMinDocs int
}

// WithDefaults fills in the defaults.
func (c Config) WithDefaults() Config {
	if c.RecurringMin <= 0 {
		c.RecurringMin = 3
	}
	if c.RecurringWindow <= 0 {
		c.RecurringWindow = 180 * 24 * time.Hour
	}
	if c.NearDuplicateThreshold <= 0 {
		c.NearDuplicateThreshold = DefaultNearDuplicateThreshold
	}
	if c.UntemplatedThreshold <= 0 {
		c.UntemplatedThreshold = 0.92
	}
	if c.TemplateMinDocs <= 0 {
		c.TemplateMinDocs = 30
	}
	if c.RecurringSeverity == nil {
		c.RecurringSeverity = map[string]string{
			KindBankAccount: "high", KindIBAN: "high", KindPhone: "medium", KindEmail: "medium", KindTaxCode: "medium", KindCitizenID: "low",
		}
	}
	return c
}

// DocumentRef is a document and its department, for the flags that
// gather documents: each department sees only its own.
type DocumentRef struct {
	ID         int64
	Department string
}

// departmentKey is the key of a department's share of a flag: each
// department's supervisors get the flag with their own evidence, and
// what lies in other departments is neither listed nor counted.
func departmentKey(key, department string) string {
	if department == "" {
		department = pipeline.DepartmentIntake
	}
	return key + "|" + department
}

// ExactDuplicates flags documents with the same original: one flag per
// file and department that holds two copies or more, listing them.
func ExactDuplicates(sha256 string, docs []DocumentRef) []pipeline.FlagUpsert {
	if len(docs) < 2 {
		return nil
	}
	var out []pipeline.FlagUpsert
	for _, dep := range departmentsOf(docs) {
		f := pipeline.FlagUpsert{Kind: pipeline.FlagExactDuplicate, Key: departmentKey(sha256, dep), Severity: "low", Department: dep}
		for _, d := range docs {
			if d.Department == dep {
				f.Evidence = append(f.Evidence, pipeline.FlagEvidence{DocumentID: d.ID, Detail: "SHA-256 " + sha256[:16] + "…"})
			}
		}
		if len(f.Evidence) < 2 {
			continue // one copy here is no duplicate to this department
		}
		f.Title = fmt.Sprintf("The same file was uploaded %d times", len(f.Evidence))
		out = append(out, f)
	}
	return out
}

// ByDepartment splits a flag that gathers documents into one share per
// department of its evidence, each listing only that department's
// documents; a share needs at least min of them. title names a share
// from its count.
func ByDepartment(f pipeline.FlagUpsert, departments map[int64]string, min int, title func(n int) string) []pipeline.FlagUpsert {
	refs := make([]DocumentRef, 0, len(f.Evidence))
	for _, e := range f.Evidence {
		refs = append(refs, DocumentRef{ID: e.DocumentID, Department: departments[e.DocumentID]})
	}
	var out []pipeline.FlagUpsert
	for _, dep := range departmentsOf(refs) {
		share := f
		share.Key, share.Department, share.Evidence = departmentKey(f.Key, dep), dep, nil
		for i, e := range f.Evidence {
			if refs[i].Department == dep {
				share.Evidence = append(share.Evidence, e)
			}
		}
		if len(share.Evidence) < min {
			continue
		}
		share.Title = title(len(share.Evidence))
		out = append(out, share)
	}
	return out
}

// departmentsOf lists the documents' departments in order.
func departmentsOf(docs []DocumentRef) []string {
	var deps []string
	for i := range docs {
		if docs[i].Department == "" {
			docs[i].Department = pipeline.DepartmentIntake
		}
		if !slices.Contains(deps, docs[i].Department) {
			deps = append(deps, docs[i].Department)
		}
	}
	sort.Strings(deps)
	return deps
}

// Recurring flags an identifier found in enough documents from more than
// one batch within the window: one flag per identifier and department,
// listing that department's documents and where in them, and counting
// only those.
func Recurring(kind, value string, occ []pipeline.IdentifierOccurrence, cfg Config) []pipeline.FlagUpsert {
	cfg = cfg.WithDefaults()
	severity, watched := cfg.RecurringSeverity[kind]
	if !watched {
		return nil
	}
	first := map[int64]pipeline.IdentifierOccurrence{}
	batches := map[int64]bool{}
	var refs []DocumentRef
	for _, o := range occ {
		if _, ok := first[o.DocumentID]; !ok {
			first[o.DocumentID] = o
			refs = append(refs, DocumentRef{ID: o.DocumentID, Department: o.Department})
		}
		batches[o.BatchID] = true
	}
	if len(first) < cfg.RecurringMin || len(batches) < 2 {
		return nil
	}
	var out []pipeline.FlagUpsert
	for _, dep := range departmentsOf(refs) {
		f := pipeline.FlagUpsert{Kind: pipeline.FlagRecurringIdentifier, Key: departmentKey(kind+":"+value, dep), Severity: severity, Department: dep}
		var ids []int64
		own := map[int64]bool{}
		for _, r := range refs {
			if r.Department == dep {
				ids = append(ids, r.ID)
				own[first[r.ID].BatchID] = true
			}
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		f.Title = fmt.Sprintf("%s %s appears in %d documents from %d batches", kindName(kind), value, len(ids), len(own))
		for _, id := range ids {
			o := first[id]
			f.Evidence = append(f.Evidence, pipeline.FlagEvidence{DocumentID: id, Detail: fmt.Sprintf("%q on page %d, character %d", o.Raw, o.Page, o.Offset)})
		}
		out = append(out, f)
	}
	return out
}

func kindName(kind string) string {
	switch kind {
	case KindBankAccount:
		return "Bank account"
	case KindIBAN:
		return "IBAN"
	case KindPhone:
		return "Phone number"
	case KindEmail:
		return "E-mail address"
	case KindTaxCode:
		return "Tax code"
	case KindCitizenID:
		return "Citizen ID"
	}
	return kind
}

// NearDuplicateMatch is an earlier document found near-identical.
type NearDuplicateMatch struct {
	DocumentID int64
	ClusterID  int64
	Similarity float64
}

// NearDuplicates flags a document with the earlier ones it nearly
// repeats, as one flag for the whole cluster, and every member of the
// clusters the document joins is evidence. The document joins the
// existing cluster with the lowest number, so a cluster's flag stays the
// one a supervisor may already be reviewing whatever order the documents
// are checked in; only a document that bridges two clusters merges them.
func NearDuplicates(documentID int64, matches []NearDuplicateMatch, members []int64, department string) (pipeline.FlagUpsert, int64) {
	root := matches[0].ClusterID
	for _, m := range matches {
		root = min(root, m.ClusterID)
	}
	best := matches[0]
	for _, m := range matches {
		if m.Similarity > best.Similarity {
			best = m
		}
	}
	detail := map[int64]string{documentID: fmt.Sprintf("similarity %.2f to document %d", best.Similarity, best.DocumentID)}
	for _, m := range matches {
		detail[m.DocumentID] = fmt.Sprintf("similarity %.2f to document %d", m.Similarity, documentID)
	}
	ids := append([]int64{documentID}, members...)
	for _, m := range matches {
		ids = append(ids, m.DocumentID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	f := pipeline.FlagUpsert{Kind: pipeline.FlagNearDuplicate, Key: fmt.Sprintf("cluster:%d", root), Severity: "medium", Department: department}
	for i, id := range ids {
		if i > 0 && id == ids[i-1] {
			continue
		}
		d, ok := detail[id]
		if !ok {
			d = "in the same cluster"
		}
		f.Evidence = append(f.Evidence, pipeline.FlagEvidence{DocumentID: id, Detail: d})
	}
	f.Title = fmt.Sprintf("%d near-identical documents", len(f.Evidence))
	return f, root
}
