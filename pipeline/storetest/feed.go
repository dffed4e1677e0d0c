package storetest

import (
	"context"
	"testing"
	"time"

	"hoso/pipeline"
	"hoso/pipeline/blob"
)

// feedRead reads the feed after pos until it returns at least want
// entries, for at most a minute: on a PostgreSQL server that other tests
// share, their transactions in flight hold the feed's horizon back (as
// they would hold back a search node), so an entry just committed may not
// be readable at once.
func feedRead(st pipeline.Store, pos pipeline.FeedPosition, limit, want int) (pipeline.ChangeFeedPage, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		page, err := st.ChangeFeedAfter(context.Background(), pos, limit)
		if err != nil || len(page.Changes) >= want || time.Now().After(deadline) {
			return page, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testFeedNodes: the feed names each checked document once, in an order a
// reader resumes from; the table of search nodes keeps one row a node,
// with the entries it has not read.
func testFeedNodes(t *testing.T, h Harness) {
	ctx := context.Background()
	b := mustBatch(t, h.Store, "b")
	if tok, err := h.Store.BatchFeedToken(ctx, b.ID); err != nil || tok != 0 {
		t.Errorf("BatchFeedToken of a batch with no change = %d, %v", tok, err)
	}
	var ids []int64
	for i := 1; i <= 3; i++ {
		id := classifiedDoc(t, h.Store, b.ID, 900+i)
		if err := h.Store.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: id}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	page, err := feedRead(h.Store, pipeline.FeedPosition{}, 2, 2)
	if err != nil || len(page.Changes) != 2 {
		t.Fatalf("ChangeFeedAfter(start, 2) = %+v, %v", page, err)
	}
	last := page.Changes[1]
	if page.Horizon != last.TxID {
		t.Errorf("horizon of a full page %d, want the last entry's transaction %d", page.Horizon, last.TxID)
	}
	rest, err := feedRead(h.Store, last.Position(), 10, 1)
	if err != nil || len(rest.Changes) != 1 || rest.Changes[0].DocumentID != ids[2] || rest.Horizon <= rest.Changes[0].TxID {
		t.Fatalf("ChangeFeedAfter(%+v) = %+v, %v: want the third document and a horizon past it", last.Position(), rest, err)
	}
	tok, err := h.Store.BatchFeedToken(ctx, b.ID)
	if err != nil || tok != rest.Changes[0].TxID {
		t.Errorf("BatchFeedToken = %d, %v, want %d", tok, err, rest.Changes[0].TxID)
	}
	if n, err := h.Store.ChangeFeedCountAfter(ctx, last.Position()); err != nil || n != 1 {
		t.Errorf("ChangeFeedCountAfter = %d, %v, want 1", n, err)
	}
	for _, n := range []pipeline.FeedNode{{Node: "b", Position: last.Position(), Horizon: page.Horizon, Documents: 2}, {Node: "a"}, {Node: "b", Position: rest.Changes[0].Position(), Horizon: rest.Horizon, Documents: 3}} {
		if err := h.Store.FeedNodeSet(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	nodes, err := h.Store.FeedNodeList(ctx)
	if err != nil || len(nodes) != 2 {
		t.Fatalf("FeedNodeList = %+v, %v", nodes, err)
	}
	if nodes[0].Node != "a" || nodes[0].Lag != 3 || nodes[1].Node != "b" || nodes[1].Lag != 0 || nodes[1].Documents != 3 || nodes[1].UpdatedAt.IsZero() {
		t.Errorf("nodes %+v: want a 3 behind, b caught up with 3 documents", nodes)
	}
	if refs, ok := h.Store.(blob.Referencer); !ok {
		t.Error("the store cannot tell the blob sweep which originals rows name")
	} else if used, err := refs.BlobReferenced(ctx, []string{sha(501 + 900), sha(12345)}); err != nil || !used[sha(501+900)] || used[sha(12345)] {
		t.Errorf("BlobReferenced = %v, %v: want the first document's original only", used, err)
	}
	start, err := h.Store.ChangeFeedStart(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := h.Store.ChangeFeedAfter(ctx, start, 10); len(after.Changes) != 0 {
		t.Errorf("entries after the start of a rebuild with nothing in flight: %+v", after.Changes)
	}
}

// testFeedNodesByDocument: a node holds a document when its position is at
// or past the document's last entry; a later change to the document is
// held by no node until they read it, and a document not yet in the feed
// by none.
func testFeedNodesByDocument(t *testing.T, h Harness) {
	ctx := context.Background()
	b := mustBatch(t, h.Store, "b")
	var ids []int64
	for i := 1; i <= 3; i++ {
		id := classifiedDoc(t, h.Store, b.ID, 950+i)
		if i < 3 {
			if err := h.Store.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: id}); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, id)
	}
	if r, err := h.Store.FeedNodeListByDocument(ctx, ids[0]); err != nil || r.Position == nil || len(r.Nodes) != 0 || r.Holding != 0 {
		t.Fatalf("FeedNodeListByDocument with no node = %+v, %v: want a position and no node", r, err)
	}
	page, err := feedRead(h.Store, pipeline.FeedPosition{}, 10, 2)
	if err != nil || len(page.Changes) != 2 {
		t.Fatalf("ChangeFeedAfter = %+v, %v: want the two checked documents", page, err)
	}
	first, second := page.Changes[0], page.Changes[1]
	if first.DocumentID != ids[0] || second.DocumentID != ids[1] {
		t.Fatalf("feed %+v, want documents %v", page.Changes, ids[:2])
	}
	for _, n := range []pipeline.FeedNode{{Node: "a", Position: first.Position()}, {Node: "b", Position: second.Position()}, {Node: "c"}} {
		if err := h.Store.FeedNodeSet(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	check := func(doc int64, want string) {
		t.Helper()
		r, err := h.Store.FeedNodeListByDocument(ctx, doc)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, n := range r.Nodes {
			if n.Holds {
				got += n.Node
			}
		}
		if got != want || r.Holding != len(want) || len(r.Nodes) != 3 {
			t.Errorf("nodes holding document %d: %q (holding %d of %d), want %q", doc, got, r.Holding, len(r.Nodes), want)
		}
	}
	check(ids[0], "ab")
	check(ids[1], "b")
	check(ids[2], "")
	if r, _ := h.Store.FeedNodeListByDocument(ctx, ids[2]); r.Position != nil {
		t.Errorf("position of a document not in the feed: %+v", r.Position)
	}
	if r, _ := h.Store.FeedNodeListByDocument(ctx, ids[1]); r.Position == nil || *r.Position != second.Position() || r.Nodes[1].Lag != 0 || r.Nodes[0].Lag != 1 {
		t.Errorf("document %d: position %+v, nodes %+v: want %+v, a 1 behind, b caught up", ids[1], r.Position, r.Nodes, second.Position())
	}
	if _, err := h.Store.DocumentCorrect(ctx, pipeline.DocumentCorrectParams{DocumentID: ids[0], Type: "land"}); err != nil {
		t.Fatal(err)
	}
	check(ids[0], "")
	check(ids[1], "b")
}

// testIndexSnapshots: the newest snapshot is the one a new node unpacks;
// only the newest two are kept, and the blob sweep keeps their blobs.
func testIndexSnapshots(t *testing.T, h Harness) {
	ctx := context.Background()
	_, err := h.Store.IndexSnapshotLatest(ctx)
	wantCode(t, "IndexSnapshotLatest with none", err, pipeline.ENOTFOUND)
	for i := int64(1); i <= 3; i++ {
		got, err := h.Store.IndexSnapshotCreate(ctx, pipeline.IndexSnapshot{Node: "a", SHA256: sha(7000 + int(i)), Size: 100 * i,
			Position: pipeline.FeedPosition{TxID: 10 * i, Seq: i}, Documents: 5 * i})
		if err != nil || got.ID == 0 || got.CreatedAt.IsZero() {
			t.Fatalf("IndexSnapshotCreate = %+v, %v", got, err)
		}
	}
	latest, err := h.Store.IndexSnapshotLatest(ctx)
	if err != nil || latest.SHA256 != sha(7003) || latest.Node != "a" || latest.Size != 300 || latest.Documents != 15 ||
		latest.Position != (pipeline.FeedPosition{TxID: 30, Seq: 3}) || latest.CreatedAt.IsZero() {
		t.Errorf("IndexSnapshotLatest = %+v, %v: want the third", latest, err)
	}
	refs, ok := h.Store.(blob.Referencer)
	if !ok {
		t.Fatal("the store cannot tell the blob sweep which blobs rows name")
	}
	used, err := refs.BlobReferenced(ctx, []string{sha(7001), sha(7002), sha(7003)})
	if err != nil || used[sha(7001)] || !used[sha(7002)] || !used[sha(7003)] {
		t.Errorf("BlobReferenced = %v, %v: want the newest two snapshots only", used, err)
	}
}
