-- SSM Parameter Store: parameters with their versions, labels, tags and policies. SecureString
-- values are stored only as KMS ciphertext (column ciphertext); value holds String and
-- StringList values. Times are epoch milliseconds.

CREATE TABLE ssm_parameters (
    account_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    name       TEXT NOT NULL,
    -- The current version.
    version    INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, name)
);

CREATE TABLE ssm_parameter_versions (
    account_id      TEXT NOT NULL,
    region          TEXT NOT NULL,
    name            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    type            TEXT NOT NULL,
    value           TEXT,
    ciphertext      BLOB,
    -- The KeyId as the caller gave it (reported back), and the key it resolved to.
    key_id          TEXT,
    kms_key_id      TEXT,
    description     TEXT,
    allowed_pattern TEXT,
    data_type       TEXT NOT NULL,
    tier            TEXT NOT NULL,
    -- JSON array of the policies' texts in force for this version.
    policies        TEXT NOT NULL,
    modified_ms     INTEGER NOT NULL,
    modified_user   TEXT NOT NULL,
    PRIMARY KEY (account_id, region, name, version),
    FOREIGN KEY (account_id, region, name) REFERENCES ssm_parameters (account_id, region, name) ON DELETE CASCADE
);

CREATE TABLE ssm_labels (
    account_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    name       TEXT NOT NULL,
    label      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, name, label),
    FOREIGN KEY (account_id, region, name) REFERENCES ssm_parameters (account_id, region, name) ON DELETE CASCADE
);

CREATE TABLE ssm_tags (
    account_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    name       TEXT NOT NULL,
    tag_key    TEXT NOT NULL,
    tag_value  TEXT NOT NULL,
    PRIMARY KEY (account_id, region, name, tag_key),
    FOREIGN KEY (account_id, region, name) REFERENCES ssm_parameters (account_id, region, name) ON DELETE CASCADE
);

-- The parameter's policies as scheduled: one row per policy of the current set.
CREATE TABLE ssm_policies (
    account_id TEXT NOT NULL,
    region     TEXT NOT NULL,
    name       TEXT NOT NULL,
    idx        INTEGER NOT NULL,
    type       TEXT NOT NULL,
    text       TEXT NOT NULL,
    -- Pending or Finished.
    status     TEXT NOT NULL,
    -- When it fires (server clock); NULL when it has nothing to fire on.
    due_ms     INTEGER,
    PRIMARY KEY (account_id, region, name, idx),
    FOREIGN KEY (account_id, region, name) REFERENCES ssm_parameters (account_id, region, name) ON DELETE CASCADE
);
