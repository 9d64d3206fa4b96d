-- KMS: customer and AWS managed keys with their key material versions, aliases and tags.
-- Key material is stored only sealed under the master key (AAD binds key id and version).
-- Times are epoch milliseconds.

CREATE TABLE kms_keys (
    key_id               TEXT COLLATE "C" PRIMARY KEY,
    account_id           TEXT COLLATE "C" NOT NULL,
    region               TEXT COLLATE "C" NOT NULL,
    arn                  TEXT COLLATE "C" NOT NULL UNIQUE,
    description          TEXT COLLATE "C" NOT NULL,
    key_usage            TEXT COLLATE "C" NOT NULL,
    key_spec             TEXT COLLATE "C" NOT NULL,
    -- Enabled, Disabled or PendingDeletion.
    key_state            TEXT COLLATE "C" NOT NULL,
    -- CUSTOMER or AWS.
    key_manager          TEXT COLLATE "C" NOT NULL,
    origin               TEXT COLLATE "C" NOT NULL,
    policy               TEXT COLLATE "C" NOT NULL,
    created_ms           BIGINT NOT NULL,
    -- Set while the key is pending deletion.
    deletion_ms          BIGINT,
    pending_window_days  BIGINT,
    -- Automatic rotation: set while enabled.
    rotation_period_days BIGINT,
    next_rotation_ms     BIGINT,
    -- The material version new ciphertexts use.
    current_version      BIGINT NOT NULL
);
CREATE INDEX kms_keys_by_account ON kms_keys (account_id, region, key_id);

CREATE TABLE kms_key_material (
    key_id          TEXT COLLATE "C" NOT NULL REFERENCES kms_keys (key_id) ON DELETE CASCADE,
    version         BIGINT NOT NULL,
    -- 256-bit material sealed under the master key.
    material_sealed BYTEA NOT NULL,
    -- A random public identifier (KeyMaterialId), unrelated to the material.
    material_id     TEXT COLLATE "C" NOT NULL,
    created_ms      BIGINT NOT NULL,
    -- NULL for the key's first material, else AUTOMATIC or ON_DEMAND.
    rotation_type   TEXT COLLATE "C",
    PRIMARY KEY (key_id, version)
);

CREATE TABLE kms_aliases (
    account_id    TEXT COLLATE "C" NOT NULL,
    region        TEXT COLLATE "C" NOT NULL,
    alias_name    TEXT COLLATE "C" NOT NULL,
    target_key_id TEXT COLLATE "C" NOT NULL REFERENCES kms_keys (key_id) ON DELETE CASCADE,
    created_ms    BIGINT NOT NULL,
    updated_ms    BIGINT NOT NULL,
    PRIMARY KEY (account_id, region, alias_name)
);
CREATE INDEX kms_aliases_by_target ON kms_aliases (target_key_id);

CREATE TABLE kms_tags (
    key_id    TEXT COLLATE "C" NOT NULL REFERENCES kms_keys (key_id) ON DELETE CASCADE,
    tag_key   TEXT COLLATE "C" NOT NULL,
    tag_value TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (key_id, tag_key)
);
