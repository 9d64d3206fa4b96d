-- SNS: topics, subscriptions, pending confirmation tokens, tags, and the key that signs
-- deliveries. Times are epoch milliseconds.

CREATE TABLE sns_topics (
    arn        TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL,
    region     TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    -- JSON object of the attributes a caller set (DisplayName, Policy, DeliveryPolicy, ...).
    attributes TEXT COLLATE "C" NOT NULL,
    subscriptions_deleted BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL
);
CREATE INDEX sns_topics_by_account ON sns_topics (account_id, region, arn);

CREATE TABLE sns_subscriptions (
    arn           TEXT COLLATE "C" PRIMARY KEY,
    topic_arn     TEXT COLLATE "C" NOT NULL REFERENCES sns_topics (arn) ON DELETE CASCADE,
    owner         TEXT COLLATE "C" NOT NULL,
    region        TEXT COLLATE "C" NOT NULL,
    protocol      TEXT COLLATE "C" NOT NULL,
    endpoint      TEXT COLLATE "C" NOT NULL,
    confirmed     BIGINT NOT NULL,
    -- ConfirmationWasAuthenticated: only a signed request may then unsubscribe.
    authenticated BIGINT NOT NULL DEFAULT 0,
    -- JSON object of the subscription's attributes (RawMessageDelivery, FilterPolicy, ...).
    attributes    TEXT COLLATE "C" NOT NULL,
    created_ms    BIGINT NOT NULL
);
CREATE INDEX sns_subscriptions_by_topic ON sns_subscriptions (topic_arn, arn);
CREATE INDEX sns_subscriptions_by_owner ON sns_subscriptions (owner, region, arn);

-- Confirmation tokens are bearer secrets: only their keyed hash is kept.
CREATE TABLE sns_tokens (
    mac              BYTEA PRIMARY KEY,
    subscription_arn TEXT COLLATE "C" NOT NULL REFERENCES sns_subscriptions (arn) ON DELETE CASCADE,
    expires_ms       BIGINT NOT NULL
);
CREATE INDEX sns_tokens_by_subscription ON sns_tokens (subscription_arn);

CREATE TABLE sns_tags (
    arn   TEXT COLLATE "C" NOT NULL,
    key   TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (arn, key)
);

-- One signing key per store: the private key sealed under the master key, its certificate
-- public (served at the SigningCertURL).
CREATE TABLE sns_signing (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    key_sealed BYTEA NOT NULL,
    cert_pem   TEXT COLLATE "C" NOT NULL,
    created_ms BIGINT NOT NULL
);
