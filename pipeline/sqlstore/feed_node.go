package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"hoso/pipeline"
)

// FeedNodeSet records where a search node's index has read to.
func (s *Store) FeedNodeSet(ctx context.Context, n pipeline.FeedNode) error {
	_, err := s.db.Exec(ctx, `INSERT INTO feed_node (node, tx_id, seq, horizon, documents, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (node) DO UPDATE SET tx_id = excluded.tx_id, seq = excluded.seq, horizon = excluded.horizon,
			documents = excluded.documents, updated_at = excluded.updated_at`,
		n.Node, n.Position.TxID, n.Position.Seq, n.Horizon, n.Documents, s.now())
	if err != nil {
		return fmt.Errorf("record search node %s: %w", n.Node, err)
	}
	return nil
}

// FeedNodeList returns the search nodes by name, each with the committed
// entries it has not read.
func (s *Store) FeedNodeList(ctx context.Context) ([]pipeline.FeedNode, error) {
	nodes, err := s.feedNodes(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("list search nodes: %w", err)
	}
	out := make([]pipeline.FeedNode, len(nodes))
	for i, n := range nodes {
		out[i] = n.FeedNode
	}
	return out, nil
}

// FeedNodeListByDocument tells, for each search node, whether its index
// holds the document's last change-feed entry.
func (s *Store) FeedNodeListByDocument(ctx context.Context, documentID int64) (pipeline.DocumentReplicas, error) {
	q := `SELECT tx_id, seq FROM change_feed WHERE document_id = $1 ORDER BY tx_id DESC, seq DESC LIMIT 1`
	if s.db.Dialect() != "postgres" {
		q = `SELECT seq, seq FROM change_feed WHERE document_id = $1 ORDER BY seq DESC LIMIT 1`
	}
	var r pipeline.DocumentReplicas
	var pos pipeline.FeedPosition
	switch err := s.db.QueryRow(ctx, q, documentID).Scan(&pos.TxID, &pos.Seq); {
	case errors.Is(err, ErrNoRows):
	case err != nil:
		return r, fmt.Errorf("read document %d's feed position: %w", documentID, err)
	default:
		r.Position = &pos
	}
	nodes, err := s.feedNodes(ctx, documentID)
	if err != nil {
		return r, fmt.Errorf("list search nodes of document %d: %w", documentID, err)
	}
	r.Nodes = nodes
	for i := range r.Nodes {
		r.Nodes[i].Holds = r.Nodes[i].Holds && r.Position != nil
		if r.Nodes[i].Holds {
			r.Holding++
		}
	}
	return r, nil
}

// feedNodes lists the search nodes with their lag and, for documentID
// (when not 0), whether no entry of the document lies after the node's
// position.
func (s *Store) feedNodes(ctx context.Context, documentID int64) ([]pipeline.DocumentNode, error) {
	after := "c.seq > n.seq"
	if s.db.Dialect() == "postgres" {
		after = "(c.tx_id, c.seq) > (n.tx_id, n.seq)"
	}
	rows, err := s.db.Query(ctx, `SELECT n.node, n.tx_id, n.seq, n.horizon, n.documents, n.updated_at,
		(SELECT count(*) FROM change_feed c WHERE `+after+`),
		NOT EXISTS (SELECT 1 FROM change_feed c WHERE c.document_id = $1 AND `+after+`)
		FROM feed_node n ORDER BY n.node`, documentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pipeline.DocumentNode{}
	for rows.Next() {
		var n pipeline.DocumentNode
		if err := rows.Scan(&n.Node, &n.Position.TxID, &n.Position.Seq, &n.Horizon, &n.Documents, &n.UpdatedAt, &n.Lag, &n.Holds); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ChangeFeedCountAfter counts the committed entries after pos.
func (s *Store) ChangeFeedCountAfter(ctx context.Context, pos pipeline.FeedPosition) (int64, error) {
	cond, args := s.feedAfter(pos, 1)
	var n int64
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM change_feed c WHERE `+cond, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count change-feed entries: %w", err)
	}
	return n, nil
}

// BatchFeedToken returns the token of the newest change-feed entry of a
// batch's documents, 0 when there is none.
func (s *Store) BatchFeedToken(ctx context.Context, batchID int64) (int64, error) {
	var n *int64
	err := s.db.QueryRow(ctx, `SELECT max(`+s.feedTxID()+`) FROM change_feed c JOIN document d ON d.id = c.document_id WHERE d.batch_id = $1`, batchID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read batch %d's feed position: %w", batchID, err)
	}
	if n == nil {
		return 0, nil
	}
	return *n, nil
}
