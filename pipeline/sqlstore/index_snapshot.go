package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"hoso/pipeline"
)

// IndexSnapshotCreate records a search-index snapshot and forgets all but
// the newest two: a node may be unpacking the one before.
func (s *Store) IndexSnapshotCreate(ctx context.Context, snap pipeline.IndexSnapshot) (pipeline.IndexSnapshot, error) {
	snap.CreatedAt = s.now()
	err := s.inTx(ctx, func(tx Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO index_snapshot (node, sha256, size, tx_id, seq, documents, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			snap.Node, snap.SHA256, snap.Size, snap.Position.TxID, snap.Position.Seq, snap.Documents, snap.CreatedAt).Scan(&snap.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM index_snapshot WHERE id NOT IN (SELECT id FROM index_snapshot ORDER BY id DESC LIMIT 2)`)
		return err
	})
	if err != nil {
		return pipeline.IndexSnapshot{}, fmt.Errorf("record index snapshot: %w", err)
	}
	return snap, nil
}

// IndexSnapshotLatest returns the newest snapshot.
func (s *Store) IndexSnapshotLatest(ctx context.Context) (pipeline.IndexSnapshot, error) {
	var snap pipeline.IndexSnapshot
	err := s.db.QueryRow(ctx, `SELECT id, node, sha256, size, tx_id, seq, documents, created_at FROM index_snapshot ORDER BY id DESC LIMIT 1`).
		Scan(&snap.ID, &snap.Node, &snap.SHA256, &snap.Size, &snap.Position.TxID, &snap.Position.Seq, &snap.Documents, &snap.CreatedAt)
	if errors.Is(err, ErrNoRows) {
		return snap, pipeline.Errorf(pipeline.ENOTFOUND, "No search-index snapshot has been published.")
	}
	if err != nil {
		return snap, fmt.Errorf("read the newest index snapshot: %w", err)
	}
	return snap, nil
}
