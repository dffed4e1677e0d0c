package search

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestSnapshot: a node restored from another's snapshot holds what the
// snapshot held, resumes the feed from its position, and ends up with the
// same documents as a node fed from the start; a folder with an index is
// not overwritten, and a snapshot with a path out of its folder is refused.
func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.add(t, "report", "2024-01-02", "báo cáo tổng kết năm")
	f.add(t, "decision", "2024-02-03", "quyết định phê duyệt")
	f.drainCommitted(t)
	var buf bytes.Buffer
	info, err := f.ix.WriteSnapshot(ctx, &buf)
	if err != nil {
		t.Fatal(err)
	}
	mark, _ := f.ix.HighWaterMark()
	if info.Documents != 2 || info.Position != mark || info.Bytes != int64(buf.Len()) || info.Position.Seq == 0 {
		t.Fatalf("snapshot %+v (%d bytes), want 2 documents at %+v", info, buf.Len(), mark)
	}
	late := f.add(t, "permit", "2024-03-04", "giấy phép xây dựng")
	f.drainCommitted(t)

	dir := filepath.Join(t.TempDir(), "index")
	if err := RestoreSnapshot(ctx, bytes.NewReader(buf.Bytes()), dir); err != nil {
		t.Fatal(err)
	}
	if err := RestoreSnapshot(ctx, bytes.NewReader(buf.Bytes()), dir); !errors.Is(err, ErrIndexExists) {
		t.Errorf("a second restore into the same folder: %v, want ErrIndexExists", err)
	}
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if n, _ := ix.Count(); n != 2 {
		t.Errorf("restored index holds %d documents, want 2", n)
	}
	if m, _ := ix.HighWaterMark(); m != info.Position {
		t.Errorf("restored index's position %+v, want the snapshot's %+v", m, info.Position)
	}
	g := &fixture{st: f.st, ix: ix, in: &Indexer{Index: ix, Store: f.st}, bat: f.bat}
	g.drainCommitted(t)
	for _, word := range []string{"tổng kết", "phê duyệt", "giấy phép"} {
		a, b := f.search(t, Request{Query: word}), g.search(t, Request{Query: word})
		if len(a.Hits) != 1 || len(b.Hits) != 1 || a.Hits[0].ID != b.Hits[0].ID {
			t.Errorf("%q: fed from the start %d hits, restored %d", word, len(a.Hits), len(b.Hits))
		}
	}
	if r := g.search(t, Request{Query: "giấy phép"}); len(r.Hits) != 1 || r.Hits[0].ID != late {
		t.Errorf("the document added after the snapshot: %+v", r.Hits)
	}

	var evil bytes.Buffer
	tw := tar.NewWriter(&evil)
	tw.WriteHeader(&tar.Header{Name: "../outside", Mode: 0o600, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	if err := RestoreSnapshot(ctx, &evil, filepath.Join(t.TempDir(), "index")); err == nil {
		t.Error("a snapshot with a path out of its folder was unpacked")
	}
}
