package search

import (
	"bufio"
	"embed"
	"strings"
)

//go:embed stopwords/*.txt
var stopFiles embed.FS

// The stop lists (stopwords/vi.txt, stopwords/en.txt; each file says
// where its words come from). stopVI holds the Vietnamese stop words as
// written, stopVIFolded those whose spelling without diacritics is no
// other common word's, and stopEN the English ones.
var stopVI, stopVIFolded, stopEN = loadStops()

// stopPhrases holds the question phrases of stopwords/vi-phrases.txt,
// folded, by their number of syllables: side by side in a query, their
// syllables are stop words even typed without diacritics.
var stopPhrases = loadStopPhrases()

func loadStopPhrases() map[int]map[string]bool {
	b, err := stopFiles.ReadFile("stopwords/vi-phrases.txt")
	if err != nil {
		panic(err)
	}
	out := map[int]map[string]bool{}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words := strings.Fields(lowerNFC(line))
		for i, w := range words {
			words[i] = fold(w)
		}
		if out[len(words)] == nil {
			out[len(words)] = map[string]bool{}
		}
		out[len(words)][strings.Join(words, " ")] = true
	}
	return out
}

func loadStops() (vi, viFolded, en map[string]bool) {
	vi, viFolded, en = map[string]bool{}, map[string]bool{}, map[string]bool{}
	read := func(name string, each func(w string, exact bool)) {
		b, err := stopFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			f := strings.Fields(line)
			each(lowerNFC(f[0]), len(f) > 1 && f[1] == "exact")
		}
	}
	read("stopwords/vi.txt", func(w string, exact bool) {
		vi[w] = true
		if !exact {
			viFolded[fold(w)] = true
		}
	})
	read("stopwords/en.txt", func(w string, _ bool) { en[w] = true })
	return vi, viFolded, en
}
