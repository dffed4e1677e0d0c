-- E-mails (EML, MSG): the header fields of a message, as JSON, and the
-- message a document was attached to.
ALTER TABLE document ADD COLUMN parent_id BIGINT REFERENCES document(id);
ALTER TABLE document ADD COLUMN message TEXT NOT NULL DEFAULT '';
CREATE INDEX document_parent_id ON document (parent_id) WHERE parent_id IS NOT NULL;
