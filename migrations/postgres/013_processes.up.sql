-- The processes working jobs (serve, worker, process), each under its
-- River client ID, with a heartbeat: a process whose heartbeat stops has
-- its running jobs made available again by the others at once, instead of
-- after River's rescue timeout. pid_started is the process's start time
-- as the kernel counts it, to tell a reused PID from the process.
CREATE TABLE process (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    pid_started BIGINT NOT NULL DEFAULT 0,
    started_at TIMESTAMP NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL
);

-- The indexer finds documents the index holds whose state did not follow
-- (a process killed between the two writes): by document, their last entry.
CREATE INDEX change_feed_document ON change_feed (document_id, seq);
