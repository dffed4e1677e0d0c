package stats

import (
	"slices"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		in := slices.Clone(c.xs)
		if got := Median(c.xs); got != c.want || !slices.Equal(in, c.xs) {
			t.Errorf("Median(%v) = %v, want %v (input left as it was)", in, got, c.want)
		}
	}
}

func TestQuantile(t *testing.T) {
	xs := []time.Duration{9, 1, 8, 2, 7, 3, 6, 4, 5, 10}
	for p, want := range map[float64]time.Duration{0: 1, 0.5: 6, 0.95: 10, 0.99: 10, 1: 10} {
		if got := Quantile(xs, p); got != want {
			t.Errorf("Quantile(%v) = %v, want %v", p, got, want)
		}
	}
	if xs[0] != 9 {
		t.Error("Quantile sorted its input")
	}
}
