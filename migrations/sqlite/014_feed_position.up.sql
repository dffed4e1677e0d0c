-- One writer commits at a time on SQLite and entry numbers are taken in
-- commit order, so the feed is read by number (an entry's transaction is
-- its number); only the search nodes' places are new.
CREATE TABLE feed_node (
    node        TEXT PRIMARY KEY,
    tx_id       INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    horizon     INTEGER NOT NULL,
    documents   INTEGER NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
