package main

import "context"

func (m *Main) serve(ctx context.Context, args []string) error  { return usageError{"not yet"} }
func (m *Main) worker(ctx context.Context, args []string) error { return usageError{"not yet"} }
func (m *Main) ingest(ctx context.Context, args []string) error { return usageError{"not yet"} }
func (m *Main) bench(ctx context.Context, args []string) error  { return usageError{"not yet"} }
