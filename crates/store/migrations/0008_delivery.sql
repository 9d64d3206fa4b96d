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

-- Job ids must never be reused. A handler that completes its job in the transaction of its
-- effect (a delivery recorded, an event routed) is followed by the runner completing it again
-- by id; with SQLite's default rowid reuse, a job inserted in between could take the freed id
-- and be deleted unrun. AUTOINCREMENT never hands an id out twice.
CREATE TABLE jobs_autoincrement (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    due_ms      INTEGER NOT NULL,
    payload     TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    lease_until INTEGER,
    created_ms  INTEGER NOT NULL
);
INSERT INTO jobs_autoincrement (id, kind, due_ms, payload, attempts, last_error, lease_until, created_ms)
    SELECT id, kind, due_ms, payload, attempts, last_error, lease_until, created_ms FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_autoincrement RENAME TO jobs;
CREATE INDEX jobs_by_due ON jobs (due_ms);
