package main

import (
	"context"
	"fmt"
	"time"

	"hoso/workers"
)

// volume checks the volumes of the last days now, as the periodic job
// does every ten minutes, flags the spikes and prints them.
func (m *Main) volume(ctx context.Context, args []string) error {
	f := m.newFlags("volume")
	days := f.fs.Int("days", 2, "check this many days, today included")
	rt, _, err := f.open(ctx, args)
	if err != nil {
		return err
	}
	defer rt.Close()
	spikes, err := workers.CheckVolume(ctx, rt.WorkersConfig(nil), time.Now(), *days)
	if err != nil {
		return err
	}
	if len(spikes) == 0 {
		fmt.Fprintf(m.Stdout, "No volume spike in the last %d days.\n", *days)
		return nil
	}
	for _, s := range spikes {
		fmt.Fprintf(m.Stdout, "%s  %-20s %-16s %4d documents (usual %.0f, spike from %.0f)\n", s.Day, s.Type, s.Department, s.Count, s.Median, s.Threshold)
	}
	fmt.Fprintf(m.Stdout, "%d spikes flagged for review.\n", len(spikes))
	return nil
}
