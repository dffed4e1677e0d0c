package main

import (
	"runtime/metrics"
	"testing"
)

// startAllocs is what the program had allocated when TestMain began: the
// packages' initialisation, which every hoso process pays (each
// extraction child too).
var startAllocs uint64

func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestStartupMemory: loading hoso's packages costs little memory. An
// Argon2id hash made when package web loaded (64 MiB) was most of the
// peak of `hoso process` on a batch of small files, and of every
// extraction child.
func TestStartupMemory(t *testing.T) {
	if startAllocs > 32<<20 {
		t.Errorf("the packages allocated %d MiB while loading, want under 32 MiB", startAllocs>>20)
	}
	t.Logf("allocated while loading: %.1f MiB", float64(startAllocs)/(1<<20))
}
