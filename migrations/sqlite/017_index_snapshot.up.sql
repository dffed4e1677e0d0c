-- Search-index snapshots that serve nodes publish to the blob store: a node
-- that starts with no index unpacks the newest and reads only the change
-- feed after its position. The sweep keeps the blobs these rows name.
CREATE TABLE index_snapshot (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    node        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    tx_id       INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    documents   INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
