package pipeline

import "testing"

func TestJobOpts(t *testing.T) {
	for _, args := range []JobArgs{ExtractArgs{}, OCRArgs{}, ClassifyArgs{}, DetectArgs{}, PatternsArgs{}, VolumeArgs{}} {
		o := args.JobOpts()
		if o.Queue == "" {
			t.Errorf("%s: no queue in the insert options", args.Kind())
		}
		if o.MaxAttempts < 0 {
			t.Errorf("%s: MaxAttempts = %d", args.Kind(), o.MaxAttempts)
		}
	}
	if got := (ExtractArgs{}).JobOpts(); got != (JobOpts{Queue: QueueExtract, MaxAttempts: 5}) {
		t.Errorf("ExtractArgs.JobOpts() = %+v", got)
	}
}
