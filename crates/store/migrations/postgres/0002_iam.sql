-- IAM users, groups, roles, managed and inline policies, attachments and tags; STS sessions;
-- credential reports. Names compare case-insensitively, as IAM's do ("you cannot create
-- resources named both MyResource and myresource"); IAM names are ASCII, so NOCASE is exact.
-- Relations point at unique ids, which survive renames. Times are epoch milliseconds.

CREATE TABLE iam_users (
    user_id    TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    user_name  TEXT COLLATE nocase NOT NULL,
    path       TEXT COLLATE "C" NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (account_id, user_name)
);

CREATE TABLE iam_groups (
    group_id   TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    group_name TEXT COLLATE nocase NOT NULL,
    path       TEXT COLLATE "C" NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (account_id, group_name)
);

CREATE TABLE iam_group_members (
    group_id TEXT COLLATE "C" NOT NULL REFERENCES iam_groups (group_id) ON DELETE CASCADE,
    user_id  TEXT COLLATE "C" NOT NULL REFERENCES iam_users (user_id) ON DELETE CASCADE,
    added_ms BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX iam_group_members_by_user ON iam_group_members (user_id);

CREATE TABLE iam_roles (
    role_id          TEXT COLLATE "C" PRIMARY KEY,
    account_id       TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    role_name        TEXT COLLATE nocase NOT NULL,
    path             TEXT COLLATE "C" NOT NULL,
    -- The trust policy exactly as given (IAM returns documents as they were written).
    trust_policy     TEXT COLLATE "C" NOT NULL,
    description      TEXT COLLATE "C",
    max_session_secs BIGINT NOT NULL,
    created_ms       BIGINT NOT NULL,
    last_used_ms     BIGINT,
    last_used_region TEXT COLLATE "C",
    UNIQUE (account_id, role_name)
);

-- Customer managed policies; AWS managed ones are built into the binary.
CREATE TABLE iam_policies (
    policy_id       TEXT COLLATE "C" PRIMARY KEY,
    account_id      TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    policy_name     TEXT COLLATE nocase NOT NULL,
    path            TEXT COLLATE "C" NOT NULL,
    arn             TEXT COLLATE "C" NOT NULL UNIQUE,
    description     TEXT COLLATE "C",
    default_version TEXT COLLATE "C" NOT NULL,
    -- The number the next version gets: IAM never reuses a version id.
    next_version    BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL,
    updated_ms      BIGINT NOT NULL,
    UNIQUE (account_id, policy_name)
);

CREATE TABLE iam_policy_versions (
    policy_id  TEXT COLLATE "C" NOT NULL REFERENCES iam_policies (policy_id) ON DELETE CASCADE,
    version_id TEXT COLLATE "C" NOT NULL,
    document   TEXT COLLATE "C" NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (policy_id, version_id)
);

-- Inline policies of users, roles and groups (owner_kind 'user' | 'role' | 'group').
CREATE TABLE iam_inline_policies (
    owner_kind  TEXT COLLATE "C" NOT NULL,
    owner_id    TEXT COLLATE "C" NOT NULL,
    policy_name TEXT COLLATE "C" NOT NULL,
    document    TEXT COLLATE "C" NOT NULL,
    created_ms  BIGINT NOT NULL,
    PRIMARY KEY (owner_kind, owner_id, policy_name)
);

-- Managed policies attached to users, roles and groups, by ARN (AWS managed ones included).
CREATE TABLE iam_attachments (
    account_id  TEXT COLLATE "C" NOT NULL,
    owner_kind  TEXT COLLATE "C" NOT NULL,
    owner_id    TEXT COLLATE "C" NOT NULL,
    policy_arn  TEXT COLLATE "C" NOT NULL,
    attached_ms BIGINT NOT NULL,
    PRIMARY KEY (owner_kind, owner_id, policy_arn)
);
CREATE INDEX iam_attachments_by_policy ON iam_attachments (account_id, policy_arn);

-- Tags of users, roles and policies (owner_kind 'user' | 'role' | 'policy'); keys are
-- case-insensitive and keep the case they were first given.
CREATE TABLE iam_tags (
    owner_kind TEXT COLLATE "C" NOT NULL,
    owner_id   TEXT COLLATE "C" NOT NULL,
    tag_key    TEXT COLLATE nocase NOT NULL,
    tag_value  TEXT COLLATE "C" NOT NULL,
    seq        BIGINT NOT NULL,
    PRIMARY KEY (owner_kind, owner_id, tag_key)
);

-- Temporary credentials from STS. The session token is kept only as a keyed hash; the secret
-- access key is sealed under the master key (AAD binds the key id).
CREATE TABLE sts_sessions (
    access_key_id  TEXT COLLATE "C" PRIMARY KEY,
    account_id     TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    secret_sealed  BYTEA NOT NULL,
    token_mac      BYTEA NOT NULL,
    -- 'role' (AssumeRole), 'user' or 'root' (GetSessionToken).
    kind           TEXT COLLATE "C" NOT NULL,
    -- The caller's ARN and unique id as GetCallerIdentity reports them.
    arn            TEXT COLLATE "C" NOT NULL,
    user_id        TEXT COLLATE "C" NOT NULL,
    user_name      TEXT COLLATE "C",
    role_id        TEXT COLLATE "C",
    role_name      TEXT COLLATE "C",
    role_arn       TEXT COLLATE "C",
    session_name   TEXT COLLATE "C",
    -- Session policies passed to AssumeRole: the inline document and a JSON array of ARNs.
    session_policy TEXT COLLATE "C",
    policy_arns    TEXT COLLATE "C",
    issued_ms      BIGINT NOT NULL,
    expires_ms     BIGINT NOT NULL
);
CREATE INDEX sts_sessions_by_expiry ON sts_sessions (expires_ms);

CREATE TABLE iam_credential_reports (
    account_id   TEXT COLLATE "C" PRIMARY KEY REFERENCES accounts (account_id),
    generated_ms BIGINT NOT NULL,
    content      BYTEA NOT NULL
);
