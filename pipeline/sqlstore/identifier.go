package sqlstore

import (
	"context"
	"fmt"
	"time"

	"hoso/pipeline"
)

// IdentifierOccurrences lists the documents holding an identifier.
func (s *Store) IdentifierOccurrences(ctx context.Context, kind, value string, since time.Time) ([]pipeline.IdentifierOccurrence, error) {
	rows, err := s.db.Query(ctx, `SELECT i.document_id, d.batch_id, d.department, i.raw, i.page, i.char_offset, d.created_at
		FROM identifier i JOIN document d ON d.id = i.document_id
		WHERE i.kind = $1 AND i.value = $2 AND d.created_at >= $3 ORDER BY i.document_id, i.page, i.char_offset`, kind, value, since)
	if err != nil {
		return nil, fmt.Errorf("find identifier: %w", err)
	}
	defer rows.Close()
	var out []pipeline.IdentifierOccurrence
	for rows.Next() {
		var o pipeline.IdentifierOccurrence
		if err := rows.Scan(&o.DocumentID, &o.BatchID, &o.Department, &o.Raw, &o.Page, &o.Offset, &o.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// IdentifierListByDocument returns the identifiers found in a document, in
// page order.
func (s *Store) IdentifierListByDocument(ctx context.Context, documentID int64) ([]pipeline.Identifier, error) {
	rows, err := s.db.Query(ctx, `SELECT kind, value, raw, page, char_offset FROM identifier WHERE document_id = $1 ORDER BY page, char_offset`, documentID)
	if err != nil {
		return nil, fmt.Errorf("list identifiers of document %d: %w", documentID, err)
	}
	defer rows.Close()
	out := []pipeline.Identifier{}
	for rows.Next() {
		var id pipeline.Identifier
		if err := rows.Scan(&id.Kind, &id.Value, &id.Raw, &id.Page, &id.Offset); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
