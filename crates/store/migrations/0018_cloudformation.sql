-- CloudFormation: stacks, the resources they made, their events, and change sets. Templates,
-- parameter values and resolved resource properties are sealed under the at-rest key (bound to
-- the stack or change set): a template's parameters may carry secrets (NoEcho).

CREATE TABLE cfn_stacks (
    -- arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID
    stack_id         TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL,
    region           TEXT NOT NULL,
    name             TEXT NOT NULL,
    status           TEXT NOT NULL,
    status_reason    TEXT,
    description      TEXT,
    -- Sealed JSON: {"template": "...", "parameters": [...], "outputs": [...]}.
    body             BLOB NOT NULL,
    -- JSON arrays.
    capabilities     TEXT NOT NULL,
    tags             TEXT NOT NULL,
    disable_rollback INTEGER NOT NULL,
    created_ms       INTEGER NOT NULL,
    updated_ms       INTEGER,
    deleted_ms       INTEGER
);
-- One live stack per name; deleted ones stay, found by their id.
CREATE UNIQUE INDEX cfn_stacks_live ON cfn_stacks (account_id, region, name) WHERE deleted_ms IS NULL;

CREATE TABLE cfn_resources (
    stack_id      TEXT NOT NULL REFERENCES cfn_stacks (stack_id) ON DELETE CASCADE,
    logical_id    TEXT NOT NULL,
    physical_id   TEXT NOT NULL,
    type          TEXT NOT NULL,
    status        TEXT NOT NULL,
    status_reason TEXT,
    -- Sealed JSON: {"properties": {...}, "attributes": {...}}.
    state         BLOB NOT NULL,
    updated_ms    INTEGER NOT NULL,
    PRIMARY KEY (stack_id, logical_id)
);

CREATE TABLE cfn_events (
    id            INTEGER PRIMARY KEY,
    stack_id      TEXT NOT NULL REFERENCES cfn_stacks (stack_id) ON DELETE CASCADE,
    event_id      TEXT NOT NULL,
    time_ms       INTEGER NOT NULL,
    logical_id    TEXT NOT NULL,
    physical_id   TEXT NOT NULL,
    type          TEXT NOT NULL,
    status        TEXT NOT NULL,
    status_reason TEXT
);
CREATE INDEX cfn_events_by_stack ON cfn_events (stack_id, id);

CREATE TABLE cfn_change_sets (
    change_set_id    TEXT PRIMARY KEY,
    stack_id         TEXT NOT NULL REFERENCES cfn_stacks (stack_id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    -- CREATE or UPDATE.
    kind             TEXT NOT NULL,
    status           TEXT NOT NULL,
    status_reason    TEXT,
    execution_status TEXT NOT NULL,
    description      TEXT,
    -- Sealed JSON: {"template": "...", "parameters": [...]}.
    body             BLOB NOT NULL,
    -- JSON array of the changes, as DescribeChangeSet shows them.
    changes          TEXT NOT NULL,
    capabilities     TEXT NOT NULL,
    tags             TEXT NOT NULL,
    created_ms       INTEGER NOT NULL,
    UNIQUE (stack_id, name)
);
