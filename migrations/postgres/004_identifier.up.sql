-- Identifiers found in documents by the detect stage.
CREATE TABLE identifier (
    document_id  BIGINT NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    raw          TEXT NOT NULL,
    page         INTEGER NOT NULL,
    char_offset  INTEGER NOT NULL
);
CREATE INDEX identifier_document ON identifier (document_id);
CREATE INDEX identifier_kind_value ON identifier (kind, value);
