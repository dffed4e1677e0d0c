package detect

import (
	"fmt"
	"math"
	"slices"
	"time"

	"hoso/internal/stats"
	"hoso/pipeline"
)

// Volume anomalies: documents per type and department per day, against a
// trailing baseline. The baseline is the median of the days before and
// its spread the median absolute deviation, so a holiday with nothing or
// one earlier rush does not move it; a day is a spike when it stands many
// spreads above the median and well above it in absolute numbers too.

// VolumeConfig holds the spike thresholds. Zero fields take the defaults.
type VolumeConfig struct {
	// Baseline is how many days before the day make its baseline.
	// Default 28.
	Baseline int
	// Spreads is how many robust standard deviations (1.4826 × MAD) above
	// the median make a spike. Default 4.
	Spreads float64
	// Factor is how many times the median a spike must also reach.
	// Default 2.
	Factor float64
	// Min is the fewest documents a spike day holds. Default 10.
	Min int
	// Location is the office's time zone, where days begin. Default
	// Asia/Ho_Chi_Minh.
	Location *time.Location
}

// WithDefaults fills in the defaults.
func (c VolumeConfig) WithDefaults() VolumeConfig {
	if c.Baseline <= 0 {
		c.Baseline = 28
	}
	if c.Spreads <= 0 {
		c.Spreads = 4
	}
	if c.Factor <= 0 {
		c.Factor = 2
	}
	if c.Min <= 0 {
		c.Min = 10
	}
	if c.Location == nil {
		loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
		if err != nil {
			loc = time.FixedZone("ICT", 7*3600)
		}
		c.Location = loc
	}
	return c
}

// VolumeKey names a series: one document type in one department.
type VolumeKey struct {
	Type, Department string
}

// Spike is a day that stands out from its baseline.
type Spike struct {
	VolumeKey
	Day       string // yyyy-mm-dd in the office's time zone
	Count     int
	Median    float64
	Spread    float64 // 1.4826 × MAD
	Threshold float64
}

// VolumeSpikes counts the documents (by upload time) per series and day
// and returns the spikes among the days from `from` to `to` (inclusive,
// yyyy-mm-dd): each judged against the Baseline days before it.
func VolumeSpikes(docs []pipeline.VolumeDocument, from, to string, cfg VolumeConfig) []Spike {
	cfg = cfg.WithDefaults()
	counts := map[VolumeKey]map[string]int{}
	for _, d := range docs {
		k := VolumeKey{d.Type, d.Department}
		if counts[k] == nil {
			counts[k] = map[string]int{}
		}
		counts[k][d.CreatedAt.In(cfg.Location).Format("2006-01-02")]++
	}
	first, err1 := time.ParseInLocation("2006-01-02", from, cfg.Location)
	last, err2 := time.ParseInLocation("2006-01-02", to, cfg.Location)
	if err1 != nil || err2 != nil {
		return nil
	}
	var out []Spike
	for k, byDay := range counts {
		for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
			d := day.Format("2006-01-02")
			n := byDay[d]
			if n < cfg.Min {
				continue
			}
			base := make([]float64, cfg.Baseline)
			for i := range cfg.Baseline {
				base[i] = float64(byDay[day.AddDate(0, 0, -1-i).Format("2006-01-02")])
			}
			med := stats.Median(base)
			dev := make([]float64, len(base))
			for i, v := range base {
				dev[i] = math.Abs(v - med)
			}
			spread := 1.4826 * stats.Median(dev)
			// A series that is almost always empty has no spread; the
			// square root of the median (Poisson) and one document are the
			// least it is given.
			spread = max(spread, math.Sqrt(med), 1)
			threshold := max(med+cfg.Spreads*spread, cfg.Factor*med, float64(cfg.Min))
			if float64(n) >= threshold {
				out = append(out, Spike{VolumeKey: k, Day: d, Count: n, Median: med, Spread: spread, Threshold: threshold})
			}
		}
	}
	slices.SortFunc(out, func(a, b Spike) int {
		if a.Day != b.Day {
			if a.Day < b.Day {
				return -1
			}
			return 1
		}
		if a.Type != b.Type {
			if a.Type < b.Type {
				return -1
			}
			return 1
		}
		if a.Department < b.Department {
			return -1
		}
		return 1
	})
	return out
}

// VolumeFlag is the flag of a spike, with the day's documents as evidence.
func VolumeFlag(s Spike, documentIDs []int64) pipeline.FlagUpsert {
	severity := "medium"
	if float64(s.Count) >= 2*s.Threshold {
		severity = "high"
	}
	f := pipeline.FlagUpsert{
		Kind: pipeline.FlagVolumeSpike, Key: fmt.Sprintf("%s:%s:%s", s.Type, s.Department, s.Day), Severity: severity, Department: s.Department,
		Title: fmt.Sprintf("%d %s documents in %s on %s, against a usual %.0f a day (spike from %.0f)", s.Count, s.Type, s.Department, s.Day, s.Median, math.Ceil(s.Threshold)),
	}
	for _, id := range documentIDs {
		f.Evidence = append(f.Evidence, pipeline.FlagEvidence{DocumentID: id, Detail: fmt.Sprintf("uploaded on %s", s.Day)})
	}
	return f
}
