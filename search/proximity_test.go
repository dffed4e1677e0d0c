package search

import (
	"fmt"
	"testing"
)

func TestAdjacentPositions(t *testing.T) {
	for _, tt := range []struct {
		a, b []uint32
		want bool
	}{
		{[]uint32{1}, []uint32{2}, true},
		{[]uint32{2}, []uint32{1}, false},
		{[]uint32{1, 5, 9}, []uint32{3, 7, 10}, true},
		{[]uint32{1, 5, 9}, []uint32{3, 7, 11}, false},
		{nil, []uint32{1}, false},
		{[]uint32{4}, nil, false},
		{[]uint32{3, 4}, []uint32{4, 5}, true}, // the same position in both lists cannot count
	} {
		if got := adjacent(tt.a, tt.b); got != tt.want {
			t.Errorf("adjacent(%v, %v) = %v", tt.a, tt.b, got)
		}
	}
	for _, tt := range []struct {
		pos  [][]uint32
		want bool
	}{
		{[][]uint32{{1}, {2}, {3}}, true},
		{[][]uint32{{1, 7}, {2, 8}, {4, 9}}, true},
		{[][]uint32{{1, 7}, {2, 9}, {4, 8}}, false},
		{[][]uint32{{1}, {2}, nil}, false},
		{[][]uint32{{5}}, true},
		{nil, false},
		{[][]uint32{{1, 2, 3}, {2, 3, 4}, {3, 5}}, true}, // 1 2 3
	} {
		if got := inSequence(tt.pos); got != tt.want {
			t.Errorf("inSequence(%v) = %v", tt.pos, got)
		}
	}
}

// TestTermPositions reads the positions of a common and of a rare term
// back from a real segment, both ways they are kept: by document number
// for "hồ sơ" (in every document), by a search for "cấp lại" (in 2 of 40).
func TestTermPositions(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 40; i++ {
		text := fmt.Sprintf("hồ sơ số %d", i)
		if i%20 == 3 {
			text = "đơn đề nghị cấp lại hồ sơ, hồ sơ gốc"
		}
		f.add(t, "x", "", text)
	}
	f.drain(t)
	for _, tt := range []struct {
		q    string
		want int
	}{
		{`"ho so"`, 40},
		{`"cap lai"`, 2},
		{`"so goc"`, 2},
		{`"goc ho"`, 0},
	} {
		if got := len(ids(f.search(t, Request{Query: tt.q, Size: 100}))); got != tt.want {
			t.Errorf("Search(%s): %d documents, want %d", tt.q, got, tt.want)
		}
	}
}
