package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"hoso/classify/learn"
	"hoso/pipeline"
)

// model trains the learned type model on demand and lists its versions.
func (m *Main) model(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"model needs a subcommand: train, list"}
	}
	switch args[0] {
	case "train":
		return m.modelTrain(ctx, args[1:])
	case "list":
		return m.modelList(ctx, args[1:])
	}
	return usageError{fmt.Sprintf("unknown model subcommand %q (train, list)", args[0])}
}

// modelTrain trains a model from every document a rule or a person typed
// and stores it as the next version, which the workers take within
// seconds.
func (m *Main) modelTrain(ctx context.Context, args []string) error {
	f := m.newFlags("model train")
	dep := f.fs.Bool("department", false, "train the department model instead of the type model")
	asJSON := f.fs.Bool("json", false, "print the new version as JSON")
	rt, _, err := f.open(ctx, args)
	if err != nil {
		return err
	}
	defer rt.Close()
	cfg := learn.ArchiveConfig{Kind: pipeline.ModelKindType}
	if *dep {
		cfg.Kind = pipeline.ModelKindDepartment
	}
	start := time.Now()
	cfg.Loaded = func(n int) { fmt.Fprintf(m.Stderr, "\rReading decisions: %d documents", n) }
	cfg.Progress = func(epoch, epochs int) {
		if epoch == 1 {
			fmt.Fprintln(m.Stderr)
		}
		fmt.Fprintf(m.Stderr, "\rTraining: pass %d of %d", epoch, epochs)
	}
	v, err := learn.TrainArchive(ctx, rt.Store, cfg)
	fmt.Fprintln(m.Stderr)
	if err != nil {
		return err
	}
	if err := cliAudit(ctx, rt.Store, pipeline.AuditClassification, fmt.Sprintf("model:%d", v.Version),
		map[string]any{"kind": v.Kind, "documents": v.Documents}); err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(m.Stdout).Encode(v)
	}
	fmt.Fprintf(m.Stdout, "Model version %d (%s) trained on %d documents in %.1fs: %s\n",
		v.Version, v.Kind, v.Documents, time.Since(start).Seconds(), describeLabels(v.Labels))
	return nil
}

func describeLabels(labels map[string]int) string {
	var keys []string
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return labels[keys[i]] > labels[keys[j]] || (labels[keys[i]] == labels[keys[j]] && keys[i] < keys[j])
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, labels[k]))
	}
	return strings.Join(parts, ", ")
}

func (m *Main) modelList(ctx context.Context, args []string) error {
	f := m.newFlags("model list")
	asJSON := f.fs.Bool("json", false, "print the versions as JSON")
	rt, _, err := f.open(ctx, args)
	if err != nil {
		return err
	}
	defer rt.Close()
	list, err := rt.Store.ModelList(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(m.Stdout).Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(m.Stdout, "No model has been trained yet (hoso model train).")
	}
	active := map[string]bool{}
	for _, v := range list {
		mark := ""
		if !active[v.Kind] {
			active[v.Kind], mark = true, " (in force)"
		}
		fmt.Fprintf(m.Stdout, "%4d  %-10s  %s  %6d documents%s\n", v.Version, v.Kind, v.CreatedAt.Format(time.DateTime), v.Documents, mark)
	}
	return nil
}

func envFloat(s string, def float64) float64 {
	if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
		return f
	}
	return def
}
