-- Near duplicates: each checked document's MinHash signature with the
-- cluster it belongs to, its LSH buckets, and each type's learned template.
CREATE TABLE near_dup_signature (
    document_id    BIGINT PRIMARY KEY REFERENCES document (id) ON DELETE CASCADE,
    doc_type       TEXT NOT NULL,
    version        INTEGER NOT NULL,
    template_docs  INTEGER NOT NULL,
    signature      BYTEA NOT NULL,
    cluster_id     BIGINT NOT NULL
);
CREATE INDEX near_dup_signature_cluster ON near_dup_signature (cluster_id);

CREATE TABLE near_dup_band (
    band         INTEGER NOT NULL,
    hash         BIGINT NOT NULL,
    document_id  BIGINT NOT NULL REFERENCES document (id) ON DELETE CASCADE
);
CREATE INDEX near_dup_band_lookup ON near_dup_band (band, hash);
CREATE INDEX near_dup_band_document ON near_dup_band (document_id);

CREATE TABLE near_dup_template (
    doc_type   TEXT PRIMARY KEY,
    documents  INTEGER NOT NULL,
    shingles   BYTEA NOT NULL,
    built_at   TIMESTAMPTZ NOT NULL
);
