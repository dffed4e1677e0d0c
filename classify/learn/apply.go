package learn

import (
	"fmt"
	"strings"

	"hoso/pipeline"
)

// DefaultThreshold is the probability from which the model's type is
// taken when no rule holds. Chosen from `hoso bench classify --cv 5` on
// the labelled legal documents' train rows (the rows no rule typed): at
// 0.8 the model takes 0.680 of them and 0.933 of those are right, against
// 0.848 right when every guess is taken (0.7: 0.777 taken, 0.915 right;
// 0.9: 0.513, 0.945); below it the document stays unclassified with the
// suggestion shown.
const DefaultThreshold = 0.8

// Apply adds the model's suggestion to a classification by the rules.
// When no rule held and the suggestion reaches the threshold, the
// document takes the suggested type (type_source "model"); below it the
// document stays unclassified and carries the suggestion for a person to
// accept. When a rule held and the model is at least as confident of
// another type, Apply reports the disagreement for a flag. A threshold
// above 1 never takes the model's type.
func Apply(res *pipeline.Classification, s pipeline.Suggestion, threshold float64) (disagree bool) {
	res.Suggestion = &s
	switch {
	case res.Type == pipeline.TypeUnclassified && s.Probability >= threshold:
		res.Type = s.Label
		res.TypeSource = pipeline.SourceModel
		res.TypeConfidence = s.Probability
		res.ModelVersion = s.ModelVersion
		res.Explanation.Summary = fmt.Sprintf("No rule matched; the model (version %d) gives %s with probability %.2f. %s",
			s.ModelVersion, s.Label, s.Probability, Describe(s))
		return false
	case res.Type == pipeline.TypeUnclassified:
		return false
	}
	return s.Label != res.Type && s.Probability >= threshold
}

// Describe says in one sentence which terms weighed for and against a
// suggestion.
func Describe(s pipeline.Suggestion) string {
	terms := func(ws []pipeline.Weight, n int) string {
		var out []string
		for _, w := range ws[:min(n, len(ws))] {
			out = append(out, fmt.Sprintf("%q", w.Term))
		}
		return strings.Join(out, ", ")
	}
	switch {
	case len(s.For) > 0 && len(s.Against) > 0:
		return fmt.Sprintf("For: %s; against: %s.", terms(s.For, 5), terms(s.Against, 3))
	case len(s.For) > 0:
		return fmt.Sprintf("For: %s.", terms(s.For, 5))
	}
	return ""
}

// Disagreement is the flag raised when a rule typed a document and the
// model is confident of another type: one per document. Its evidence
// names the rule and the model's version, probability and terms; the
// document holds both explanations in full. The web pages read the title
// and the detail back in the reader's language: keep their form.
func Disagreement(doc *pipeline.Document, res *pipeline.Classification) pipeline.FlagUpsert {
	s := res.Suggestion
	var terms []string
	for _, w := range s.For[:min(5, len(s.For))] {
		terms = append(terms, fmt.Sprintf("%q", w.Term))
	}
	detail := fmt.Sprintf("rule %q says %s; model version %d says %s (%.2f): %s",
		res.Rule, res.Type, s.ModelVersion, s.Label, s.Probability, strings.Join(terms, ", "))
	return pipeline.FlagUpsert{
		Kind:       pipeline.FlagModelDisagrees,
		Key:        fmt.Sprintf("document:%d", doc.ID),
		Severity:   "low",
		Department: res.Department,
		Title:      fmt.Sprintf("Rule says %s, model says %s", res.Type, s.Label),
		Evidence:   []pipeline.FlagEvidence{{DocumentID: doc.ID, Detail: detail}},
	}
}
