package detect

import (
	"fmt"
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
}

// WithDefaults fills in the defaults.
func (c Config) WithDefaults() Config {
	if c.RecurringMin <= 0 {
		c.RecurringMin = 3
	}
	if c.RecurringWindow <= 0 {
		c.RecurringWindow = 180 * 24 * time.Hour
	}
	if c.RecurringSeverity == nil {
		c.RecurringSeverity = map[string]string{
			KindBankAccount: "high", KindIBAN: "high", KindPhone: "medium", KindEmail: "medium", KindTaxCode: "medium", KindCitizenID: "low",
		}
	}
	return c
}

// ExactDuplicates flags documents with the same original: one flag per
// file, listing every copy.
func ExactDuplicates(sha256 string, documentIDs []int64, department string) (pipeline.FlagUpsert, bool) {
	if len(documentIDs) < 2 {
		return pipeline.FlagUpsert{}, false
	}
	f := pipeline.FlagUpsert{
		Kind: pipeline.FlagExactDuplicate, Key: sha256, Severity: "low", Department: department,
		Title: fmt.Sprintf("The same file was uploaded %d times", len(documentIDs)),
	}
	for _, id := range documentIDs {
		f.Evidence = append(f.Evidence, pipeline.FlagEvidence{DocumentID: id, Detail: "SHA-256 " + sha256[:16] + "…"})
	}
	return f, true
}

// Recurring flags an identifier found in enough documents from more than
// one batch within the window: one flag per identifier, listing each
// document and where in it.
func Recurring(kind, value string, occ []pipeline.IdentifierOccurrence, department string, cfg Config) (pipeline.FlagUpsert, bool) {
	cfg = cfg.WithDefaults()
	severity, watched := cfg.RecurringSeverity[kind]
	if !watched {
		return pipeline.FlagUpsert{}, false
	}
	first := map[int64]pipeline.IdentifierOccurrence{}
	batches := map[int64]bool{}
	for _, o := range occ {
		if _, ok := first[o.DocumentID]; !ok {
			first[o.DocumentID] = o
		}
		batches[o.BatchID] = true
	}
	if len(first) < cfg.RecurringMin || len(batches) < 2 {
		return pipeline.FlagUpsert{}, false
	}
	f := pipeline.FlagUpsert{
		Kind: pipeline.FlagRecurringIdentifier, Key: kind + ":" + value, Severity: severity, Department: department,
		Title: fmt.Sprintf("%s %s appears in %d documents from %d batches", kindName(kind), value, len(first), len(batches)),
	}
	ids := make([]int64, 0, len(first))
	for id := range first {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		o := first[id]
		f.Evidence = append(f.Evidence, pipeline.FlagEvidence{DocumentID: id, Detail: fmt.Sprintf("%q on page %d, character %d", o.Raw, o.Page, o.Offset)})
	}
	return f, true
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
