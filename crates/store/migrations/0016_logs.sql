-- CloudWatch Logs: log groups, their streams, and the events put to them. Event messages are
-- sealed under the at-rest key (bound to the stream and the event's id): what a Lambda function
-- prints may hold tokens, and AWS encrypts log data at rest too.

CREATE TABLE logs_groups (
    account_id     TEXT NOT NULL,
    region         TEXT NOT NULL,
    name           TEXT NOT NULL,
    created_ms     INTEGER NOT NULL,
    -- NULL: kept forever.
    retention_days INTEGER,
    kms_key_id     TEXT,
    -- STANDARD, INFREQUENT_ACCESS or DELIVERY.
    class          TEXT NOT NULL,
    -- JSON object of tags.
    tags           TEXT NOT NULL,
    PRIMARY KEY (account_id, region, name)
);

CREATE TABLE logs_streams (
    id                INTEGER PRIMARY KEY,
    account_id        TEXT NOT NULL,
    region            TEXT NOT NULL,
    group_name        TEXT NOT NULL,
    name              TEXT NOT NULL,
    created_ms        INTEGER NOT NULL,
    first_event_ms    INTEGER,
    last_event_ms     INTEGER,
    last_ingestion_ms INTEGER,
    stored_bytes      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account_id, region, group_name, name),
    FOREIGN KEY (account_id, region, group_name) REFERENCES logs_groups (account_id, region, name) ON DELETE CASCADE
);

CREATE TABLE logs_events (
    id           INTEGER PRIMARY KEY,
    stream_id    INTEGER NOT NULL REFERENCES logs_streams (id) ON DELETE CASCADE,
    timestamp_ms INTEGER NOT NULL,
    ingestion_ms INTEGER NOT NULL,
    -- The message's length in bytes (what storedBytes and the batch limit count).
    size         INTEGER NOT NULL,
    message      BLOB NOT NULL
);
CREATE INDEX logs_events_by_time ON logs_events (stream_id, timestamp_ms, id);
