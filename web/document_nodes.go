package web

import (
	"context"
	"time"

	"hoso/pipeline"
)

// Every serve node keeps a search index of its own, so "searchable" is
// per node: the document's page and API say which nodes hold the
// document as it is now.

// DocumentInfo is the answer to GET /api/v1/documents/{id}: the document,
// and where a search finds it as it is now.
type DocumentInfo struct {
	*pipeline.Document
	Search DocumentSearch `json:"search"`
}

// DocumentSearch is, per search node, whether the node's index holds the
// document's last change. A node "holds" a document when its place in
// the change feed is at or past the document's last entry: for a
// searchable document the node finds it as it is now; for a failed one,
// the node has dropped it.
type DocumentSearch struct {
	// Position is the document's last change-feed entry; null until its
	// checks are done.
	Position *pipeline.FeedPosition `json:"position"`
	Holding  int                    `json:"holding"` // nodes that hold it
	Nodes    []DocumentSearchNode   `json:"nodes"`
}

// DocumentSearchNode is a search node and whether it holds the document.
type DocumentSearchNode struct {
	pipeline.DocumentNode
	// AgeSeconds is how long ago the node last reported its place.
	AgeSeconds float64       `json:"age_seconds"`
	Age        time.Duration `json:"-"`
}

func (s *Server) documentSearch(ctx context.Context, id int64) (DocumentSearch, error) {
	r, err := s.cfg.Store.FeedNodeListByDocument(ctx, id)
	if err != nil {
		return DocumentSearch{}, err
	}
	out := DocumentSearch{Position: r.Position, Holding: r.Holding, Nodes: make([]DocumentSearchNode, len(r.Nodes))}
	for i, n := range r.Nodes {
		age := time.Since(n.UpdatedAt).Round(time.Millisecond)
		out.Nodes[i] = DocumentSearchNode{DocumentNode: n, AgeSeconds: age.Seconds(), Age: age}
	}
	return out, nil
}
