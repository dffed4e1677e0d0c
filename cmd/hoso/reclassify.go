package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"hoso/pipeline"
)

// reclassify runs classification again, with the rule set in force, on
// documents of a type or on all, and what follows it; the workers run
// in-process until every document is done and searchable again.
func (m *Main) reclassify(ctx context.Context, args []string) error {
	f := m.newFlags("reclassify").extraction()
	typ := f.fs.String("type", "", "reclassify the documents of this type (unclassified for those no rule claimed)")
	all := f.fs.Bool("all", false, "reclassify every classified document")
	rt, _, err := f.open(ctx, args)
	if err != nil {
		return err
	}
	defer rt.Close()
	if (*typ == "") == !*all {
		return usageError{"give --type T or --all"}
	}
	if err := rt.OpenIndex(); err != nil {
		return err
	}
	before := map[int64]string{}
	ids, err := rt.Store.DocumentReclassify(ctx, pipeline.DocumentReclassifyParams{Type: *typ, All: *all})
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		fmt.Fprintln(m.Stdout, "No document to reclassify.")
		return nil
	}
	if err := cliAudit(ctx, rt.Store, pipeline.AuditClassification, "rules:apply", map[string]any{"documents": len(ids), "type": *typ}); err != nil {
		return err
	}
	for _, id := range ids {
		if d, err := rt.Store.DocumentGetByID(ctx, id); err == nil {
			before[id] = d.Type
		}
	}
	fmt.Fprintf(m.Stderr, "Reclassifying %d documents\n", len(ids))
	q, err := rt.StartWorkers(ctx)
	if err != nil {
		return err
	}
	waitErr := m.waitDocuments(ctx, rt.Store, ids)
	stopQueue(ctx, q)
	if waitErr != nil {
		return waitErr
	}
	if err := rt.Indexer().DrainCommitted(ctx); err != nil {
		return err
	}
	return m.reclassifyReport(ctx, rt.Store, ids, before)
}

// waitDocuments waits until every document of ids has reached a final
// state, saying every second how many have.
func (m *Main) waitDocuments(ctx context.Context, st pipeline.Store, ids []int64) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		left := 0
		for _, id := range ids {
			d, err := st.DocumentGetByID(ctx, id)
			if err != nil {
				return err
			}
			if !d.State.Terminal() {
				left++
			}
		}
		if left == 0 {
			return nil
		}
		fmt.Fprintf(m.Stderr, "  %d of %d done\n", len(ids)-left, len(ids))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// reclassifyReport audits each document whose type changed and prints
// how many moved from which type to which.
func (m *Main) reclassifyReport(ctx context.Context, st pipeline.Store, ids []int64, before map[int64]string) error {
	moves := map[string]int{}
	for _, id := range ids {
		d, err := st.DocumentGetByID(ctx, id)
		if err != nil {
			return err
		}
		if before[id] != d.Type {
			moves[fmt.Sprintf("%s → %s", before[id], d.Type)]++
			if err := cliAudit(ctx, st, pipeline.AuditClassification, "document:"+fmt.Sprint(id),
				map[string]any{"from": before[id], "to": d.Type, "rule": ruleOf(d)}); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(m.Stdout, "Reclassified %d documents; %d changed type\n", len(ids), sumValues(moves))
	var keys []string
	for k := range moves {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(m.Stdout, "  %-40s %d\n", k, moves[k])
	}
	return nil
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func ruleOf(d *pipeline.Document) string {
	if d.Classification == nil {
		return ""
	}
	return d.Classification.Rule
}
