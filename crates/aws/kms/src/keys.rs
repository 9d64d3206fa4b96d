//! Keys: identifiers and their resolution, states, policies, creation and metadata.

use super::error::KmsError;
use super::ops::KeyMetadata;
use super::{DELETE_JOB, ROTATE_JOB, epoch_seconds};
use aws_core::env::Env;
use aws_core::service::{Check, Ctx};
use crypto::kms::KeyMaterial;
use store::kms::{Alias, Key, Material};

/// `Enabled`.
pub(crate) const ENABLED: &str = "Enabled";
/// `Disabled`.
pub(crate) const DISABLED: &str = "Disabled";
/// `PendingDeletion`.
pub(crate) const PENDING_DELETION: &str = "PendingDeletion";
/// Key manager of keys that AWS services create for the account.
const AWS_MANAGED: &str = "AWS";
/// The one key spec and usage spcred implements.
pub(crate) const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";
/// See [`SYMMETRIC_DEFAULT`].
pub(crate) const ENCRYPT_DECRYPT: &str = "ENCRYPT_DECRYPT";
/// Days between automatic rotations when none is chosen (and for AWS managed keys).
pub(crate) const DEFAULT_ROTATION_DAYS: i64 = 365;
pub(crate) const DAY_MS: i64 = 86_400_000;

/// An AWS managed key spcred creates on first use.
struct Managed {
    alias: &'static str,
    /// The service it serves through (`kms:ViaService` is `SERVICE.REGION.amazonaws.com`).
    service: &'static str,
    description: &'static str,
    /// Its key policy's `Id`.
    policy_id: &'static str,
    /// How the key policy's statement names the service: "through X ... authorized to use Y".
    through: &'static str,
    users_of: &'static str,
}

const MANAGED: &[Managed] = &[
    Managed {
        alias: "alias/aws/ssm",
        service: "ssm",
        description: "Default master key that protects my SSM parameters when no other key is defined",
        policy_id: "auto-ssm-2",
        through: "AWS Systems Manager",
        users_of: "AWS Systems Manager",
    },
    Managed {
        alias: "alias/aws/sqs",
        service: "sqs",
        description: "Default key that protects my SQS messages when no other key is defined",
        policy_id: "auto-sqs-1",
        through: "Simple Queue Service (SQS)",
        users_of: "SQS",
    },
    Managed {
        alias: "alias/aws/lambda",
        service: "lambda",
        description: "Default key that protects my Lambda functions when no other key is defined",
        policy_id: "auto-lambda-1",
        through: "AWS Lambda",
        users_of: "AWS Lambda",
    },
];

/// The ARN of key `key_id`.
pub(crate) fn key_arn(region: &str, account: &str, key_id: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{key_id}")
}

/// The ARN of alias `alias_name` (`alias/...`).
pub(crate) fn alias_arn(region: &str, account: &str, alias_name: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:{alias_name}")
}

/// Whether `s` looks like a key id (a UUID).
fn is_key_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter()
            .enumerate()
            .all(|(i, c)| if [8, 13, 18, 23].contains(&i) { *c == b'-' } else { c.is_ascii_hexdigit() })
}

/// What a `KeyId` parameter names.
enum KeyRef {
    Key { region: Option<String>, account: Option<String>, id: String },
    Alias(String),
}

fn parse_key_ref(s: &str) -> Option<KeyRef> {
    if let Some(rest) = s.strip_prefix("arn:aws:kms:") {
        let mut parts = rest.splitn(3, ':');
        let (region, account, resource) = (parts.next()?, parts.next()?, parts.next()?);
        if let Some(id) = resource.strip_prefix("key/") {
            return Some(KeyRef::Key { region: Some(region.into()), account: Some(account.into()), id: id.into() });
        }
        return resource.starts_with("alias/").then(|| KeyRef::Alias(resource.into()));
    }
    if s.starts_with("alias/") {
        return Some(KeyRef::Alias(s.into()));
    }
    (!s.starts_with("arn:")).then(|| KeyRef::Key { region: None, account: None, id: s.into() })
}

fn invalid_key_id(s: &str) -> KmsError {
    KmsError::NotFound(format!("Invalid keyId '{s}'"))
}

/// Whether `key_ref` names the key through an alias (for `kms:RequestAlias`).
pub(crate) fn alias_in(key_ref: &str) -> Option<String> {
    match parse_key_ref(key_ref)? {
        KeyRef::Alias(name) => Some(name),
        KeyRef::Key { .. } => None,
    }
}

/// Resolves a `KeyId` parameter: a key id or key ARN, and when `aliases` an alias name or alias
/// ARN. An AWS managed alias that does not exist yet is created with its key, as AWS does.
/// Opens its own short write transaction in that case, so it must not be called inside one.
pub(crate) async fn resolve(
    env: &Env,
    account: &str,
    region: &str,
    key_ref: &str,
    aliases: bool,
) -> Result<Key, KmsError> {
    let parsed = parse_key_ref(key_ref).ok_or_else(|| invalid_key_id(key_ref))?;
    let mut conn = env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    match parsed {
        KeyRef::Key { region: arn_region, account: arn_account, id } => {
            if let Some(r) = arn_region.as_deref()
                && r != region
            {
                return Err(KmsError::NotFound(format!("Invalid arn {r}")));
            }
            if !is_key_id(&id) {
                return Err(invalid_key_id(&id));
            }
            let owner = arn_account.as_deref().unwrap_or(account);
            let found =
                if owner == account { store::kms::get_key(&mut conn, account, region, &id).await? } else { None };
            found.ok_or_else(|| KmsError::NotFound(format!("Key '{}' does not exist", key_arn(region, owner, &id))))
        }
        KeyRef::Alias(name) => {
            if !aliases {
                return Err(invalid_key_id(key_ref));
            }
            if let Some(alias) = store::kms::get_alias(&mut conn, account, region, &name).await?
                && let Some(key) = store::kms::get_key(&mut conn, account, region, &alias.target_key_id).await?
            {
                return Ok(key);
            }
            drop(conn);
            if MANAGED.iter().any(|m| m.alias == name) {
                return ensure_managed(env, account, region, &name).await;
            }
            Err(alias_not_found(region, account, &name))
        }
    }
}

/// `NotFoundException` for a missing alias, naming it by ARN as AWS does.
pub(crate) fn alias_not_found(region: &str, account: &str, alias_name: &str) -> KmsError {
    KmsError::NotFound(format!("Alias {} is not found.", alias_arn(region, account, alias_name)))
}

/// The AWS managed key behind `alias` (e.g. `alias/aws/ssm`), created on first use.
pub(crate) async fn ensure_managed(env: &Env, account: &str, region: &str, alias: &str) -> Result<Key, KmsError> {
    let managed = MANAGED.iter().find(|m| m.alias == alias).ok_or_else(|| alias_not_found(region, account, alias))?;
    let now = env.now_ms();
    let mut tx = env.store.begin().await?;
    // Writes are serialised, so checking inside the transaction cannot race another creator.
    if let Some(existing) = store::kms::get_alias(&mut tx, account, region, alias).await?
        && let Some(key) = store::kms::get_key(&mut tx, account, region, &existing.target_key_id).await?
    {
        return Ok(key);
    }
    let spec = NewKey {
        description: managed.description.to_owned(),
        policy: managed_policy(account, region, managed),
        key_manager: AWS_MANAGED,
        rotation_days: Some(DEFAULT_ROTATION_DAYS),
    };
    let key = insert_new(env, &mut tx, account, region, env.ids.uuid(), spec, now).await?;
    store::kms::delete_alias(&mut tx, account, region, alias).await?;
    let alias =
        Alias { alias_name: alias.to_owned(), target_key_id: key.key_id.clone(), created_ms: now, updated_ms: now };
    store::kms::insert_alias(&mut tx, account, region, &alias).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(key)
}

/// The predefined AWS managed aliases that exist before their key is created.
pub(crate) fn managed_aliases() -> impl Iterator<Item = &'static str> {
    MANAGED.iter().map(|m| m.alias)
}

/// What a new key is made of.
pub(crate) struct NewKey {
    pub(crate) description: String,
    pub(crate) policy: String,
    pub(crate) key_manager: &'static str,
    pub(crate) rotation_days: Option<i64>,
}

/// Creates a key with fresh material inside `conn`'s transaction, scheduling its rotation.
pub(crate) async fn insert_new(
    env: &Env,
    conn: &mut store::Conn,
    account: &str,
    region: &str,
    key_id: String,
    spec: NewKey,
    now: i64,
) -> Result<Key, KmsError> {
    let next_rotation_ms = spec.rotation_days.map(|d| now + d * DAY_MS);
    let key = Key {
        arn: key_arn(region, account, &key_id),
        key_id,
        account_id: account.to_owned(),
        region: region.to_owned(),
        description: spec.description,
        key_usage: ENCRYPT_DECRYPT.into(),
        key_spec: SYMMETRIC_DEFAULT.into(),
        key_state: ENABLED.into(),
        key_manager: spec.key_manager.into(),
        origin: "AWS_KMS".into(),
        policy: spec.policy,
        created_ms: now,
        deletion_ms: None,
        pending_window_days: None,
        rotation_period_days: spec.rotation_days,
        next_rotation_ms,
        current_version: 1,
    };
    store::kms::insert_key(conn, &key).await?;
    add_material(env, conn, &key.key_id, 1, None, now).await?;
    if let Some(due) = next_rotation_ms {
        schedule(conn, ROTATE_JOB, &key.key_id, due, now).await?;
    }
    Ok(key)
}

/// Creates material version `version` of `key_id`.
pub(crate) async fn add_material(
    env: &Env,
    conn: &mut store::Conn,
    key_id: &str,
    version: i64,
    rotation_type: Option<&str>,
    now: i64,
) -> Result<(), KmsError> {
    let material = KeyMaterial::generate(env.rng.as_ref());
    let sealed_version = u32::try_from(version).map_err(|_| KmsError::Common(aws_core::CommonError::Internal))?;
    let row = Material {
        key_id: key_id.to_owned(),
        version,
        material_sealed: material.seal(&env.at_rest, env.rng.as_ref(), key_id, sealed_version),
        material_id: env.ids.hex(32),
        created_ms: now,
        rotation_type: rotation_type.map(str::to_owned),
    };
    store::kms::insert_material(conn, &row).await?;
    Ok(())
}

/// The job payload that names a key (deterministic, so that it can be cancelled).
pub(crate) fn job_payload(key_id: &str) -> String {
    serde_json::json!({ "key_id": key_id }).to_string()
}

/// Queues `kind` for `key_id` at `due`.
pub(crate) async fn schedule(
    conn: &mut store::Conn,
    kind: &str,
    key_id: &str,
    due: i64,
    now: i64,
) -> Result<(), KmsError> {
    store::jobs::enqueue(conn, kind, due, &job_payload(key_id), now).await?;
    Ok(())
}

/// Drops the queued `kind` jobs of `key_id`.
pub(crate) async fn unschedule(conn: &mut store::Conn, kind: &str, key_id: &str) -> Result<(), KmsError> {
    store::jobs::cancel(conn, kind, &job_payload(key_id)).await?;
    Ok(())
}

/// Schedules the deletion of `key` in `days` days.
pub(crate) async fn schedule_deletion(
    conn: &mut store::Conn,
    key: &mut Key,
    days: i64,
    now: i64,
) -> Result<(), KmsError> {
    let due = now + days * DAY_MS;
    key.key_state = PENDING_DELETION.into();
    key.deletion_ms = Some(due);
    key.pending_window_days = Some(days);
    store::kms::update_key(conn, key).await?;
    schedule(conn, DELETE_JOB, &key.key_id, due, now).await
}

/// Fails unless the key can be used for cryptography.
pub(crate) fn require_enabled(key: &Key) -> Result<(), KmsError> {
    match key.key_state.as_str() {
        ENABLED => Ok(()),
        DISABLED => Err(KmsError::Disabled(format!("{} is disabled.", key.arn))),
        _ => Err(pending_deletion(key)),
    }
}

/// Fails when the key is pending deletion (operations that work on disabled keys).
pub(crate) fn require_not_pending_deletion(key: &Key) -> Result<(), KmsError> {
    if key.key_state == PENDING_DELETION { Err(pending_deletion(key)) } else { Ok(()) }
}

/// `KMSInvalidStateException` for a key pending deletion.
pub(crate) fn pending_deletion(key: &Key) -> KmsError {
    KmsError::InvalidState(format!("{} is pending deletion.", key.arn))
}

/// The permission check of `action` on `key`, with its key policy deciding together with IAM
/// (`Required`: a key policy must allow, as AWS KMS requires) and the key's condition keys.
pub(crate) fn check(ctx: &Ctx<'_>, action: &str, key: &Key) -> Check {
    Check::new(action, key.arn.clone())
        .with_resource_policy(key.policy.clone(), policy::ResourceMode::Required)
        .with_condition("kms:CallerAccount", vec![ctx.account().to_owned()])
        .with_condition("kms:KeySpec", vec![key.key_spec.clone()])
        .with_condition("kms:KeyUsage", vec![key.key_usage.clone()])
        .with_condition("kms:KeyOrigin", vec![key.origin.clone()])
}

/// The default key policy: the account root principal may do everything, which lets IAM
/// policies grant access. Pretty-printed the way AWS returns it from `GetKeyPolicy`.
pub(crate) fn default_policy(account: &str) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \
         \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \
         \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

/// The policy AWS gives a managed key: every principal of the account may use it through its
/// service, and the account may read its metadata.
fn managed_policy(account: &str, region: &str, managed: &Managed) -> String {
    let Managed { service, policy_id, through, users_of, .. } = managed;
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"{policy_id}\",\n  \"Statement\" : [ {{\n    \"Sid\" : \
         \"Allow access through {through} for all principals in the account that are authorized to use \
         {users_of}\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"*\"\n    }},\n    \
         \"Action\" : [ \"kms:Encrypt\", \"kms:Decrypt\", \"kms:ReEncrypt*\", \"kms:GenerateDataKey*\", \
         \"kms:CreateGrant\", \"kms:DescribeKey\" ],\n    \"Resource\" : \"*\",\n    \"Condition\" : {{\n      \
         \"StringEquals\" : {{\n        \"kms:CallerAccount\" : \"{account}\",\n        \"kms:ViaService\" : \
         \"{service}.{region}.amazonaws.com\"\n      }}\n    }}\n  }}, {{\n    \"Sid\" : \"Allow direct access to key \
         metadata to the account\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \
         \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : [ \"kms:Describe*\", \"kms:Get*\", \"kms:List*\", \
         \"kms:RevokeGrant\" ],\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

/// The `KeyMetadata` `CreateKey` and `DescribeKey` return of `key`, whose current material has
/// id `material_id`.
pub(crate) fn metadata(key: &Key, material_id: String) -> KeyMetadata {
    KeyMetadata {
        aws_account_id: Some(key.account_id.clone()),
        key_id: key.key_id.clone(),
        arn: Some(key.arn.clone()),
        creation_date: Some(epoch_seconds(key.created_ms)),
        enabled: Some(key.key_state == ENABLED),
        description: Some(key.description.clone()),
        key_usage: Some(key.key_usage.clone()),
        key_state: Some(key.key_state.clone()),
        deletion_date: key.deletion_ms.map(epoch_seconds),
        origin: Some(key.origin.clone()),
        key_manager: Some(key.key_manager.clone()),
        customer_master_key_spec: Some(key.key_spec.clone()),
        key_spec: Some(key.key_spec.clone()),
        encryption_algorithms: Some(vec![SYMMETRIC_DEFAULT.to_owned()]),
        multi_region: Some(false),
        current_key_material_id: Some(material_id),
        ..KeyMetadata::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_uuids() {
        assert!(is_key_id("1234abcd-12ab-34cd-56ef-1234567890ab"));
        for bad in ["1234abcd12ab34cd56ef1234567890ab", "fake-key-id", "1234abcd-12ab-34cd-56ef-1234567890aZ", ""] {
            assert!(!is_key_id(bad), "{bad}");
        }
    }

    #[test]
    fn key_references_parse_like_aws() {
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(matches!(parse_key_ref(id), Some(KeyRef::Key { region: None, .. })));
        let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{id}");
        assert!(
            matches!(parse_key_ref(&arn), Some(KeyRef::Key { region: Some(r), account: Some(a), id: i }) if r == "us-east-1" && a == "111122223333" && i == id)
        );
        assert!(matches!(parse_key_ref("alias/app"), Some(KeyRef::Alias(n)) if n == "alias/app"));
        assert!(
            matches!(parse_key_ref("arn:aws:kms:us-east-1:111122223333:alias/app"), Some(KeyRef::Alias(n)) if n == "alias/app")
        );
        assert!(parse_key_ref("arn:aws:s3:::bucket").is_none());
        assert!(parse_key_ref("arn:aws:kms:us-east-1").is_none());
        assert_eq!(alias_in("alias/app").as_deref(), Some("alias/app"));
        assert_eq!(alias_in(id), None);
    }

    #[test]
    fn the_default_and_managed_policies_are_valid_key_policies() {
        let managed = MANAGED.iter().map(|m| managed_policy("111122223333", "us-east-1", m));
        for doc in std::iter::once(default_policy("111122223333")).chain(managed) {
            policy::Policy::parse(&doc, policy::PolicyKind::KeyPolicy).unwrap();
            let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
            assert_eq!(v["Version"], "2012-10-17");
        }
        let v: serde_json::Value = serde_json::from_str(&default_policy("111122223333")).unwrap();
        assert_eq!(v["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::111122223333:root");
        assert_eq!(v["Statement"][0]["Action"], "kms:*");
    }
}
