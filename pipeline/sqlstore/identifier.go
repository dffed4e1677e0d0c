package sqlstore

import (
	"context"
	"fmt"
	"time"

	"hoso/pipeline"
)

// IdentifierOccurrences lists the documents holding an identifier.
func (s *Store) IdentifierOccurrences(ctx context.Context, kind, value string, since time.Time) ([]pipeline.IdentifierOccurrence, error) {
	out, err := collect(func(row Row) (pipeline.IdentifierOccurrence, error) {
		var o pipeline.IdentifierOccurrence
		err := row.Scan(&o.DocumentID, &o.BatchID, &o.Department, &o.Raw, &o.Page, &o.Offset, &o.CreatedAt)
		return o, err
	})(s.db.Query(ctx, `SELECT i.document_id, d.batch_id, d.department, i.raw, i.page, i.char_offset, d.created_at
		FROM identifier i JOIN document d ON d.id = i.document_id
		WHERE i.kind = $1 AND i.value = $2 AND d.created_at >= $3 ORDER BY i.document_id, i.page, i.char_offset`, kind, value, since))
	if err != nil {
		return nil, fmt.Errorf("find identifier: %w", err)
	}
	return out, nil
}

// IdentifierListByDocument returns the identifiers found in a document, in
// page order.
func (s *Store) IdentifierListByDocument(ctx context.Context, documentID int64) ([]pipeline.Identifier, error) {
	out, err := collect(func(row Row) (pipeline.Identifier, error) {
		var id pipeline.Identifier
		err := row.Scan(&id.Kind, &id.Value, &id.Raw, &id.Page, &id.Offset)
		return id, err
	})(s.db.Query(ctx, `SELECT kind, value, raw, page, char_offset FROM identifier WHERE document_id = $1 ORDER BY page, char_offset`, documentID))
	if err != nil {
		return nil, fmt.Errorf("list identifiers of document %d: %w", documentID, err)
	}
	return out, nil
}
