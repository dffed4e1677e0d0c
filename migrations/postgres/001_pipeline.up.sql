-- Batches, documents, their pages, refused files and the change feed.
CREATE TABLE batch (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE document (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id      BIGINT NOT NULL REFERENCES batch (id),
    filename      TEXT NOT NULL,
    path          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    mime          TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,
    stage         TEXT NOT NULL,
    error_code    TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    pages         INTEGER NOT NULL DEFAULT 0,
    quality       DOUBLE PRECISION NOT NULL DEFAULT 0,
    extractor     TEXT NOT NULL DEFAULT '',
    duplicate_of  BIGINT REFERENCES document (id),
    crashes       INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX document_batch_id ON document (batch_id);
CREATE INDEX document_sha256 ON document (sha256);
CREATE INDEX document_state ON document (state);

CREATE TABLE page (
    document_id  BIGINT NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    text         TEXT NOT NULL,
    quality      DOUBLE PRECISION NOT NULL,
    extractor    TEXT NOT NULL,
    PRIMARY KEY (document_id, number)
);

CREATE TABLE rejection (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id    BIGINT NOT NULL REFERENCES batch (id),
    path        TEXT NOT NULL,
    code        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX rejection_batch_id ON rejection (batch_id);

CREATE TABLE change_feed (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id  BIGINT NOT NULL,
    op           TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
