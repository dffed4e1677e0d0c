package main

import (
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseQueues(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string // the queues worked
		bad  bool
	}{
		{in: "", want: []string{"classify", "default", "detect", "extract", "ocr"}},
		{in: "ocr", want: []string{"ocr"}},
		{in: "extract, classify,detect,extract", want: []string{"classify", "detect", "extract"}},
		{in: "ocr,index", bad: true},
	} {
		q, err := parseQueues(tt.in)
		if (err != nil) != tt.bad {
			t.Errorf("parseQueues(%q) error %v, want error %v", tt.in, err, tt.bad)
			continue
		}
		if tt.bad {
			continue
		}
		var got []string
		for name, c := range workQueues(q, 2, 1, 8) {
			if c.MaxWorkers <= 0 {
				t.Errorf("queue %s of %q has %d workers", name, tt.in, c.MaxWorkers)
			}
			got = append(got, name)
		}
		sort.Strings(got)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("queues worked for %q (-want +got):\n%s", tt.in, diff)
		}
		if slices.Contains(q, "ocr") && workQueues(q, 2, 3, 8)["ocr"].MaxWorkers != 3 {
			t.Errorf("ocr workers are not the OCR children")
		}
	}
}
