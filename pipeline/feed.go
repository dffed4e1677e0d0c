package pipeline

import (
	"context"
	"time"
)

// FeedPosition is a reader's place in the change feed. Entries are read in
// the order of the transaction that wrote them (TxID), then of their
// number (Seq): on PostgreSQL a transaction that took a lower number can
// commit after one with a higher number, so numbers alone would let a
// reader step past an entry that was not yet visible. A reader only reads
// entries of transactions older than every transaction still in flight
// (the feed's horizon), and those can no longer change.
type FeedPosition struct {
	// TxID is the writing transaction's ID (PostgreSQL's xid8). On SQLite,
	// where one writer commits at a time and numbers are taken in commit
	// order, it is the entry's number.
	TxID int64 `json:"tx_id"`
	Seq  int64 `json:"seq"`
}

// Before reports whether p comes before q in the feed.
func (p FeedPosition) Before(q FeedPosition) bool {
	if p.TxID != q.TxID {
		return p.TxID < q.TxID
	}
	return p.Seq < q.Seq
}

// ChangeFeedPage is what a read of the change feed returns.
type ChangeFeedPage struct {
	Changes []Change
	// Horizon is a token bound: every entry whose TxID is below it has
	// been returned by this read or an earlier one from the same
	// position. A write's token (Change.TxID) is searchable on a node
	// whose horizon is above it.
	Horizon int64
}

// FeedStore is the change feed: entries that tell the search replicas
// which documents changed, and where each replica (node) has read to.
type FeedStore interface {
	// ChangeFeedAfter returns at most limit committed entries after pos,
	// in feed order, that no transaction still in flight can precede.
	ChangeFeedAfter(ctx context.Context, pos FeedPosition, limit int) (ChangeFeedPage, error)
	// ChangeFeedStart returns a position before every entry that is not
	// committed yet: a rebuild from the documents as they are now resumes
	// the feed from there.
	ChangeFeedStart(ctx context.Context) (FeedPosition, error)
	// ChangeFeedLatest returns the newest change-feed entry's number.
	ChangeFeedLatest(ctx context.Context) (int64, error)
	// DocumentMarkIndexedThrough moves to indexed the checked documents
	// whose last change-feed entry is at or before pos.
	DocumentMarkIndexedThrough(ctx context.Context, pos FeedPosition) (int64, error)
	// ChangeFeedCountAfter counts the committed entries after pos.
	ChangeFeedCountAfter(ctx context.Context, pos FeedPosition) (int64, error)
	// BatchFeedToken returns the token of the newest change-feed entry of
	// a batch's documents (0 when there is none yet): a search node whose
	// horizon is above it holds the batch as it is.
	BatchFeedToken(ctx context.Context, batchID int64) (int64, error)

	// FeedNodeSet records where a search node's index has read to.
	FeedNodeSet(ctx context.Context, node FeedNode) error
	// FeedNodeList returns the search nodes, with their lag, by name.
	FeedNodeList(ctx context.Context) ([]FeedNode, error)
	// FeedNodeListByDocument tells, for each search node, whether its
	// index holds the document's last change-feed entry.
	FeedNodeListByDocument(ctx context.Context, documentID int64) (DocumentReplicas, error)

	// IndexSnapshotCreate records a search-index snapshot stored in the
	// blob store, and forgets all but the newest two (the blob sweep then
	// removes theirs).
	IndexSnapshotCreate(ctx context.Context, snap IndexSnapshot) (IndexSnapshot, error)
	// IndexSnapshotLatest returns the newest snapshot; ENOTFOUND when
	// none was published.
	IndexSnapshotLatest(ctx context.Context) (IndexSnapshot, error)
}

// IndexSnapshot is a copy of a search node's index in the blob store: a
// node that starts with no index unpacks it and reads the change feed from
// its position on.
type IndexSnapshot struct {
	ID        int64        `json:"id"`
	Node      string       `json:"node"` // that published it
	SHA256    string       `json:"sha256"`
	Size      int64        `json:"size"`
	Position  FeedPosition `json:"position"` // the feed entries it holds end here
	Documents int64        `json:"documents"`
	CreatedAt time.Time    `json:"created_at"`
}

// DocumentReplicas is where a document can be found: its last change-feed
// entry and, per search node, whether the node's index holds it.
type DocumentReplicas struct {
	// Position is the document's last change-feed entry; nil until the
	// document first reaches the feed (when its checks are done).
	Position *FeedPosition  `json:"position"`
	Nodes    []DocumentNode `json:"nodes"`
	// Holding counts the nodes that hold the document as it is now.
	Holding int `json:"holding"`
}

// DocumentNode is a search node, and whether its index holds a document's
// last change: its position is at or past the document's last entry.
type DocumentNode struct {
	FeedNode
	Holds bool `json:"holds"`
}

// FeedNode is a search node's place in the change feed: every serve node
// keeps a whole index of its own, fed from the feed.
type FeedNode struct {
	Node      string       `json:"node"`
	Position  FeedPosition `json:"position"`
	Horizon   int64        `json:"horizon"`   // it holds every entry whose token is below
	Documents int64        `json:"documents"` // in its index
	Lag       int64        `json:"lag"`       // committed entries it has not read
	UpdatedAt time.Time    `json:"updated_at"`
}

// Position is the entry's place in the feed.
func (c Change) Position() FeedPosition { return FeedPosition{TxID: c.TxID, Seq: c.Seq} }
