-- Near duplicates: each checked document's MinHash signature with the
-- cluster it belongs to, its LSH buckets, and each type's learned template.
CREATE TABLE near_dup_signature (
    document_id    INTEGER PRIMARY KEY REFERENCES document (id) ON DELETE CASCADE,
    doc_type       TEXT NOT NULL,
    version        INTEGER NOT NULL,
    template_docs  INTEGER NOT NULL,
    signature      BLOB NOT NULL,
    cluster_id     INTEGER NOT NULL
);
CREATE INDEX near_dup_signature_cluster ON near_dup_signature (cluster_id);

CREATE TABLE near_dup_band (
    band         INTEGER NOT NULL,
    hash         INTEGER NOT NULL,
    document_id  INTEGER NOT NULL REFERENCES document (id) ON DELETE CASCADE
);
CREATE INDEX near_dup_band_lookup ON near_dup_band (band, hash);
CREATE INDEX near_dup_band_document ON near_dup_band (document_id);

CREATE TABLE near_dup_template (
    doc_type   TEXT PRIMARY KEY,
    documents  INTEGER NOT NULL,
    shingles   BLOB NOT NULL,
    built_at   TIMESTAMP NOT NULL
);
