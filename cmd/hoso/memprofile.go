package main

import (
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"time"
)

// peakProfiler keeps the heap profile taken when the process's Go memory
// was largest: a profile at the end of a run shows what is left, not
// what drove the peak. It samples the runtime's own figures every
// interval and, on a new peak 5% above the last one, takes a profile
// (after a GC, so the profile is of live objects).
type peakProfiler struct {
	path string
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	profile []byte
	peak    uint64 // Go-managed memory at the profile, bytes
	heap    uint64 // live heap objects after that GC, bytes
}

// startPeakProfiler samples until Stop, which writes the profile to path.
func startPeakProfiler(path string, interval time.Duration) *peakProfiler {
	p := &peakProfiler{path: path, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run(interval)
	return p
}

func (p *peakProfiler) run(interval time.Duration) {
	defer close(p.done)
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		metrics.Read(samples)
		total := samples[0].Value.Uint64()
		if total < 32<<20 || total < p.peak+p.peak/20 {
			continue
		}
		runtime.GC()
		var buf bytes.Buffer
		if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
			continue
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		p.mu.Lock()
		p.profile, p.peak, p.heap = buf.Bytes(), total, ms.HeapAlloc
		p.mu.Unlock()
		// Written at once too: a run stopped by hand keeps its peak.
		_ = os.WriteFile(p.path, buf.Bytes(), 0o600)
	}
}

// Stop ends the sampling and writes the profile of the peak. It returns
// the Go-managed memory at that peak and the live heap after its GC, in
// MB.
func (p *peakProfiler) Stop() (peakMB, liveMB float64, err error) {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.profile == nil {
		var buf bytes.Buffer
		if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
			return 0, 0, err
		}
		p.profile = buf.Bytes()
	}
	return float64(p.peak) / (1 << 20), float64(p.heap) / (1 << 20), os.WriteFile(p.path, p.profile, 0o600)
}
