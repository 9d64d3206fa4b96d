-- Several accounts per store, and AWS Organizations: organizations with their root,
-- organizational units, member accounts, policies (service control policies) and where each
-- policy is attached. Targets (the root, an OU or an account) are referred to by their id.

ALTER TABLE accounts ADD COLUMN name TEXT;
ALTER TABLE accounts ADD COLUMN email TEXT;

CREATE TABLE org_organizations (
    org_id             TEXT PRIMARY KEY,
    management_account TEXT NOT NULL UNIQUE REFERENCES accounts (account_id),
    root_id            TEXT NOT NULL UNIQUE,
    feature_set        TEXT NOT NULL,
    -- Whether the SERVICE_CONTROL_POLICY type is enabled on the root.
    scp_enabled        INTEGER NOT NULL DEFAULT 0,
    created_ms         INTEGER NOT NULL
);

CREATE TABLE org_units (
    ou_id      TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES org_organizations (org_id) ON DELETE CASCADE,
    parent_id  TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    UNIQUE (parent_id, name)
);

CREATE TABLE org_members (
    account_id    TEXT PRIMARY KEY REFERENCES accounts (account_id),
    org_id        TEXT NOT NULL REFERENCES org_organizations (org_id) ON DELETE CASCADE,
    parent_id     TEXT NOT NULL,
    -- 'CREATED' or 'INVITED'.
    joined_method TEXT NOT NULL,
    joined_ms     INTEGER NOT NULL
);
CREATE INDEX org_members_by_parent ON org_members (parent_id);

-- Customer managed policies; the AWS managed FullAWSAccess is built into the binary.
CREATE TABLE org_policies (
    policy_id   TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES org_organizations (org_id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    policy_type TEXT NOT NULL,
    content     TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    UNIQUE (org_id, policy_type, name)
);

CREATE TABLE org_attachments (
    org_id     TEXT NOT NULL REFERENCES org_organizations (org_id) ON DELETE CASCADE,
    policy_id  TEXT NOT NULL,
    target_id  TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (org_id, policy_id, target_id)
);
CREATE INDEX org_attachments_by_target ON org_attachments (target_id);

CREATE TABLE org_create_account_requests (
    request_id   TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES org_organizations (org_id) ON DELETE CASCADE,
    account_name TEXT NOT NULL,
    account_id   TEXT,
    -- 'SUCCEEDED' or 'FAILED' (accounts are made at once).
    state        TEXT NOT NULL,
    failure      TEXT,
    requested_ms INTEGER NOT NULL,
    completed_ms INTEGER NOT NULL
);
