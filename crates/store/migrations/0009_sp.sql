-- The SP-API sandbox: Developer Central (the developer profile, apps and their LWA client
-- secrets), selling partners with sample orders, authorizations (refresh tokens), access tokens,
-- one-time grants (consent states, authorization codes), the Notifications API's destinations and
-- subscriptions, and the record of notification deliveries. Bearer secrets are kept only as keyed
-- hashes (`verifier`), never in plain text. Times are epoch milliseconds.

CREATE TABLE sp_developers (
    developer_id TEXT PRIMARY KEY,
    organization TEXT NOT NULL,
    -- The registration form, as JSON.
    profile      TEXT NOT NULL,
    -- The roles approved for the profile, as a JSON array.
    roles        TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL
);

CREATE TABLE sp_apps (
    app_id                     TEXT PRIMARY KEY,
    developer_id               TEXT NOT NULL REFERENCES sp_developers (developer_id),
    name                       TEXT NOT NULL,
    client_id                  TEXT NOT NULL UNIQUE,
    status                     TEXT NOT NULL,
    vendor                     INTEGER NOT NULL,
    roles                      TEXT NOT NULL,
    login_uris                 TEXT NOT NULL,
    redirect_uris              TEXT NOT NULL,
    iam_arn                    TEXT,
    expiry_queue_arn           TEXT,
    new_secret_queue_arn       TEXT,
    expiry_subscription_id     TEXT,
    new_secret_subscription_id TEXT,
    created_ms                 INTEGER NOT NULL
);

CREATE TABLE sp_client_secrets (
    secret_id  TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES sp_apps (app_id),
    verifier   BLOB NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE INDEX sp_client_secrets_by_app ON sp_client_secrets (app_id, created_ms);

CREATE TABLE sp_sellers (
    selling_partner_id TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    -- Marketplace ids, as a JSON array.
    marketplaces       TEXT NOT NULL,
    -- The selling partner's usage plan relative to Amazon's defaults (1 = the published rates).
    rate_scale         REAL NOT NULL DEFAULT 1,
    created_ms         INTEGER NOT NULL
);

CREATE TABLE sp_authorizations (
    id                 INTEGER PRIMARY KEY,
    app_id             TEXT NOT NULL REFERENCES sp_apps (app_id),
    selling_partner_id TEXT NOT NULL REFERENCES sp_sellers (selling_partner_id),
    -- The refresh token's verifier.
    verifier           BLOB NOT NULL UNIQUE,
    -- `self` (self-authorization) or `oauth` (the website workflow).
    via                TEXT NOT NULL,
    created_ms         INTEGER NOT NULL,
    revoked_ms         INTEGER
);
CREATE INDEX sp_authorizations_by_pair ON sp_authorizations (app_id, selling_partner_id);

CREATE TABLE sp_access_tokens (
    verifier           BLOB PRIMARY KEY,
    -- `seller`, `grantless` or `rdt`.
    kind               TEXT NOT NULL,
    app_id             TEXT NOT NULL,
    selling_partner_id TEXT,
    authorization_id   INTEGER,
    -- A grantless token's scope.
    scope              TEXT,
    -- A restricted data token's restricted resources, as JSON.
    resources          TEXT,
    expires_ms         INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sp_access_tokens_by_expiry ON sp_access_tokens (expires_ms);

-- One-time grants of the website authorization workflow: the `amazon_state` handed to the app's
-- login URI, and the `spapi_oauth_code` handed to its redirect URI.
CREATE TABLE sp_grants (
    verifier           BLOB PRIMARY KEY,
    kind               TEXT NOT NULL,
    app_id             TEXT NOT NULL,
    selling_partner_id TEXT NOT NULL,
    redirect_uri       TEXT,
    beta               INTEGER NOT NULL DEFAULT 0,
    expires_ms         INTEGER NOT NULL,
    used_ms            INTEGER
) WITHOUT ROWID;
CREATE INDEX sp_grants_by_expiry ON sp_grants (expires_ms);

CREATE TABLE sp_destinations (
    destination_id TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES sp_apps (app_id),
    name           TEXT NOT NULL,
    sqs_arn        TEXT,
    eb_account_id  TEXT,
    eb_region      TEXT,
    eb_name        TEXT,
    created_ms     INTEGER NOT NULL
);
CREATE INDEX sp_destinations_by_app ON sp_destinations (app_id);

CREATE TABLE sp_subscriptions (
    subscription_id      TEXT PRIMARY KEY,
    app_id               TEXT NOT NULL REFERENCES sp_apps (app_id),
    -- NULL for notification types that belong to the application rather than a selling partner.
    selling_partner_id   TEXT,
    notification_type    TEXT NOT NULL,
    destination_id       TEXT NOT NULL REFERENCES sp_destinations (destination_id),
    payload_version      TEXT NOT NULL,
    processing_directive TEXT,
    created_ms           INTEGER NOT NULL
);
CREATE UNIQUE INDEX sp_subscriptions_unique ON sp_subscriptions (app_id, IFNULL(selling_partner_id, ''), notification_type);
CREATE INDEX sp_subscriptions_by_type ON sp_subscriptions (notification_type, selling_partner_id);

CREATE TABLE sp_orders (
    amazon_order_id    TEXT PRIMARY KEY,
    selling_partner_id TEXT NOT NULL REFERENCES sp_sellers (selling_partner_id),
    marketplace_id     TEXT NOT NULL,
    purchase_ms        INTEGER NOT NULL,
    updated_ms         INTEGER NOT NULL,
    status             TEXT NOT NULL,
    -- The order, its items, address and buyer, as JSON.
    document           TEXT NOT NULL
);
CREATE INDEX sp_orders_by_seller ON sp_orders (selling_partner_id, purchase_ms, amazon_order_id);

CREATE TABLE sp_deliveries (
    id                INTEGER PRIMARY KEY,
    app_id            TEXT NOT NULL,
    notification_id   TEXT NOT NULL,
    notification_type TEXT NOT NULL,
    destination       TEXT NOT NULL,
    -- `Delivered` or `Failed`.
    outcome           TEXT NOT NULL,
    error             TEXT,
    time_ms           INTEGER NOT NULL
);
CREATE INDEX sp_deliveries_by_app ON sp_deliveries (app_id, id);
