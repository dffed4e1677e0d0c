-- Departments, users, sessions, API tokens and the audit trail; batches
-- remember who uploaded them for which department; documents and flags
-- without a department belong to intake.
CREATE TABLE department (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
INSERT INTO department (code, name, created_at) VALUES
    ('intake', 'Intake (not yet sorted)', CURRENT_TIMESTAMP),
    ('administration', 'Administration', CURRENT_TIMESTAMP),
    ('construction', 'Construction', CURRENT_TIMESTAMP),
    ('finance', 'Finance', CURRENT_TIMESTAMP),
    ('inspection', 'Inspection', CURRENT_TIMESTAMP),
    ('justice', 'Justice', CURRENT_TIMESTAMP),
    ('land', 'Land', CURRENT_TIMESTAMP),
    ('legal', 'Legal', CURRENT_TIMESTAMP),
    ('one-stop', 'One-stop service desk', CURRENT_TIMESTAMP),
    ('police', 'Police', CURRENT_TIMESTAMP),
    ('tax', 'Tax', CURRENT_TIMESTAMP);

CREATE TABLE app_user (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    name                  TEXT NOT NULL UNIQUE,
    role                  TEXT NOT NULL,
    password_hash         TEXT NOT NULL,
    must_change_password  BOOLEAN NOT NULL DEFAULT FALSE,
    disabled              BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins         INTEGER NOT NULL DEFAULT 0,
    locked_until          TIMESTAMP,
    created_at            TIMESTAMP NOT NULL
);

CREATE TABLE user_department (
    user_id     INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    department  TEXT NOT NULL REFERENCES department (code),
    PRIMARY KEY (user_id, department)
);

CREATE TABLE user_session (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX user_session_user ON user_session (user_id);

CREATE TABLE api_token (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    last_used   TIMESTAMP
);

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    user_id    INTEGER NOT NULL,
    user_name  TEXT NOT NULL,
    remote     TEXT NOT NULL,
    action     TEXT NOT NULL,
    object     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_object ON audit_log (object, seq);
CREATE INDEX audit_log_user ON audit_log (user_name, seq);

-- The chain's head: one row, updated with every record, so appends are
-- serialized and a removed newest record shows.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

ALTER TABLE batch ADD COLUMN created_by INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batch ADD COLUMN department TEXT NOT NULL DEFAULT 'intake';
UPDATE document SET department = 'intake' WHERE department = '';
UPDATE flag SET department = 'intake' WHERE department = '';
CREATE INDEX document_department ON document (department, id);
CREATE INDEX batch_department ON batch (department, id);
