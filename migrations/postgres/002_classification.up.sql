-- Classification results on documents, and rule sets as numbered versions.
ALTER TABLE document ADD COLUMN doc_type TEXT NOT NULL DEFAULT '';
ALTER TABLE document ADD COLUMN department TEXT NOT NULL DEFAULT '';
ALTER TABLE document ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE document ADD COLUMN classification TEXT NOT NULL DEFAULT '';
ALTER TABLE document ADD COLUMN rule_set_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX document_doc_type ON document (doc_type);

CREATE TABLE rule_set (
    version     INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    source      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
