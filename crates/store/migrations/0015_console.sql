-- The web console: developer accounts (one per developer profile), sign-in sessions, and a
-- sealed copy of each LWA client secret so that Developer Central's "View" can reveal it.

CREATE TABLE console_users (
    -- Lower-cased.
    email         TEXT PRIMARY KEY,
    -- The developer profile this account signs in as (sp_developers, once registered).
    developer_id  TEXT NOT NULL UNIQUE,
    -- Argon2id, PHC string format.
    password_hash TEXT NOT NULL,
    created_ms    INTEGER NOT NULL
);

CREATE TABLE console_sessions (
    -- A keyed hash of the session cookie (never the cookie).
    verifier     BLOB PRIMARY KEY,
    -- `developer` or `operator`.
    role         TEXT NOT NULL,
    email        TEXT,
    developer_id TEXT,
    created_ms   INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL
);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_ms);

-- AES-256-GCM under the at-rest key, bound to the secret id; NULL for secrets made before the
-- console existed (those cannot be revealed, only rotated).
ALTER TABLE sp_client_secrets ADD COLUMN sealed BLOB;
