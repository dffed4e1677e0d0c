package main

import (
	"context"
	"fmt"
)

func (m *Main) migrate(ctx context.Context, args []string) error {
	rt, _, err := m.newFlags("migrate").open(ctx, args)
	if err != nil {
		return err
	}
	defer rt.Close()
	fmt.Fprintln(m.Stdout, "The database schema is up to date.")
	return nil
}
