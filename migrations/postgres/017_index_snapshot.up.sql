-- Search-index snapshots that serve nodes publish to the blob store: a node
-- that starts with no index unpacks the newest and reads only the change
-- feed after its position. The sweep keeps the blobs these rows name.
CREATE TABLE index_snapshot (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    tx_id       BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    documents   BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
