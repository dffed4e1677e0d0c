-- The change feed is read in the order of the transactions that wrote it,
-- and only below the oldest transaction still in flight: a transaction
-- that took a lower number may commit after one with a higher number, and
-- a reader going by numbers alone would step past it for good. Entries
-- written before this migration keep tx_id 0: they are all committed and
-- come first, in number order, as an index's old mark expects.
ALTER TABLE change_feed ADD COLUMN tx_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE change_feed ALTER COLUMN tx_id SET DEFAULT pg_current_xact_id()::text::bigint;
CREATE INDEX change_feed_position ON change_feed (tx_id, seq);

-- Each search node's place in the feed: its index's mark and the horizon
-- below which it holds every entry (what read-your-writes waits for).
CREATE TABLE feed_node (
    node        TEXT PRIMARY KEY,
    tx_id       BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    horizon     BIGINT NOT NULL,
    documents   BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
