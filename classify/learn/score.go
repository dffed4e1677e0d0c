package learn

import "slices"

// Score compares predicted labels with the true ones: accuracy and the
// macro-averaged F1 over the true labels (a prediction outside them, such
// as "unclassified", only counts against).
func Score(want, got []string) (accuracy, macroF1 float64) {
	if len(want) == 0 || len(want) != len(got) {
		return 0, 0
	}
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	right := 0
	for i := range want {
		if want[i] == got[i] {
			right++
			tp[want[i]]++
		} else {
			fn[want[i]]++
			fp[got[i]]++
		}
	}
	var labels []string
	for i := range want {
		if !slices.Contains(labels, want[i]) {
			labels = append(labels, want[i])
		}
	}
	for _, l := range labels {
		if tp[l] == 0 {
			continue
		}
		p := float64(tp[l]) / float64(tp[l]+fp[l])
		r := float64(tp[l]) / float64(tp[l]+fn[l])
		macroF1 += 2 * p * r / (p + r)
	}
	return float64(right) / float64(len(want)), macroF1 / float64(len(labels))
}
