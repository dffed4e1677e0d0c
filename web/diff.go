package web

import (
	"strings"

	"hoso/pipeline"
)

// diffWord is a run of words the second document keeps (" "), adds ("+")
// or drops ("-") against the first; a kept run too long to show is
// folded ("…", Text holding how many words).
type diffWord struct {
	Op   string
	Text string
	N    int
}

// maxDiffWords bounds what a near-duplicate comparison reads of each
// document (the quadratic table stays under ten megabytes).
const maxDiffWords = 1500

// pagesText joins a document's pages.
func pagesText(pages []pipeline.Page) string {
	var sb strings.Builder
	for _, p := range pages {
		sb.WriteString(p.Text)
		sb.WriteString("\n")
	}
	return sb.String()
}

// diffWords compares two texts word by word (a longest common
// subsequence), and returns runs: what b keeps of a, adds and drops.
func diffWords(a, b string) []diffWord {
	x, y := strings.Fields(a), strings.Fields(b)
	x, y = x[:min(len(x), maxDiffWords)], y[:min(len(y), maxDiffWords)]
	lcs := lcsTable[int16](x, y)
	var out []diffWord
	push := func(op, w string) {
		if n := len(out); n > 0 && out[n-1].Op == op {
			out[n-1].Text += " " + w
			out[n-1].N++
			return
		}
		out = append(out, diffWord{Op: op, Text: w, N: 1})
	}
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			push(" ", x[i])
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			push("+", y[j])
			j++
		default:
			push("-", x[i])
			i++
		}
	}
	// Long kept runs show their ends only.
	const context = 12
	for k := range out {
		if w := strings.Fields(out[k].Text); out[k].Op == " " && len(w) > 3*context {
			head, tail := strings.Join(w[:context], " "), strings.Join(w[len(w)-context:], " ")
			if k == 0 {
				head = ""
			}
			if k == len(out)-1 {
				tail = ""
			}
			out[k] = diffWord{Op: "…", Text: strings.TrimSpace(head + " … " + tail), N: len(w)}
		}
	}
	return out
}

// lcsTable returns, for every i and j, the length of the longest common
// subsequence of x[i:] and y[j:]; T must hold the length of the shorter.
func lcsTable[T int16 | int32](x, y []string) [][]T {
	lcs := make([][]T, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]T, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	return lcs
}
