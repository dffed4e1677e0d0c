package sqlstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"hoso/pipeline"
)

// nearDupWrite stores a document's signature and buckets inside tx.
func (s *Store) nearDupWrite(ctx context.Context, tx Tx, documentID int64, w *pipeline.NearDupWrite) error {
	if _, err := tx.Exec(ctx, `DELETE FROM near_dup_band WHERE document_id = $1`, documentID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM near_dup_signature WHERE document_id = $1`, documentID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO near_dup_signature (document_id, doc_type, version, template_docs, signature, cluster_id)
		VALUES ($1, $2, $3, $4, $5, $6)`, documentID, w.Type, w.Version, w.TemplateDocs, w.Signature, w.ClusterID); err != nil {
		return err
	}
	return insertRows(ctx, tx, `INSERT INTO near_dup_band (band, hash, document_id) VALUES `, len(w.Bands), func(i int) []any {
		return []any{i, w.Bands[i], documentID}
	})
}

// clusterJoin puts the document into a cluster and moves merged clusters
// into it; the merged clusters' open flags hand over to the survivor's.
func (s *Store) clusterJoin(ctx context.Context, tx Tx, documentID, clusterID int64, merge []int64) error {
	if _, err := tx.Exec(ctx, `UPDATE near_dup_signature SET cluster_id = $1 WHERE document_id = $2`, clusterID, documentID); err != nil {
		return err
	}
	for _, c := range merge {
		if c == clusterID {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE near_dup_signature SET cluster_id = $1 WHERE cluster_id = $2`, clusterID, c); err != nil {
			return err
		}
		// The merged cluster's flags (one per department) hand over to the
		// surviving one's.
		type found struct {
			id     int64
			status string
		}
		flags, err := collect(func(row Row) (found, error) {
			var f found
			err := row.Scan(&f.id, &f.status)
			return f, err
		})(tx.Query(ctx, `SELECT id, status FROM flag WHERE kind = $1 AND (flag_key = $2 OR flag_key LIKE $3)`,
			pipeline.FlagNearDuplicate, fmt.Sprintf("cluster:%d", c), fmt.Sprintf("cluster:%d|%%", c)))
		if err != nil {
			return err
		}
		for _, f := range flags {
			if err := s.flagMerged(ctx, tx, f.id, f.status, clusterID); err != nil {
				return err
			}
		}
	}
	return nil
}

// flagMerged dismisses an open flag of a cluster merged into another.
func (s *Store) flagMerged(ctx context.Context, tx Tx, flagID int64, status string, clusterID int64) error {
	if status != pipeline.FlagOpen {
		return nil
	}
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM flag_evidence WHERE flag_id = $1`, flagID).Scan(&total); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE flag SET status = $2, updated_at = $3 WHERE id = $1`, flagID, pipeline.FlagDismissed, s.now()); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO flag_decision (flag_id, status, reason, note, decided_by, evidence, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, flagID, pipeline.FlagDismissed, "merged",
		fmt.Sprintf("A document joined this cluster to the one of document %d; review the flag of that cluster.", clusterID), "hoso", total, s.now())
	return err
}

// NearDupCandidateIDs returns the documents sharing a bucket.
func (s *Store) NearDupCandidateIDs(ctx context.Context, bands []int64, exclude int64) ([]int64, error) {
	if len(bands) == 0 {
		return []int64{}, nil
	}
	var conds []string
	args := []any{exclude}
	for i, h := range bands {
		args = append(args, i, h)
		conds = append(conds, fmt.Sprintf("(band = $%d AND hash = $%d)", len(args)-1, len(args)))
	}
	ids, err := s.ids(ctx, `SELECT DISTINCT document_id FROM near_dup_band WHERE document_id <> $1 AND (`+strings.Join(conds, " OR ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("find near-duplicate candidates: %w", err)
	}
	return ids, nil
}

// NearDupSignatures returns the documents' signatures.
func (s *Store) NearDupSignatures(ctx context.Context, ids []int64) ([]pipeline.NearDupSignature, error) {
	out := []pipeline.NearDupSignature{}
	for start := 0; start < len(ids); start += 500 {
		var args []any
		chunk := in(&args, ids[start:min(start+500, len(ids))])
		sigs, err := collect(func(row Row) (pipeline.NearDupSignature, error) {
			var c pipeline.NearDupSignature
			err := row.Scan(&c.DocumentID, &c.SHA256, &c.Signature, &c.ClusterID, &c.Type, &c.Version, &c.TemplateDocs)
			return c, err
		})(s.db.Query(ctx, `SELECT n.document_id, d.sha256, n.signature, n.cluster_id, n.doc_type, n.version, n.template_docs
			FROM near_dup_signature n JOIN document d ON d.id = n.document_id WHERE n.document_id IN `+chunk, args...))
		if err != nil {
			return nil, fmt.Errorf("read near-duplicate signatures: %w", err)
		}
		out = append(out, sigs...)
	}
	return out, nil
}

// NearDupClusterMembers lists the documents of clusters.
func (s *Store) NearDupClusterMembers(ctx context.Context, clusterIDs []int64) ([]int64, error) {
	if len(clusterIDs) == 0 {
		return []int64{}, nil
	}
	var args []any
	return s.ids(ctx, `SELECT document_id FROM near_dup_signature WHERE cluster_id IN `+in(&args, clusterIDs)+` ORDER BY document_id`, args...)
}

// NearDupTemplateGet returns a type's template.
func (s *Store) NearDupTemplateGet(ctx context.Context, docType string) (*pipeline.NearDupTemplate, error) {
	t := &pipeline.NearDupTemplate{Type: docType}
	var blob []byte
	err := s.db.QueryRow(ctx, `SELECT documents, shingles FROM near_dup_template WHERE doc_type = $1`, docType).Scan(&t.Documents, &blob)
	if errors.Is(err, ErrNoRows) {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "No template learned for %q yet.", docType)
	} else if err != nil {
		return nil, err
	}
	t.Shingles = make([]uint64, len(blob)/8)
	for i := range t.Shingles {
		t.Shingles[i] = binary.LittleEndian.Uint64(blob[8*i:])
	}
	return t, nil
}

// NearDupTemplateSave stores a template unless the type has one.
func (s *Store) NearDupTemplateSave(ctx context.Context, t pipeline.NearDupTemplate) error {
	blob := make([]byte, 8*len(t.Shingles))
	for i, h := range t.Shingles {
		binary.LittleEndian.PutUint64(blob[8*i:], h)
	}
	_, err := s.db.Exec(ctx, `INSERT INTO near_dup_template (doc_type, documents, shingles, built_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (doc_type) DO NOTHING`, t.Type, t.Documents, blob, s.now())
	return err
}

// NearDupSample lists a type's documents with signatures, newest first.
func (s *Store) NearDupSample(ctx context.Context, docType string, limit int) ([]int64, error) {
	return s.ids(ctx, `SELECT document_id FROM near_dup_signature WHERE doc_type = $1 ORDER BY document_id DESC LIMIT $2`, docType, limit)
}

// NearDupUntemplated lists a type's documents signed before its template.
func (s *Store) NearDupUntemplated(ctx context.Context, docType string) ([]int64, error) {
	return s.ids(ctx, `SELECT document_id FROM near_dup_signature WHERE doc_type = $1 AND template_docs = 0 ORDER BY document_id`, docType)
}

// NearDupReplace rewrites a document's signature and buckets, keeping its
// cluster.
func (s *Store) NearDupReplace(ctx context.Context, documentID int64, w pipeline.NearDupWrite) error {
	return s.inTx(ctx, func(tx Tx) error {
		err := tx.QueryRow(ctx, `SELECT cluster_id FROM near_dup_signature WHERE document_id = $1`, documentID).Scan(&w.ClusterID)
		if errors.Is(err, ErrNoRows) {
			w.ClusterID = documentID
		} else if err != nil {
			return err
		}
		return s.nearDupWrite(ctx, tx, documentID, &w)
	})
}

// NearDupSignatureGet returns a document's signature.
func (s *Store) NearDupSignatureGet(ctx context.Context, documentID int64) (*pipeline.NearDupWrite, error) {
	w := &pipeline.NearDupWrite{}
	err := s.db.QueryRow(ctx, `SELECT doc_type, version, template_docs, signature, cluster_id FROM near_dup_signature WHERE document_id = $1`,
		documentID).Scan(&w.Type, &w.Version, &w.TemplateDocs, &w.Signature, &w.ClusterID)
	if errors.Is(err, ErrNoRows) {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "Document %d has no near-duplicate signature.", documentID)
	}
	return w, err
}
