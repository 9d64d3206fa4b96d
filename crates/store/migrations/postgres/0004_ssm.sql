-- SSM Parameter Store: parameters with their versions, labels, tags and policies. SecureString
-- values are stored only as KMS ciphertext (column ciphertext); value holds String and
-- StringList values. Times are epoch milliseconds.

CREATE TABLE ssm_parameters (
    account_id TEXT COLLATE "C" NOT NULL,
    region     TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    -- The current version.
    version    BIGINT NOT NULL,
    PRIMARY KEY (account_id, region, name)
);

CREATE TABLE ssm_parameter_versions (
    account_id      TEXT COLLATE "C" NOT NULL,
    region          TEXT COLLATE "C" NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    version         BIGINT NOT NULL,
    type            TEXT COLLATE "C" NOT NULL,
    value           TEXT COLLATE "C",
    ciphertext      BYTEA,
    -- The KeyId as the caller gave it (reported back), and the key it resolved to.
    key_id          TEXT COLLATE "C",
    kms_key_id      TEXT COLLATE "C",
    description     TEXT COLLATE "C",
    allowed_pattern TEXT COLLATE "C",
    data_type       TEXT COLLATE "C" NOT NULL,
    tier            TEXT COLLATE "C" NOT NULL,
    -- JSON array of the policies' texts in force for this version.
    policies        TEXT COLLATE "C" NOT NULL,
    modified_ms     BIGINT NOT NULL,
    modified_user   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, region, name, version),
    FOREIGN KEY (account_id, region, name) REFERENCES ssm_parameters (account_id, region, name) ON DELETE CASCADE
);

CREATE TABLE ssm_labels (
    account_id TEXT COLLATE "C" NOT NULL,
    region     TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    label      TEXT COLLATE "C" NOT NULL,
    version    BIGINT NOT NULL,
    PRIMARY KEY (account_id, region, name, label),
    FOREIGN KEY (account_id, region, name) REFERENCES ssm_parameters (account_id, region, name) ON DELETE CASCADE
);

CREATE TABLE ssm_tags (
    account_id TEXT COLLATE "C" NOT NULL,
    region     TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    tag_key    TEXT COLLATE "C" NOT NULL,
    tag_value  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, region, name, tag_key),
    FOREIGN KEY (account_id, region, name) REFERENCES ssm_parameters (account_id, region, name) ON DELETE CASCADE
);

-- The parameter's policies as scheduled: one row per policy of the current set.
CREATE TABLE ssm_policies (
    account_id TEXT COLLATE "C" NOT NULL,
    region     TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    idx        BIGINT NOT NULL,
    type       TEXT COLLATE "C" NOT NULL,
    text       TEXT COLLATE "C" NOT NULL,
    -- Pending or Finished.
    status     TEXT COLLATE "C" NOT NULL,
    -- When it fires (server clock); NULL when it has nothing to fire on.
    due_ms     BIGINT,
    PRIMARY KEY (account_id, region, name, idx),
    FOREIGN KEY (account_id, region, name) REFERENCES ssm_parameters (account_id, region, name) ON DELETE CASCADE
);
