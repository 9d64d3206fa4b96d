-- SNS: topics, subscriptions, pending confirmation tokens, tags, and the key that signs
-- deliveries. Times are epoch milliseconds.

CREATE TABLE sns_topics (
    arn        TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    name       TEXT NOT NULL,
    -- JSON object of the attributes a caller set (DisplayName, Policy, DeliveryPolicy, ...).
    attributes TEXT NOT NULL,
    subscriptions_deleted INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);
CREATE INDEX sns_topics_by_account ON sns_topics (account_id, region, arn);

CREATE TABLE sns_subscriptions (
    arn           TEXT PRIMARY KEY,
    topic_arn     TEXT NOT NULL REFERENCES sns_topics (arn) ON DELETE CASCADE,
    owner         TEXT NOT NULL,
    region        TEXT NOT NULL,
    protocol      TEXT NOT NULL,
    endpoint      TEXT NOT NULL,
    confirmed     INTEGER NOT NULL,
    -- ConfirmationWasAuthenticated: only a signed request may then unsubscribe.
    authenticated INTEGER NOT NULL DEFAULT 0,
    -- JSON object of the subscription's attributes (RawMessageDelivery, FilterPolicy, ...).
    attributes    TEXT NOT NULL,
    created_ms    INTEGER NOT NULL
);
CREATE INDEX sns_subscriptions_by_topic ON sns_subscriptions (topic_arn, arn);
CREATE INDEX sns_subscriptions_by_owner ON sns_subscriptions (owner, region, arn);

-- Confirmation tokens are bearer secrets: only their keyed hash is kept.
CREATE TABLE sns_tokens (
    mac              BLOB PRIMARY KEY,
    subscription_arn TEXT NOT NULL REFERENCES sns_subscriptions (arn) ON DELETE CASCADE,
    expires_ms       INTEGER NOT NULL
);
CREATE INDEX sns_tokens_by_subscription ON sns_tokens (subscription_arn);

CREATE TABLE sns_tags (
    arn   TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);

-- One signing key per store: the private key sealed under the master key, its certificate
-- public (served at the SigningCertURL).
CREATE TABLE sns_signing (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    key_sealed BLOB NOT NULL,
    cert_pem   TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
