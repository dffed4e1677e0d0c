// Package stats holds the order statistics hoso reports and decides by:
// the median of a volume baseline, the percentiles and medians of the
// benchmarks.
package stats

import (
	"cmp"
	"slices"
)

// Median returns the middle of xs (the mean of the two middle values
// when their count is even), 0 for none. xs is not changed.
func Median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Quantile returns the value at fraction p of xs in order (nearest rank,
// p in [0, 1]); xs must not be empty and is not changed.
func Quantile[T cmp.Ordered](xs []T, p float64) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}
