-- The web console: developer accounts (one per developer profile), sign-in sessions, and a
-- sealed copy of each LWA client secret so that Developer Central's "View" can reveal it.

CREATE TABLE console_users (
    -- Lower-cased.
    email         TEXT COLLATE "C" PRIMARY KEY,
    -- The developer profile this account signs in as (sp_developers, once registered).
    developer_id  TEXT COLLATE "C" NOT NULL UNIQUE,
    -- Argon2id, PHC string format.
    password_hash TEXT COLLATE "C" NOT NULL,
    created_ms    BIGINT NOT NULL
);

CREATE TABLE console_sessions (
    -- A keyed hash of the session cookie (never the cookie).
    verifier     BYTEA PRIMARY KEY,
    -- `developer` or `operator`.
    role         TEXT COLLATE "C" NOT NULL,
    email        TEXT COLLATE "C",
    developer_id TEXT COLLATE "C",
    created_ms   BIGINT NOT NULL,
    expires_ms   BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_ms);

-- AES-256-GCM under the at-rest key, bound to the secret id; NULL for secrets made before the
-- console existed (those cannot be revealed, only rotated).
ALTER TABLE sp_client_secrets ADD COLUMN sealed BYTEA;
