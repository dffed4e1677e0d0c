package main

import (
	"context"
	"fmt"
)

func (m *Main) migrate(ctx context.Context, args []string) error {
	f := m.newFlags("migrate")
	if _, err := f.parse(args); err != nil {
		return err
	}
	rt, err := OpenRuntime(ctx, f.cfg)
	if err != nil {
		return err
	}
	defer rt.Close()
	fmt.Fprintln(m.Stdout, "The database schema is up to date.")
	return nil
}
