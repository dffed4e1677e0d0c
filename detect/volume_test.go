package detect

import (
	"math/rand/v2"
	"testing"
	"time"

	"hoso/pipeline"
)

// series makes documents of one type in one department: n per day from
// the first day on.
func series(start time.Time, typ, dep string, perDay []int) []pipeline.VolumeDocument {
	var out []pipeline.VolumeDocument
	id := int64(len(perDay) * 1000)
	for i, n := range perDay {
		for j := range n {
			id++
			out = append(out, pipeline.VolumeDocument{ID: id, Type: typ, Department: dep, CreatedAt: start.AddDate(0, 0, i).Add(time.Duration(8+j%9) * time.Hour)})
		}
	}
	return out
}

func TestVolumeSpikes(t *testing.T) {
	loc := time.FixedZone("ICT", 7*3600)
	cfg := VolumeConfig{Location: loc}
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, loc) // a Tuesday
	r := rand.New(rand.NewPCG(5, 6))
	// Ten weeks of complaints: 3 to 7 on working days, none at weekends,
	// a week of holiday with nothing in the middle, then three test days.
	var days []int
	for i := range 70 {
		wd := start.AddDate(0, 0, i).Weekday()
		switch {
		case i >= 35 && i < 42:
			days = append(days, 0) // holiday week
		case wd == time.Saturday || wd == time.Sunday:
			days = append(days, 0)
		default:
			days = append(days, 3+r.IntN(5))
		}
	}
	day := func(i int) string { return start.AddDate(0, 0, i).Format("2006-01-02") }
	busy := append(append([]int{}, days...), 12)             // a busy day: not a spike
	spike := append(append([]int{}, days...), 31)            // a surge: a spike
	afterHoliday := append(append([]int{}, days[:42]...), 9) // the day after the holiday
	for _, tc := range []struct {
		name  string
		days  []int
		want  int
		check string
	}{
		{"busy day", busy, 0, day(70)},
		{"surge", spike, 1, day(70)},
		{"after the holiday", afterHoliday, 0, day(42)},
	} {
		docs := series(start, "complaint", "land", tc.days)
		// Another department's steady flow is judged on its own.
		docs = append(docs, series(start, "complaint", "tax", days)...)
		got := VolumeSpikes(docs, tc.check, tc.check, cfg)
		if len(got) != tc.want {
			t.Errorf("%s: %d spikes %+v, want %d", tc.name, len(got), got, tc.want)
			continue
		}
		if tc.want == 1 {
			s := got[0]
			if s.Department != "land" || s.Count != 31 || s.Day != day(70) || s.Median < 2 || s.Median > 6 {
				t.Errorf("%s: %+v", tc.name, s)
			}
			f := VolumeFlag(s, []int64{1, 2, 3})
			if f.Kind != pipeline.FlagVolumeSpike || f.Key != "complaint:land:"+day(70) || len(f.Evidence) != 3 || f.Severity != "high" {
				t.Errorf("flag %+v", f)
			}
		}
	}
	// A department that rarely gets anything: ten in a day is a spike, but
	// nine is not (the minimum).
	rare := make([]int, 40)
	rare[39] = 9
	if got := VolumeSpikes(series(start, "permit", "police", rare), day(39), day(39), cfg); len(got) != 0 {
		t.Errorf("nine documents on a quiet series: %+v", got)
	}
	rare[39] = 10
	if got := VolumeSpikes(series(start, "permit", "police", rare), day(39), day(39), cfg); len(got) != 1 {
		t.Errorf("ten documents on a quiet series: %+v", got)
	}
	// Days are the office's: 23:30 UTC is the next morning in Vietnam.
	late := []pipeline.VolumeDocument{}
	for i := range 12 {
		late = append(late, pipeline.VolumeDocument{ID: int64(i), Type: "t", Department: "d", CreatedAt: time.Date(2026, 10, 9, 23, 30, 0, 0, time.UTC)})
	}
	if got := VolumeSpikes(late, "2026-10-10", "2026-10-10", cfg); len(got) != 1 {
		t.Errorf("documents uploaded at 23:30 UTC not counted on the next local day: %+v", got)
	}
}
