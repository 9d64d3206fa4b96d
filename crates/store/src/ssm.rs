//! SSM Parameter Store: parameters, their versions, labels, tags and scheduled policies. A
//! SecureString version holds only KMS ciphertext.

use crate::{Conn, Scope, StoreError};

/// One version of a parameter.
#[derive(Clone, sqlx::FromRow)]
pub struct Version {
    /// The parameter name.
    pub name: String,
    /// The version number.
    pub version: i64,
    /// `String`, `StringList` or `SecureString`.
    #[sqlx(rename = "type")]
    pub kind: String,
    /// The value of a `String` or `StringList`.
    pub value: Option<String>,
    /// The KMS ciphertext of a `SecureString`.
    pub ciphertext: Option<Vec<u8>>,
    /// The `KeyId` as the caller gave it.
    pub key_id: Option<String>,
    /// The KMS key id it resolved to.
    pub kms_key_id: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The allowed pattern.
    pub allowed_pattern: Option<String>,
    /// `text` (or an AWS data type).
    pub data_type: String,
    /// `Standard` or `Advanced`.
    pub tier: String,
    /// JSON array of the policies' texts.
    pub policies: String,
    /// When this version was written.
    pub modified_ms: i64,
    /// Who wrote it.
    pub modified_user: String,
}

impl std::fmt::Debug for Version {
    // A String parameter's value may still be something its owner would rather not see in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Version")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("kind", &self.kind)
            .field("tier", &self.tier)
            .finish_non_exhaustive()
    }
}

/// One scheduled policy of a parameter.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Policy {
    /// The parameter.
    pub name: String,
    /// Its position in the parameter's policy list.
    pub idx: i64,
    /// `Expiration`, `ExpirationNotification` or `NoChangeNotification`.
    #[sqlx(rename = "type")]
    pub kind: String,
    /// The policy's JSON text.
    pub text: String,
    /// `Pending` or `Finished`.
    pub status: String,
    /// When it fires, if it can.
    pub due_ms: Option<i64>,
}

const VERSION_COLUMNS: &str = "v.name, v.version, v.type, v.value, v.ciphertext, v.key_id, v.kms_key_id, v.description, \
    v.allowed_pattern, v.data_type, v.tier, v.policies, v.modified_ms, v.modified_user";

/// The current version of a parameter.
pub async fn current(conn: &mut Conn, scope: Scope<'_>, name: &str) -> Result<Option<Version>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM ssm_parameters p JOIN ssm_parameter_versions v \
         ON v.account_id = p.account_id AND v.region = p.region AND v.name = p.name AND v.version = p.version \
         WHERE p.account_id = $1 AND p.region = $2 AND p.name = $3"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .fetch_optional(conn)
    .await?)
}

/// One version of a parameter.
pub async fn version(
    conn: &mut Conn,
    scope: Scope<'_>,
    name: &str,
    version: i64,
) -> Result<Option<Version>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM ssm_parameter_versions v WHERE v.account_id = $1 AND v.region = $2 AND v.name = $3 \
         AND v.version = $4"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .bind(version)
    .fetch_optional(conn)
    .await?)
}

/// The current versions of the parameters whose names lie in `[from, to)`, by name (the whole
/// account and region with `("", None)`).
pub async fn list_current(
    conn: &mut Conn,
    scope: Scope<'_>,
    from: &str,
    to: Option<&str>,
) -> Result<Vec<Version>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM ssm_parameters p JOIN ssm_parameter_versions v \
         ON v.account_id = p.account_id AND v.region = p.region AND v.name = p.name AND v.version = p.version \
         WHERE p.account_id = $1 AND p.region = $2 AND p.name >= $3 AND ($4 IS NULL OR p.name < $4) ORDER BY p.name"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// Every version of a parameter, oldest first.
pub async fn history(conn: &mut Conn, scope: Scope<'_>, name: &str) -> Result<Vec<Version>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM ssm_parameter_versions v WHERE v.account_id = $1 AND v.region = $2 AND v.name = $3 \
         ORDER BY v.version"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .fetch_all(conn)
    .await?)
}

/// How many parameters of `tier` the account has in the region.
pub async fn count(conn: &mut Conn, scope: Scope<'_>, tier: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM ssm_parameters p JOIN ssm_parameter_versions v \
         ON v.account_id = p.account_id AND v.region = p.region AND v.name = p.name AND v.version = p.version \
         WHERE p.account_id = $1 AND p.region = $2 AND v.tier = $3",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(tier)
    .fetch_one(conn)
    .await?)
}

/// Stores a new version and makes it current (creating the parameter on its first version).
pub async fn put_version(conn: &mut Conn, scope: Scope<'_>, v: &Version) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ssm_parameters (account_id, region, name, version) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, region, name) DO UPDATE SET version = excluded.version",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(&v.name)
    .bind(v.version)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO ssm_parameter_versions (account_id, region, name, version, type, value, ciphertext, key_id, \
         kms_key_id, description, allowed_pattern, data_type, tier, policies, modified_ms, modified_user) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(&v.name)
    .bind(v.version)
    .bind(&v.kind)
    .bind(&v.value)
    .bind(&v.ciphertext)
    .bind(&v.key_id)
    .bind(&v.kms_key_id)
    .bind(&v.description)
    .bind(&v.allowed_pattern)
    .bind(&v.data_type)
    .bind(&v.tier)
    .bind(&v.policies)
    .bind(v.modified_ms)
    .bind(&v.modified_user)
    .execute(conn)
    .await?;
    Ok(())
}

/// The oldest version number and how many versions a parameter has.
pub async fn version_span(conn: &mut Conn, scope: Scope<'_>, name: &str) -> Result<(Option<i64>, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT MIN(version), COUNT(*) FROM ssm_parameter_versions WHERE account_id = $1 AND region = $2 AND name = $3",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .fetch_one(conn)
    .await?)
}

/// Drops one old version.
pub async fn delete_version(conn: &mut Conn, scope: Scope<'_>, name: &str, version: i64) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM ssm_parameter_versions WHERE account_id = $1 AND region = $2 AND name = $3 AND version = $4",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a parameter with all its versions, labels, tags and policies. Returns whether it existed.
pub async fn delete(conn: &mut Conn, scope: Scope<'_>, name: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query("DELETE FROM ssm_parameters WHERE account_id = $1 AND region = $2 AND name = $3")
        .bind(scope.account_id)
        .bind(scope.region)
        .bind(name)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

/// A parameter's labels with the version each is on, by label.
pub async fn labels(conn: &mut Conn, scope: Scope<'_>, name: &str) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT label, version FROM ssm_labels WHERE account_id = $1 AND region = $2 AND name = $3 ORDER BY label",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .fetch_all(conn)
    .await?)
}

/// Puts `label` on `version` (moving it from any other version).
pub async fn set_label(
    conn: &mut Conn,
    scope: Scope<'_>,
    name: &str,
    label: &str,
    version: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ssm_labels (account_id, region, name, label, version) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (account_id, region, name, label) DO UPDATE SET version = excluded.version",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .bind(label)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes `label` from `version`. Returns whether it was there.
pub async fn remove_label(
    conn: &mut Conn,
    scope: Scope<'_>,
    name: &str,
    label: &str,
    version: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "DELETE FROM ssm_labels WHERE account_id = $1 AND region = $2 AND name = $3 AND label = $4 AND version = $5",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .bind(label)
    .bind(version)
    .execute(conn)
    .await?
    .rows_affected()
        > 0)
}

/// A parameter's tags, by key.
pub async fn tags(conn: &mut Conn, scope: Scope<'_>, name: &str) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT tag_key, tag_value FROM ssm_tags WHERE account_id = $1 AND region = $2 AND name = $3 ORDER BY tag_key",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .fetch_all(conn)
    .await?)
}

/// Sets a tag (replacing its value).
pub async fn put_tag(conn: &mut Conn, scope: Scope<'_>, name: &str, key: &str, value: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ssm_tags (account_id, region, name, tag_key, tag_value) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (account_id, region, name, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .bind(key)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a tag (absent tags are not an error).
pub async fn delete_tag(conn: &mut Conn, scope: Scope<'_>, name: &str, key: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM ssm_tags WHERE account_id = $1 AND region = $2 AND name = $3 AND tag_key = $4")
        .bind(scope.account_id)
        .bind(scope.region)
        .bind(name)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// A parameter's scheduled policies, in order.
pub async fn policies(conn: &mut Conn, scope: Scope<'_>, name: &str) -> Result<Vec<Policy>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT name, idx, type, text, status, due_ms FROM ssm_policies WHERE account_id = $1 AND region = $2 AND name = $3 \
         ORDER BY idx",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .fetch_all(conn)
    .await?)
}

/// One scheduled policy.
pub async fn policy(conn: &mut Conn, scope: Scope<'_>, name: &str, idx: i64) -> Result<Option<Policy>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT name, idx, type, text, status, due_ms FROM ssm_policies WHERE account_id = $1 AND region = $2 AND name = $3 \
         AND idx = $4",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .bind(idx)
    .fetch_optional(conn)
    .await?)
}

/// Replaces a parameter's scheduled policies.
pub async fn replace_policies(
    conn: &mut Conn,
    scope: Scope<'_>,
    name: &str,
    policies: &[Policy],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM ssm_policies WHERE account_id = $1 AND region = $2 AND name = $3")
        .bind(scope.account_id)
        .bind(scope.region)
        .bind(name)
        .execute(&mut *conn)
        .await?;
    for p in policies {
        sqlx::query(
            "INSERT INTO ssm_policies (account_id, region, name, idx, type, text, status, due_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(scope.account_id)
        .bind(scope.region)
        .bind(name)
        .bind(p.idx)
        .bind(&p.kind)
        .bind(&p.text)
        .bind(&p.status)
        .bind(p.due_ms)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Records a policy's status and due time.
pub async fn update_policy(
    conn: &mut Conn,
    scope: Scope<'_>,
    name: &str,
    idx: i64,
    status: &str,
    due_ms: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE ssm_policies SET status = $1, due_ms = $2 WHERE account_id = $3 AND region = $4 AND name = $5 AND idx = $6",
    )
    .bind(status)
    .bind(due_ms)
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .bind(idx)
    .execute(conn)
    .await?;
    Ok(())
}

/// A service setting as an account last changed or reset it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Setting {
    /// The value.
    pub value: String,
    /// `Customized` or `Default`.
    pub status: String,
    /// When it was changed.
    pub modified_ms: i64,
    /// Who changed it (an ARN).
    pub modified_user: String,
}

/// A service setting of the account and region, if it was ever changed or reset.
pub async fn setting(conn: &mut Conn, scope: Scope<'_>, setting_id: &str) -> Result<Option<Setting>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT value, status, modified_ms, modified_user FROM ssm_service_settings \
         WHERE account_id = $1 AND region = $2 AND setting_id = $3",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(setting_id)
    .fetch_optional(conn)
    .await?)
}

/// Records a service setting's new value.
pub async fn put_setting(conn: &mut Conn, scope: Scope<'_>, setting_id: &str, s: &Setting) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ssm_service_settings (account_id, region, setting_id, value, status, modified_ms, modified_user) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, region, setting_id) DO UPDATE SET value = excluded.value, \
         status = excluded.status, modified_ms = excluded.modified_ms, modified_user = excluded.modified_user",
    )
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(setting_id)
    .bind(&s.value)
    .bind(&s.status)
    .bind(s.modified_ms)
    .bind(&s.modified_user)
    .execute(conn)
    .await?;
    Ok(())
}

/// When the account was created (the date a setting it never changed reports).
pub async fn account_created_ms(conn: &mut Conn, account_id: &str) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar("SELECT created_ms FROM accounts WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(conn)
        .await?)
}
