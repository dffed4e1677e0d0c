package storetest

import (
	"context"
	"fmt"
	"testing"

	"hoso/pipeline"
)

// testOCRProgress: the pages OCR has read are kept per document, the
// latest report wins, and a batch sees only its own documents.
func testOCRProgress(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	b1, b2 := mustBatch(t, st, "scans"), mustBatch(t, st, "other")
	d1 := mustDoc(t, st, b1.ID, "scan-1.pdf", sha(1))
	d2 := mustDoc(t, st, b1.ID, "scan-2.pdf", sha(2))
	d3 := mustDoc(t, st, b2.ID, "scan-3.pdf", sha(3))
	for _, r := range []struct {
		doc         int64
		done, total int
	}{{d1.ID, 0, 12}, {d1.ID, 5, 12}, {d2.ID, 1, 1}, {d3.ID, 2, 4}} {
		if err := st.OCRProgressSet(ctx, r.doc, r.done, r.total); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.OCRProgressByBatch(ctx, b1.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]pipeline.OCRProgress{d1.ID: {Done: 5, Total: 12}, d2.ID: {Done: 1, Total: 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("OCRProgressByBatch = %v, want %v", got, want)
	}
	if got, err := st.OCRProgressByBatch(ctx, 9999); err != nil || len(got) != 0 {
		t.Errorf("a batch without documents: %v, %v", got, err)
	}
}
