-- SQS: queues, their messages, FIFO deduplication records, and recently deleted queue names.
-- Times are epoch milliseconds on the server clock. AUTOINCREMENT keeps row ids from ever being
-- reused, because receipt handles name a queue and a message by row id.

CREATE TABLE sqs_queues (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  TEXT NOT NULL,
    region      TEXT NOT NULL,
    name        TEXT NOT NULL,
    fifo        INTEGER NOT NULL,
    -- The settable attributes as JSON (the service's QueueConfig).
    attributes  TEXT NOT NULL,
    -- Tags as a JSON object.
    tags        TEXT NOT NULL,
    -- The RedrivePolicy's deadLetterTargetArn, for ListDeadLetterSourceQueues.
    dlq_arn     TEXT,
    created_ms  INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    purged_ms   INTEGER,
    -- The last FIFO sequence number handed out.
    last_seq    INTEGER NOT NULL,
    UNIQUE (account_id, region, name)
);
CREATE INDEX sqs_queues_by_dlq ON sqs_queues (dlq_arn) WHERE dlq_arn IS NOT NULL;

CREATE TABLE sqs_messages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_id         INTEGER NOT NULL REFERENCES sqs_queues (id) ON DELETE CASCADE,
    message_id       TEXT NOT NULL,
    -- The body, sealed under the master key when the queue has server-side encryption.
    body             BLOB NOT NULL,
    sealed           INTEGER NOT NULL,
    md5_body         TEXT NOT NULL,
    -- Message attributes as JSON, or NULL.
    attributes       TEXT,
    -- System attributes fixed at send time (SenderId, AWSTraceHeader, DeadLetterQueueSourceArn)
    -- as a JSON object.
    system           TEXT NOT NULL,
    -- When it entered the queue; retention counts from here (kept across a dead-letter move).
    sent_ms          INTEGER NOT NULL,
    -- When it can next be received: after its delay, or when its visibility timeout ends.
    visible_ms       INTEGER NOT NULL,
    receive_count    INTEGER NOT NULL DEFAULT 0,
    first_receive_ms INTEGER,
    -- When the current receive happened (the 12-hour visibility limit counts from here).
    received_ms      INTEGER,
    group_id         TEXT,
    dedup_id         TEXT,
    sequence_number  TEXT
);
CREATE INDEX sqs_messages_ready ON sqs_messages (queue_id, visible_ms);
CREATE INDEX sqs_messages_by_age ON sqs_messages (queue_id, sent_ms);
CREATE INDEX sqs_messages_by_group ON sqs_messages (queue_id, group_id, visible_ms) WHERE group_id IS NOT NULL;
-- A queue's messages in the order they were sent, for FIFO receives (which stop at the first few).
CREATE INDEX sqs_messages_in_order ON sqs_messages (queue_id, id);

-- FIFO deduplication: a (queue, key) seen within the last five minutes is accepted but not enqueued.
CREATE TABLE sqs_dedup (
    queue_id        INTEGER NOT NULL REFERENCES sqs_queues (id) ON DELETE CASCADE,
    dedup_key       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    sequence_number TEXT NOT NULL,
    expires_ms      INTEGER NOT NULL,
    PRIMARY KEY (queue_id, dedup_key)
);
CREATE INDEX sqs_dedup_by_expiry ON sqs_dedup (queue_id, expires_ms);

-- A queue name cannot be reused for 60 seconds after its queue is deleted.
CREATE TABLE sqs_deleted (
    account_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    name       TEXT NOT NULL,
    deleted_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, name)
);
