-- Foundation: store metadata, accounts with their access keys, the audit log and the job queue
-- (scheduled work and the transactional outbox share it). Times are epoch milliseconds.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,
    created_ms INTEGER NOT NULL
);

CREATE TABLE access_keys (
    access_key_id     TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (account_id),
    -- NULL for the account's root credentials.
    user_name         TEXT,
    -- The secret access key sealed under the master key (AAD binds the key id).
    secret_sealed     BLOB NOT NULL,
    status            TEXT NOT NULL DEFAULT 'Active',
    created_ms        INTEGER NOT NULL,
    last_used_ms      INTEGER,
    last_used_service TEXT,
    last_used_region  TEXT
);
CREATE INDEX access_keys_by_user ON access_keys (account_id, user_name);

CREATE TABLE audit (
    id            INTEGER PRIMARY KEY,
    time_ms       INTEGER NOT NULL,
    request_id    TEXT NOT NULL,
    principal_arn TEXT,
    source_ip     TEXT NOT NULL,
    service       TEXT NOT NULL,
    operation     TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    error_code    TEXT
);
CREATE INDEX audit_by_time ON audit (time_ms);

CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    due_ms      INTEGER NOT NULL,
    payload     TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    -- Wall-clock lease: a worker that dies mid-job lets it run again once the lease lapses.
    lease_until INTEGER,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX jobs_by_due ON jobs (due_ms);
