-- Several accounts per store, and AWS Organizations: organizations with their root,
-- organizational units, member accounts, policies (service control policies) and where each
-- policy is attached. Targets (the root, an OU or an account) are referred to by their id.

ALTER TABLE accounts ADD COLUMN name TEXT COLLATE "C";
ALTER TABLE accounts ADD COLUMN email TEXT COLLATE "C";

CREATE TABLE org_organizations (
    org_id             TEXT COLLATE "C" PRIMARY KEY,
    management_account TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES accounts (account_id),
    root_id            TEXT COLLATE "C" NOT NULL UNIQUE,
    feature_set        TEXT COLLATE "C" NOT NULL,
    -- Whether the SERVICE_CONTROL_POLICY type is enabled on the root.
    scp_enabled        BIGINT NOT NULL DEFAULT 0,
    created_ms         BIGINT NOT NULL
);

CREATE TABLE org_units (
    ou_id      TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES org_organizations (org_id) ON DELETE CASCADE,
    parent_id  TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (parent_id, name)
);

CREATE TABLE org_members (
    account_id    TEXT COLLATE "C" PRIMARY KEY REFERENCES accounts (account_id),
    org_id        TEXT COLLATE "C" NOT NULL REFERENCES org_organizations (org_id) ON DELETE CASCADE,
    parent_id     TEXT COLLATE "C" NOT NULL,
    -- 'CREATED' or 'INVITED'.
    joined_method TEXT COLLATE "C" NOT NULL,
    joined_ms     BIGINT NOT NULL
);
CREATE INDEX org_members_by_parent ON org_members (parent_id);

-- Customer managed policies; the AWS managed FullAWSAccess is built into the binary.
CREATE TABLE org_policies (
    policy_id   TEXT COLLATE "C" PRIMARY KEY,
    org_id      TEXT COLLATE "C" NOT NULL REFERENCES org_organizations (org_id) ON DELETE CASCADE,
    name        TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C" NOT NULL,
    policy_type TEXT COLLATE "C" NOT NULL,
    content     TEXT COLLATE "C" NOT NULL,
    created_ms  BIGINT NOT NULL,
    UNIQUE (org_id, policy_type, name)
);

CREATE TABLE org_attachments (
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES org_organizations (org_id) ON DELETE CASCADE,
    policy_id  TEXT COLLATE "C" NOT NULL,
    target_id  TEXT COLLATE "C" NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (org_id, policy_id, target_id)
);
CREATE INDEX org_attachments_by_target ON org_attachments (target_id);

CREATE TABLE org_create_account_requests (
    request_id   TEXT COLLATE "C" PRIMARY KEY,
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES org_organizations (org_id) ON DELETE CASCADE,
    account_name TEXT COLLATE "C" NOT NULL,
    account_id   TEXT COLLATE "C",
    -- 'SUCCEEDED' or 'FAILED' (accounts are made at once).
    state        TEXT COLLATE "C" NOT NULL,
    failure      TEXT COLLATE "C",
    requested_ms BIGINT NOT NULL,
    completed_ms BIGINT NOT NULL
);
