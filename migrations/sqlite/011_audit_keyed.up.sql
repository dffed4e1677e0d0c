-- The audit chain becomes keyed: records of version 2 carry an HMAC under
-- a secret kept outside the database. Records written before stay version 1
-- (plain SHA-256) and are checked as before. The head remembers which key
-- the chain is bound to (an ID derived from the key, not the key).
ALTER TABLE audit_log ADD COLUMN chain_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_head ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
