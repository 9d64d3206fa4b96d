-- Outbound deliveries (SNS notifications and confirmations, EventBridge target invocations):
-- one row per message and destination with its state, every attempt, and the local outbox that
-- stands in for SMTP and SMS when no provider is configured. Times are epoch milliseconds.

CREATE TABLE deliveries (
    id           TEXT PRIMARY KEY,
    created_ms   INTEGER NOT NULL,
    -- The topic or rule ARN the message comes from.
    source       TEXT NOT NULL,
    -- The subscription ARN, or the rule's target id.
    destination  TEXT NOT NULL,
    -- email, email-json, sms, http, https, sqs (SNS); sns, sqs, events (EventBridge targets).
    protocol     TEXT NOT NULL,
    endpoint     TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    -- Notification, SubscriptionConfirmation, UnsubscribeConfirmation, Event, DeadLetter.
    message_type TEXT NOT NULL,
    -- pending, delivered, failed.
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    updated_ms   INTEGER NOT NULL,
    delivered_ms INTEGER
);
CREATE INDEX deliveries_by_time ON deliveries (created_ms, id);
CREATE INDEX deliveries_by_status ON deliveries (status, created_ms);

CREATE TABLE delivery_attempts (
    delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    -- delivered, retrying, failed.
    outcome     TEXT NOT NULL,
    detail      TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    delivery_id TEXT NOT NULL UNIQUE,
    created_ms  INTEGER NOT NULL,
    -- email or sms.
    channel     TEXT NOT NULL,
    sender      TEXT,
    recipient   TEXT NOT NULL,
    subject     TEXT,
    body        TEXT NOT NULL
);
CREATE INDEX outbox_by_time ON outbox (created_ms, id);
