-- The Amazon Data Portability API's side of the sandbox: Amazon customers (the accounts whose
-- data an application asks for), their authorizations of applications with Data Portability
-- scopes, and data queries. A customer's authorization code travels in `sp_grants` with its
-- scopes; access tokens are `sp_access_tokens` of kind `portability`.

CREATE TABLE dp_customers (
    customer_id TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    -- How long this customer's data queries take to gather, so a team can rehearse waiting.
    query_ms    INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL
);

CREATE TABLE dp_authorizations (
    id          INTEGER PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES sp_apps (app_id),
    customer_id TEXT NOT NULL REFERENCES dp_customers (customer_id),
    -- The granted scopes, space-separated (`portability::physical_orders ...`).
    scopes      TEXT NOT NULL,
    -- The refresh token's verifier.
    verifier    BLOB NOT NULL UNIQUE,
    -- `self` (self-authorization) or `oauth` (the consent flow).
    via         TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    revoked_ms  INTEGER
);
CREATE INDEX dp_authorizations_by_pair ON dp_authorizations (app_id, customer_id);

CREATE TABLE dp_queries (
    query_id    TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    scope_id    TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    -- When its records are ready (the query runs asynchronously).
    ready_ms    INTEGER NOT NULL
);
CREATE INDEX dp_queries_by_caller ON dp_queries (app_id, customer_id, scope_id, created_ms);

ALTER TABLE sp_grants ADD COLUMN scope TEXT;
