package search

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"hoso/pipeline"
)

// TestLongQueryRejectedFast replays the review's attack: a 512 KB query of
// "a a a …" held a core for 19.5 s in a quadratic lexer. It is refused by
// its length before any parsing, with a message that says so; a query at
// the limit is read in one pass (BenchmarkLexQuery measures it).
func TestLongQueryRejectedFast(t *testing.T) {
	f := newFixture(t)
	f.add(t, "x", "", "a b c")
	f.drain(t)
	ctx := context.Background()
	attack := strings.Repeat("a ", 256<<10)
	_, err := f.ix.Search(ctx, Request{Query: attack, Scope: pipeline.ScopeAll})
	var qe *QueryError
	if !errors.As(err, &qe) || qe.Key != "query.too_long" || !strings.Contains(qe.Message, "characters") {
		t.Fatalf("a 512 KB query: %v, want query.too_long", err)
	}
	// The most a query may hold: every part a one-letter word with a colon
	// scan to do; the lexer stops at the part limit.
	atLimit := strings.Repeat("a:", MaxQueryLength/2)
	if _, err := lexQuery(atLimit); err != nil {
		t.Errorf("a query of %d characters with one word: %v", len(atLimit), err)
	}
	if _, err := lexQuery(strings.Repeat("a ", MaxQueryLength/2)); err == nil || !strings.Contains(err.Error(), "parts") {
		t.Errorf("a query of %d one-letter words: %v, want the parts limit", MaxQueryLength/2, err)
	}
	// Every search runs under a deadline: a cancelled context ends it.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.ix.Search(cctx, Request{Query: "a b", Scope: pipeline.ScopeAll}); err == nil {
		t.Errorf("a search with its context cancelled succeeded")
	}
}

// BenchmarkLexQuery: lexing is linear in the query's length.
func BenchmarkLexQuery(b *testing.B) {
	for _, n := range []int{500, 1000, 2000, 4000} {
		q := strings.Repeat("ab:cd ", n/6)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				lexQuery(q)
			}
		})
	}
}
