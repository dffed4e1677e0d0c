-- Learned classification models as numbered versions, like rule sets: the
-- newest of a kind (type, department) is the one in force. A model learns
-- only from documents typed by a rule or a person; last_doc_id and
-- created_at tell the periodic retraining what it has not seen yet.
CREATE TABLE model (
    version     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    documents   INTEGER NOT NULL,
    labels      TEXT NOT NULL,
    last_doc_id BIGINT NOT NULL DEFAULT 0,
    data        BLOB NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX model_kind ON model (kind, version);
CREATE INDEX document_type_source ON document (type_source, updated_at);
