-- KMS: customer and AWS managed keys with their key material versions, aliases and tags.
-- Key material is stored only sealed under the master key (AAD binds key id and version).
-- Times are epoch milliseconds.

CREATE TABLE kms_keys (
    key_id               TEXT PRIMARY KEY,
    account_id           TEXT NOT NULL,
    region               TEXT NOT NULL,
    arn                  TEXT NOT NULL UNIQUE,
    description          TEXT NOT NULL,
    key_usage            TEXT NOT NULL,
    key_spec             TEXT NOT NULL,
    -- Enabled, Disabled or PendingDeletion.
    key_state            TEXT NOT NULL,
    -- CUSTOMER or AWS.
    key_manager          TEXT NOT NULL,
    origin               TEXT NOT NULL,
    policy               TEXT NOT NULL,
    created_ms           INTEGER NOT NULL,
    -- Set while the key is pending deletion.
    deletion_ms          INTEGER,
    pending_window_days  INTEGER,
    -- Automatic rotation: set while enabled.
    rotation_period_days INTEGER,
    next_rotation_ms     INTEGER,
    -- The material version new ciphertexts use.
    current_version      INTEGER NOT NULL
);
CREATE INDEX kms_keys_by_account ON kms_keys (account_id, region, key_id);

CREATE TABLE kms_key_material (
    key_id          TEXT NOT NULL REFERENCES kms_keys (key_id) ON DELETE CASCADE,
    version         INTEGER NOT NULL,
    -- 256-bit material sealed under the master key.
    material_sealed BLOB NOT NULL,
    -- A random public identifier (KeyMaterialId), unrelated to the material.
    material_id     TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    -- NULL for the key's first material, else AUTOMATIC or ON_DEMAND.
    rotation_type   TEXT,
    PRIMARY KEY (key_id, version)
);

CREATE TABLE kms_aliases (
    account_id    TEXT NOT NULL,
    region        TEXT NOT NULL,
    alias_name    TEXT NOT NULL,
    target_key_id TEXT NOT NULL REFERENCES kms_keys (key_id) ON DELETE CASCADE,
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, alias_name)
);
CREATE INDEX kms_aliases_by_target ON kms_aliases (target_key_id);

CREATE TABLE kms_tags (
    key_id    TEXT NOT NULL REFERENCES kms_keys (key_id) ON DELETE CASCADE,
    tag_key   TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (key_id, tag_key)
);
