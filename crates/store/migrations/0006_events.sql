-- EventBridge: event buses, rules, their targets, and tags. Times are epoch milliseconds.

CREATE TABLE events_buses (
    account_id  TEXT NOT NULL,
    region      TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    -- Bumped by every change to the bus's rules or targets, in the same transaction, so that a
    -- router holding compiled patterns knows when to load them again.
    generation  INTEGER NOT NULL DEFAULT 0,
    created_ms  INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, name)
);

CREATE TABLE events_rules (
    account_id    TEXT NOT NULL,
    region        TEXT NOT NULL,
    bus           TEXT NOT NULL,
    name          TEXT NOT NULL,
    arn           TEXT NOT NULL,
    event_pattern TEXT,
    schedule      TEXT,
    state         TEXT NOT NULL,
    description   TEXT,
    role_arn      TEXT,
    created_by    TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, bus, name),
    FOREIGN KEY (account_id, region, bus) REFERENCES events_buses (account_id, region, name) ON DELETE CASCADE
);
CREATE UNIQUE INDEX events_rules_by_arn ON events_rules (arn);

CREATE TABLE events_targets (
    account_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    bus        TEXT NOT NULL,
    rule       TEXT NOT NULL,
    id         TEXT NOT NULL,
    arn        TEXT NOT NULL,
    -- The target as PutTargets received it (the normalised input), as ListTargetsByRule returns it.
    spec       TEXT NOT NULL,
    -- Insertion order, which listings keep.
    seq        INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, bus, rule, id),
    FOREIGN KEY (account_id, region, bus, rule) REFERENCES events_rules (account_id, region, bus, name) ON DELETE CASCADE
);
CREATE INDEX events_targets_by_arn ON events_targets (account_id, region, arn);

CREATE TABLE events_tags (
    arn   TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);

-- Every event a bus received, as routed, with how many rules it matched (what AWS shows in its
-- metrics and archives): the way to see that an event happened and where it went.
CREATE TABLE events_log (
    -- The id of the job that routed the event: the log is in the order events were put.
    id          INTEGER PRIMARY KEY,
    time_ms     INTEGER NOT NULL,
    account_id  TEXT NOT NULL,
    region      TEXT NOT NULL,
    bus         TEXT NOT NULL,
    source      TEXT NOT NULL,
    detail_type TEXT NOT NULL,
    event       TEXT NOT NULL,
    matched     INTEGER NOT NULL
);
CREATE INDEX events_log_by_time ON events_log (time_ms, id);
