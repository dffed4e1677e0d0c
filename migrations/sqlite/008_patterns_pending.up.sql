-- Documents whose cross-document patterns (duplicates, recurring
-- identifiers, near duplicates) are still to be checked, after detection.
ALTER TABLE document ADD COLUMN patterns_pending BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX document_patterns_pending ON document (id) WHERE patterns_pending;
CREATE INDEX flag_evidence_document ON flag_evidence (document_id);
