-- Flags: patterns detection found, with their evidence and decisions.
CREATE TABLE flag (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT NOT NULL,
    flag_key    TEXT NOT NULL,
    severity    TEXT NOT NULL,
    department  TEXT NOT NULL DEFAULT '',
    title       TEXT NOT NULL,
    status      TEXT NOT NULL,
    assignee    TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (kind, flag_key)
);
CREATE INDEX flag_status ON flag (status);

CREATE TABLE flag_evidence (
    flag_id      BIGINT NOT NULL REFERENCES flag (id) ON DELETE CASCADE,
    document_id  BIGINT NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    detail       TEXT NOT NULL DEFAULT '',
    added_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (flag_id, document_id)
);

CREATE TABLE flag_decision (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    flag_id     BIGINT NOT NULL REFERENCES flag (id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    decided_by  TEXT NOT NULL,
    evidence    INTEGER NOT NULL,
    decided_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX flag_decision_flag ON flag_decision (flag_id);
