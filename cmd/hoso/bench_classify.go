package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"hoso/classify"
	"hoso/classify/learn"
	"hoso/pipeline"
)

// labelledRow is a row of the labelled legal documents.
type labelledRow struct {
	id, text, label, issuer string
}

func readLabelled(path string) ([]labelledRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(rows) < 2 || len(rows[0]) < 5 || rows[0][0] != "id" || rows[0][1] != "text" || rows[0][2] != "type_level1" || rows[0][4] != "ministry" {
		return nil, fmt.Errorf("%s: not the labelled legal documents (columns id,text,type_level1,domain_level2,ministry,…)", path)
	}
	out := make([]labelledRow, 0, len(rows)-1)
	for _, row := range rows[1:] {
		out = append(out, labelledRow{id: row[0], text: row[1], label: row[2], issuer: row[4]})
	}
	return out, nil
}

// withHeader is the row as an office receives it: the issuer and the
// number above the text.
func (r labelledRow) withHeader() string {
	return r.issuer + "\nSố: " + r.id + "\n\n" + r.text
}

// benchClassify measures the learned model as an office would live it:
// the rules (a file in testdata) type the train rows with their header
// rebuilt; the model learns from those rule decisions only; the
// validation rows, bare, go through the rules and the model as the
// classify worker does. The same again with a model trained on the true
// labels, for comparison.
func (m *Main) benchClassify(ctx context.Context, args []string) error {
	f := m.newFlags("bench classify")
	dir := f.fs.String("corpus", filepath.Join("..", "shared", "corpus", "labelled", "vilegal"), "folder with train.csv and validation.csv")
	rulesPath := f.fs.String("rules", filepath.Join("cmd", "hoso", "testdata", "vilegal-rules.yaml"), "rule file for the legal document kinds")
	threshold := f.fs.Float64("threshold", learn.DefaultThreshold, "probability from which the model's type is taken")
	var cfg learn.Config
	f.fs.IntVar(&cfg.Epochs, "epochs", learn.DefaultEpochs, "passes over the training documents")
	f.fs.Float64Var(&cfg.L2, "l2", learn.DefaultL2, "regularization strength")
	folds := f.fs.Int("cv", 0, "also cross-validate on the train rows only, in this many folds (the way the learner's settings are chosen)")
	cvOnly := f.fs.Bool("cv-only", false, "cross-validate only: read neither the validation rows nor time the training")
	if _, err := f.parse(args); err != nil {
		return err
	}
	src, err := os.ReadFile(*rulesPath)
	if err != nil {
		return err
	}
	rules, err := classify.Parse(src)
	if err != nil {
		return fmt.Errorf("%s: %w", *rulesPath, err)
	}
	train, err := readLabelled(filepath.Join(*dir, "train.csv"))
	if err != nil {
		return err
	}
	if *cvOnly {
		return benchCrossValidate(m.Stdout, rules, train, max(*folds, 2), cfg)
	}
	val, err := readLabelled(filepath.Join(*dir, "validation.csv"))
	if err != nil {
		return err
	}
	label := func(typ string) string {
		if typ == pipeline.TypeUnclassified {
			return typ
		}
		return rules.TypeName(typ, "vi")
	}
	out := m.Stdout
	sets := ruleTaught(out, rules, train, label)
	if err := benchModels(out, rules, sets, val, label, *threshold, cfg); err != nil {
		return err
	}
	if *folds > 1 {
		if err := benchCrossValidate(out, rules, train, *folds, cfg); err != nil {
			return err
		}
	}
	// Training time on 10,000 documents: the train rows over again.
	var tenK []learn.Example
	for i := range 10000 {
		tenK = append(tenK, sets.fromLabels[i%len(sets.fromLabels)])
	}
	start := time.Now()
	if _, err := learn.Train(tenK, cfg); err != nil {
		return err
	}
	fmt.Fprintf(out, "\ntraining on 10,000 documents: %.2fs\n", time.Since(start).Seconds())
	return nil
}

// benchModels trains a model on each training set (steps 2 and 3: the
// rules' decisions, then with people's, then the labels) and measures it
// on the bare validation rows.
func benchModels(out io.Writer, rules *classify.RuleSet, sets trainingSets, val []labelledRow, label func(string) string, threshold float64, cfg learn.Config) error {
	// 2. and 3. for a model trained on the rules' decisions, then on the labels.
	for _, run := range []struct {
		name string
		ex   []learn.Example
	}{
		{"rule decisions", sets.fromRules},
		{fmt.Sprintf("rule decisions and people's (the %d rows no rule claimed, typed by a person)", len(sets.fromLabels)-len(sets.fromRules)), sets.withPeople},
		{"true labels", sets.fromLabels},
	} {
		start := time.Now()
		model, err := learn.Train(run.ex, cfg)
		if err != nil {
			return err
		}
		trainTime := time.Since(start)
		fmt.Fprintf(out, "\nmodel trained on %s: %d documents, %d terms, %.2fs\n", run.name, len(run.ex), len(model.Terms), trainTime.Seconds())
		benchValidation(out, rules, model, val, label, threshold)
	}
	return nil
}

// trainingSets are the train rows as three offices would teach a model:
// by the rules' decisions only, by the rules and a person for the rows no
// rule claimed, and by the true labels.
type trainingSets struct {
	fromRules, withPeople, fromLabels []learn.Example
}

// ruleTaught runs the rules over the train rows, header and all (step 1
// of the benchmark), prints how well they type them, and returns the
// training sets.
func ruleTaught(out io.Writer, rules *classify.RuleSet, train []labelledRow, label func(string) string) trainingSets {
	typeOf := map[string]string{}
	for _, t := range rules.Types {
		typeOf[t.NameVI] = t.ID
	}
	var sets trainingSets
	var want, got []string
	for _, r := range train {
		res := rules.Classify(classify.Document{Pages: []string{r.withHeader()}})
		want, got = append(want, r.label), append(got, label(res.Type))
		truth := learn.Example{Text: r.withHeader(), Label: typeOf[r.label]}
		if res.Type != pipeline.TypeUnclassified {
			sets.fromRules = append(sets.fromRules, learn.Example{Text: r.withHeader(), Label: res.Type})
			sets.withPeople = append(sets.withPeople, learn.Example{Text: r.withHeader(), Label: res.Type})
		} else {
			sets.withPeople = append(sets.withPeople, truth) // a person typed what no rule claimed
		}
		sets.fromLabels = append(sets.fromLabels, truth)
	}
	acc, f1 := learn.Score(want, got)
	fmt.Fprintf(out, "train rows with header: %d; the rules typed %d (accuracy %.3f, macro-F1 %.3f against the labels)\n", len(train), len(sets.fromRules), acc, f1)
	return sets
}

// benchValidation classifies the bare validation rows with the rules and
// the model, as the classify worker does, and prints the figures.
func benchValidation(out io.Writer, rules *classify.RuleSet, model *learn.Model, val []labelledRow, label func(string) string, threshold float64) {
	named := map[string]bool{}
	for _, r := range rules.Rules {
		named[label(r.Type)] = true
	}
	var want, final, suggested []string
	typed, byModel, suggestions, none := 0, 0, 0, 0
	var ruleTime, modelTime time.Duration
	probs := make([]float64, len(val))
	labels := make([]string, len(val))
	for i, r := range val {
		start := time.Now()
		res := rules.Classify(classify.Document{Pages: []string{r.text}})
		ruleTime += time.Since(start)
		start = time.Now()
		s := model.Suggest(r.text)
		learn.Apply(&res, s, threshold)
		modelTime += time.Since(start)
		probs[i], labels[i] = s.Probability, label(s.Label)
		want = append(want, r.label)
		final = append(final, label(res.Type))
		switch {
		case res.TypeSource == pipeline.SourceModel:
			byModel++
			typed++
		case res.Type != pipeline.TypeUnclassified:
			typed++
		default:
			suggestions++
		}
		if res.Type != pipeline.TypeUnclassified {
			suggested = append(suggested, label(res.Type))
		} else {
			suggested = append(suggested, label(s.Label))
		}
	}
	acc, f1 := learn.Score(want, final)
	accS, f1S := learn.Score(want, suggested)
	fmt.Fprintf(out, "validation rows, bare: %d; typed %d (by a rule %d, by the model %d), suggestion only %d, nothing %d\n",
		len(val), typed, typed-byModel, byModel, suggestions, none)
	fmt.Fprintf(out, "  types taken (threshold %.2f): accuracy %.3f, macro-F1 %.3f (a suggestion left for a person counts as wrong)\n", threshold, acc, f1)
	fmt.Fprintf(out, "  types and suggestions:      accuracy %.3f, macro-F1 %.3f\n", accS, f1S)
	// The labels no rule gives (KHÁC) a model of rule decisions cannot
	// learn until people correct some: the same figure without them.
	var wantNamed, gotNamed []string
	for i, w := range want {
		if named[w] {
			wantNamed, gotNamed = append(wantNamed, w), append(gotNamed, suggested[i])
		}
	}
	accN, f1N := learn.Score(wantNamed, gotNamed)
	fmt.Fprintf(out, "  the same on the %d rows of kinds a rule names: accuracy %.3f, macro-F1 %.3f\n", len(wantNamed), accN, f1N)
	fmt.Fprintf(out, "  per document: rules %s, model %s\n", (ruleTime / time.Duration(len(val))).Round(time.Microsecond), (modelTime / time.Duration(len(val))).Round(time.Microsecond))
	fmt.Fprintf(out, "  the model alone, by threshold:\n")
	printThresholds(out, probs, labels, want)
}

// printThresholds prints, for a few thresholds, the share of documents
// whose suggestion reaches it and the share of those that are right.
func printThresholds(out io.Writer, probs []float64, got, want []string) {
	fmt.Fprintf(out, "  threshold  taken  right-of-taken\n")
	for _, th := range []float64{0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95} {
		taken, right := 0, 0
		for i := range probs {
			if probs[i] >= th {
				taken++
				if got[i] == want[i] {
					right++
				}
			}
		}
		fmt.Fprintf(out, "  %9.2f  %5.3f  %.3f\n", th, float64(taken)/float64(max(len(probs), 1)), float64(right)/float64(max(taken, 1)))
	}
}

// benchCrossValidate measures the learner on the train rows alone, with
// the benchmark's protocol: rows dealt at random (a fixed seed) into
// folds; for each fold, a model learns from the rules' decisions on the
// other folds' rows, header and all, and classifies the fold's rows bare.
// It scores against the rules' decisions (what an office knows) and
// against the labels; the validation rows are not read.
func benchCrossValidate(out io.Writer, rules *classify.RuleSet, train []labelledRow, folds int, cfg learn.Config) error {
	rng := rand.New(rand.NewPCG(15, 15))
	fold := make([]int, len(train))
	ruled := make([]string, len(train))
	typeOf := map[string]string{}
	for _, t := range rules.Types {
		typeOf[t.NameVI] = t.ID
	}
	for i, r := range train {
		fold[i] = rng.IntN(folds)
		ruled[i] = rules.Classify(classify.Document{Pages: []string{r.withHeader()}}).Type
	}
	var wantRule, gotRule, wantLabel, gotLabel, gotBoth, gotModel, wantModel []string
	var probs []float64
	byRule := 0
	for k := range folds {
		var ex []learn.Example
		for i, r := range train {
			if fold[i] != k && ruled[i] != pipeline.TypeUnclassified {
				ex = append(ex, learn.Example{Text: r.withHeader(), Label: ruled[i]})
			}
		}
		model, err := learn.Train(ex, cfg)
		if err != nil {
			return err
		}
		for i, r := range train {
			if fold[i] != k {
				continue
			}
			s := model.Suggest(r.text)
			got := s.Label
			if ruled[i] != pipeline.TypeUnclassified {
				wantRule, gotRule = append(wantRule, ruled[i]), append(gotRule, got)
			}
			wantLabel, gotLabel = append(wantLabel, typeOf[r.label]), append(gotLabel, got)
			// As the classify worker does: a rule that holds on the bare
			// text decides, the model's suggestion only where none does.
			if res := rules.Classify(classify.Document{Pages: []string{r.text}}); res.Type != pipeline.TypeUnclassified {
				got = res.Type
				byRule++
			} else {
				probs, gotModel, wantModel = append(probs, s.Probability), append(gotModel, got), append(wantModel, typeOf[r.label])
			}
			gotBoth = append(gotBoth, got)
		}
	}
	accR, f1R := learn.Score(wantRule, gotRule)
	accL, f1L := learn.Score(wantLabel, gotLabel)
	fmt.Fprintf(out, "\ncross-validation on the train rows, %d folds (trained on the rules' decisions, held-out rows bare):\n", folds)
	fmt.Fprintf(out, "  against the rules' decisions (%d rows): accuracy %.3f, macro-F1 %.3f\n", len(wantRule), accR, f1R)
	fmt.Fprintf(out, "  against the labels (%d rows): accuracy %.3f, macro-F1 %.3f\n", len(wantLabel), accL, f1L)
	accB, f1B := learn.Score(wantLabel, gotBoth)
	fmt.Fprintf(out, "  rules on the bare text, then the model (%d typed by a rule), against the labels: accuracy %.3f, macro-F1 %.3f\n", byRule, accB, f1B)
	fmt.Fprintf(out, "  the model on the %d rows no rule typed, by threshold:\n", len(probs))
	printThresholds(out, probs, gotModel, wantModel)
	return nil
}
