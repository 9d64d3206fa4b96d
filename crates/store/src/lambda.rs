//! Lambda state: functions, with their sealed code, encrypted environment and resource policy.
//! Changes are made against the revision the caller read, so two updates never interleave.

use crate::{Conn, Query, Scope, StoreError};

/// A function as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Function {
    /// Its name.
    pub name: String,
    /// A random id, fixed for the function's life (log stream names use it).
    pub function_id: String,
    /// e.g. `python3.12`.
    pub runtime: String,
    /// `module.function`.
    pub handler: String,
    /// The execution role's ARN.
    pub role: String,
    /// Its description.
    pub description: String,
    /// Seconds an invocation may run.
    pub timeout_s: i64,
    /// MB of memory.
    pub memory_mb: i64,
    /// MB of `/tmp`.
    pub ephemeral_mb: i64,
    /// `x86_64` or `arm64`.
    pub architecture: String,
    /// The variables' KMS ciphertext.
    pub environment: Option<Vec<u8>>,
    /// The customer managed key for the variables, if one was given.
    pub kms_key_arn: Option<String>,
    /// The sealed zip.
    pub code: Vec<u8>,
    /// Base64 of the zip's SHA-256.
    pub code_sha256: String,
    /// The zip's size in bytes.
    pub code_size: i64,
    /// Changes with every update.
    pub revision_id: String,
    /// When it last changed.
    pub last_modified_ms: i64,
    /// The resource-based policy.
    pub policy: Option<String>,
    /// Tags, a JSON object.
    pub tags: String,
}

/// The columns a change rewrites, in the order [`bind_state`] binds them.
const STATE: &str = "runtime, handler, role, description, timeout_s, memory_mb, ephemeral_mb, architecture, \
     environment, kms_key_arn, code, code_sha256, code_size, revision_id, last_modified_ms, policy, tags";
const COLUMNS: &str = "name, function_id, runtime, handler, role, description, timeout_s, memory_mb, ephemeral_mb, \
     architecture, environment, kms_key_arn, code, code_sha256, code_size, revision_id, last_modified_ms, policy, tags";

/// Binds `f`'s [`STATE`] columns as `$1` to `$17`.
fn bind_state<'q>(query: Query<'q>, f: &'q Function) -> Query<'q> {
    query
        .bind(&f.runtime)
        .bind(&f.handler)
        .bind(&f.role)
        .bind(&f.description)
        .bind(f.timeout_s)
        .bind(f.memory_mb)
        .bind(f.ephemeral_mb)
        .bind(&f.architecture)
        .bind(&f.environment)
        .bind(&f.kms_key_arn)
        .bind(&f.code)
        .bind(&f.code_sha256)
        .bind(f.code_size)
        .bind(&f.revision_id)
        .bind(f.last_modified_ms)
        .bind(&f.policy)
        .bind(&f.tags)
}

/// Creates a function; `false` when one of that name exists.
pub async fn insert(conn: &mut Conn, scope: Scope<'_>, f: &Function) -> Result<bool, StoreError> {
    let sql = format!(
        "INSERT INTO lambda_functions ({STATE}, account_id, region, name, function_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
         ON CONFLICT DO NOTHING"
    );
    let done = bind_state(sqlx::query(&sql), f)
        .bind(scope.account_id)
        .bind(scope.region)
        .bind(&f.name)
        .bind(&f.function_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the function's state with `f` if its revision is still `expected_revision`;
/// `false` when another change came first.
pub async fn replace(
    conn: &mut Conn,
    scope: Scope<'_>,
    expected_revision: &str,
    f: &Function,
) -> Result<bool, StoreError> {
    let query = sqlx::query(
        "UPDATE lambda_functions SET runtime = $1, handler = $2, role = $3, description = $4, timeout_s = $5, \
         memory_mb = $6, ephemeral_mb = $7, architecture = $8, environment = $9, kms_key_arn = $10, code = $11, \
         code_sha256 = $12, code_size = $13, revision_id = $14, last_modified_ms = $15, policy = $16, tags = $17 \
         WHERE account_id = $18 AND region = $19 AND name = $20 AND revision_id = $21",
    );
    let done = bind_state(query, f)
        .bind(scope.account_id)
        .bind(scope.region)
        .bind(&f.name)
        .bind(expected_revision)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The function named `name`.
pub async fn get(conn: &mut Conn, scope: Scope<'_>, name: &str) -> Result<Option<Function>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM lambda_functions WHERE account_id = $1 AND region = $2 AND name = $3"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(name)
    .fetch_optional(conn)
    .await?)
}

/// Up to `limit` functions named after `after`, by name.
pub async fn list(conn: &mut Conn, scope: Scope<'_>, after: &str, limit: i64) -> Result<Vec<Function>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM lambda_functions WHERE account_id = $1 AND region = $2 AND name > $3 \
         ORDER BY name LIMIT $4"
    ))
    .bind(scope.account_id)
    .bind(scope.region)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Deletes the function; `false` when there was none.
pub async fn delete(conn: &mut Conn, scope: Scope<'_>, name: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM lambda_functions WHERE account_id = $1 AND region = $2 AND name = $3")
        .bind(scope.account_id)
        .bind(scope.region)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
