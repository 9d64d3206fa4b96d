//! Key management: creation, description, states, deletion, rotation, key policies and tags.

use super::error::KmsError;
use super::keys::{self, DAY_MS, DEFAULT_ROTATION_DAYS, DISABLED, ENABLED, PENDING_DELETION};
use super::ops::{
    CancelKeyDeletionRequest, CancelKeyDeletionResponse, CreateKeyRequest, CreateKeyResponse, DescribeKeyRequest,
    DescribeKeyResponse, DisableKeyRequest, DisableKeyRotationRequest, EnableKeyRequest, EnableKeyRotationRequest,
    GetKeyPolicyRequest, GetKeyPolicyResponse, GetKeyRotationStatusRequest, GetKeyRotationStatusResponse, KeyListEntry,
    ListKeyPoliciesRequest, ListKeyPoliciesResponse, ListKeyRotationsRequest, ListKeyRotationsResponse,
    ListKeysRequest, ListKeysResponse, ListResourceTagsRequest, ListResourceTagsResponse, PutKeyPolicyRequest,
    RotateKeyOnDemandRequest, RotateKeyOnDemandResponse, RotationsListEntry, ScheduleKeyDeletionRequest,
    ScheduleKeyDeletionResponse, Tag, TagResourceRequest, UntagResourceRequest, UpdateKeyDescriptionRequest,
};
use super::{DELETE_JOB, Op, ROTATE_JOB, epoch_seconds};
use aws_core::error::CommonError;
use aws_core::service::{Authorization, Check, Ctx, Operation};
use store::kms::Key;

/// Tags a key may carry.
const MAX_TAGS: usize = 50;
/// On-demand rotations a key may have.
const MAX_ON_DEMAND_ROTATIONS: i64 = 25;
/// The only key policy name.
const DEFAULT_POLICY: &str = "default";

/// The declared check of the operations that act on one key named by `KeyId`. Only `DescribeKey`
/// accepts an alias there.
pub(crate) async fn authorize_on_key(ctx: &Ctx<'_>, op: Op, key_ref: &str) -> Result<Authorization, KmsError> {
    let key = keys::resolve(ctx.env, ctx.account(), ctx.region, key_ref, op == Op::DescribeKey).await?;
    let mut check = keys::check(ctx, &format!("kms:{}", op.name()), &key);
    if op == Op::DescribeKey
        && let Some(alias) = keys::alias_in(key_ref)
    {
        check = check.with_condition("kms:RequestAlias", vec![alias]);
    }
    Ok(Authorization::one(check))
}

/// Begins a write transaction and reads `key_id` in it, so that the change applies to the key
/// as it is now.
async fn locked(ctx: &Ctx<'_>, key: &Key) -> Result<(store::Tx, Key), KmsError> {
    let mut tx = ctx.env.store.begin().await?;
    let current = store::kms::get_key(&mut tx, ctx.account(), ctx.region, &key.key_id)
        .await?
        .ok_or_else(|| KmsError::NotFound(format!("Key '{}' does not exist", key.arn)))?;
    Ok((tx, current))
}

async fn commit(tx: store::Tx) -> Result<(), KmsError> {
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

async fn resolve(ctx: &Ctx<'_>, key_ref: &str, aliases: bool) -> Result<Key, KmsError> {
    keys::resolve(ctx.env, ctx.account(), ctx.region, key_ref, aliases).await
}

/// Validates a key policy as KMS does. The policy crate speaks IAM's messages; KMS words a bad
/// principal its own way.
fn parse_policy(doc: &str) -> Result<(), KmsError> {
    match policy::Policy::parse_with_limit(doc, policy::PolicyKind::KeyPolicy, policy::limits::KEY_POLICY) {
        Ok(_) => Ok(()),
        Err(policy::PolicyError::TooLarge { .. }) => {
            Err(KmsError::LimitExceeded("The key policy exceeds the maximum size of 32768 characters.".into()))
        }
        Err(policy::PolicyError::InvalidPrincipal { .. }) => Err(KmsError::MalformedPolicyDocument(
            "Policy contains a statement with one or more invalid principals.".into(),
        )),
        Err(e) => Err(KmsError::MalformedPolicyDocument(e.to_string())),
    }
}

/// AWS's lockout safety check: the new policy must still let the caller change the policy.
async fn lockout_check(ctx: &Ctx<'_>, key_arn: &str, doc: &str) -> Result<(), KmsError> {
    let check =
        Check::new("kms:PutKeyPolicy", key_arn).with_resource_policy(doc.to_owned(), policy::ResourceMode::Required);
    match ctx.authorize(check).await {
        Ok(()) => Ok(()),
        Err(CommonError::AccessDenied(_)) => Err(KmsError::MalformedPolicyDocument(
            "The new key policy will not allow you to update the key policy in the future.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Validates tags to add to a key that has `existing` tags.
/// Tags as the store keeps them: (key, value).
fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter().map(|t| (t.tag_key.clone(), t.tag_value.clone())).collect()
}

fn validate_tags(tags: &[Tag], existing: &[(String, String)]) -> Result<(), KmsError> {
    let mut keys: Vec<&str> = tags.iter().map(|t| t.tag_key.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(KmsError::Tag("Duplicate tag keys".into()));
    }
    if tags.iter().any(|t| t.tag_key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))) {
        return Err(KmsError::Tag("Tags beginning with aws: are reserved".into()));
    }
    let added = tags.iter().filter(|t| !existing.iter().any(|(k, _)| *k == t.tag_key)).count();
    if existing.len() + added > MAX_TAGS {
        return Err(KmsError::Tag("Too many tags".into()));
    }
    Ok(())
}

pub(crate) fn authorize_create(input: &CreateKeyRequest) -> Authorization {
    let mut checks = vec![Check::new("kms:CreateKey", "*")];
    if input.tags.as_ref().is_some_and(|t| !t.is_empty()) {
        checks.push(Check::new("kms:TagResource", "*"));
    }
    Authorization::All(checks)
}

fn validate_spec(input: &CreateKeyRequest) -> Result<(), KmsError> {
    if input.key_spec.is_some() && input.customer_master_key_spec.is_some() {
        return Err(KmsError::validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.",
        ));
    }
    let spec =
        input.key_spec.as_deref().or(input.customer_master_key_spec.as_deref()).unwrap_or(keys::SYMMETRIC_DEFAULT);
    if spec != keys::SYMMETRIC_DEFAULT {
        return Err(KmsError::Unsupported(format!(
            "KeySpec {spec} is not supported: spcred implements symmetric encryption keys (SYMMETRIC_DEFAULT) only."
        )));
    }
    if let Some(usage) = input.key_usage.as_deref().filter(|u| *u != keys::ENCRYPT_DECRYPT) {
        return Err(KmsError::validation(format!("KeyUsage {usage} is not compatible with KeySpec SYMMETRIC_DEFAULT")));
    }
    if let Some(origin) = input.origin.as_deref().filter(|o| *o != "AWS_KMS") {
        return Err(KmsError::Unsupported(format!(
            "Origin {origin} is not supported: spcred creates AWS_KMS keys only."
        )));
    }
    if input.multi_region == Some(true) {
        return Err(KmsError::Unsupported("Multi-Region keys are not supported.".into()));
    }
    if input.custom_key_store_id.is_some() || input.xks_key_id.is_some() {
        return Err(KmsError::Unsupported("Custom key stores are not supported.".into()));
    }
    Ok(())
}

pub(crate) async fn create_key(ctx: &Ctx<'_>, input: CreateKeyRequest) -> Result<CreateKeyResponse, KmsError> {
    validate_spec(&input)?;
    let tags = input.tags.unwrap_or_default();
    validate_tags(&tags, &[])?;
    let key_id = ctx.env.ids.uuid();
    let (account, region) = (ctx.account(), ctx.region);
    let policy = match input.policy {
        Some(doc) => {
            parse_policy(&doc)?;
            if input.bypass_policy_lockout_safety_check != Some(true) {
                lockout_check(ctx, &keys::key_arn(region, account, &key_id), &doc).await?;
            }
            doc
        }
        None => keys::default_policy(account),
    };
    let spec = keys::NewKey {
        description: input.description.unwrap_or_default(),
        policy,
        key_manager: "CUSTOMER",
        rotation_days: None,
    };
    let mut tx = ctx.env.store.begin().await?;
    let key = keys::insert_new(ctx.env, &mut tx, account, region, key_id, spec, ctx.now_ms).await?;
    store::tags::KMS.put(&mut tx, &key.key_id, &pairs(&tags)).await?;
    let material_id =
        store::kms::get_material(&mut tx, &key.key_id, 1).await?.map(|m| m.material_id).unwrap_or_default();
    commit(tx).await?;
    Ok(CreateKeyResponse { key_metadata: Some(keys::metadata(&key, material_id)) })
}

pub(crate) async fn describe_key(ctx: &Ctx<'_>, input: DescribeKeyRequest) -> Result<DescribeKeyResponse, KmsError> {
    let key = resolve(ctx, &input.key_id, true).await?;
    let material_id = super::cipher::current_material_id(ctx.env, &key).await?;
    Ok(DescribeKeyResponse { key_metadata: Some(keys::metadata(&key, material_id)) })
}

/// Splits off one page of at most `limit` items from `items` (fetched with one extra to learn
/// whether more follow); returns the page and the marker of the next.
pub(crate) fn page<T>(mut items: Vec<T>, limit: usize, marker_of: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
    if items.len() > limit {
        items.truncate(limit);
        let marker = items.last().map(marker_of);
        (items, marker)
    } else {
        (items, None)
    }
}

fn limit(requested: Option<i32>, default: i64) -> i64 {
    // The wire layer holds Limit to 1..=1000.
    requested.map_or(default, i64::from)
}

pub(crate) async fn list_keys(ctx: &Ctx<'_>, input: ListKeysRequest) -> Result<ListKeysResponse, KmsError> {
    let limit = limit(input.limit, 100);
    let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let after = input.marker.unwrap_or_default();
    let rows = store::kms::list_keys(&mut conn, ctx.account(), ctx.region, &after, limit + 1).await?;
    let (rows, next_marker) = page(rows, usize::try_from(limit).unwrap_or(100), |k| k.key_id.clone());
    let keys = rows.into_iter().map(|k| KeyListEntry { key_id: Some(k.key_id), key_arn: Some(k.arn) }).collect();
    Ok(ListKeysResponse { keys: Some(keys), truncated: Some(next_marker.is_some()), next_marker })
}

pub(crate) async fn update_key_description(ctx: &Ctx<'_>, input: UpdateKeyDescriptionRequest) -> Result<(), KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    let (mut tx, mut key) = locked(ctx, &key).await?;
    keys::require_not_pending_deletion(&key)?;
    key.description = input.description;
    store::kms::update_key(&mut tx, &key).await?;
    commit(tx).await
}

pub(crate) async fn enable_key(ctx: &Ctx<'_>, input: EnableKeyRequest) -> Result<(), KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    let (mut tx, mut key) = locked(ctx, &key).await?;
    keys::require_not_pending_deletion(&key)?;
    if key.key_state != ENABLED {
        key.key_state = ENABLED.into();
        store::kms::update_key(&mut tx, &key).await?;
        // A rotation that fell due while the key was disabled happens now.
        if let Some(next) = key.next_rotation_ms
            && next <= ctx.now_ms
        {
            keys::schedule(&mut tx, ROTATE_JOB, &key.key_id, ctx.now_ms, ctx.now_ms).await?;
        }
    }
    commit(tx).await
}

pub(crate) async fn disable_key(ctx: &Ctx<'_>, input: DisableKeyRequest) -> Result<(), KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    let (mut tx, mut key) = locked(ctx, &key).await?;
    keys::require_not_pending_deletion(&key)?;
    key.key_state = DISABLED.into();
    store::kms::update_key(&mut tx, &key).await?;
    commit(tx).await
}

pub(crate) async fn schedule_key_deletion(
    ctx: &Ctx<'_>,
    input: ScheduleKeyDeletionRequest,
) -> Result<ScheduleKeyDeletionResponse, KmsError> {
    let days = input.pending_window_in_days.unwrap_or(30);
    if !(7..=30).contains(&days) {
        return Err(KmsError::validation(format!("PendingWindowInDays should be between 7 and 30, but it is {days}")));
    }
    let key = resolve(ctx, &input.key_id, false).await?;
    let (mut tx, mut key) = locked(ctx, &key).await?;
    keys::require_not_pending_deletion(&key)?;
    keys::schedule_deletion(&mut tx, &mut key, i64::from(days), ctx.now_ms).await?;
    commit(tx).await?;
    Ok(ScheduleKeyDeletionResponse {
        deletion_date: Some(epoch_seconds(key.deletion_ms.unwrap_or_default())),
        key_id: Some(key.arn),
        key_state: Some(PENDING_DELETION.to_owned()),
        pending_window_in_days: Some(days),
    })
}

pub(crate) async fn cancel_key_deletion(
    ctx: &Ctx<'_>,
    input: CancelKeyDeletionRequest,
) -> Result<CancelKeyDeletionResponse, KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    let (mut tx, mut key) = locked(ctx, &key).await?;
    if key.key_state != PENDING_DELETION {
        return Err(KmsError::InvalidState(format!("{} is not pending deletion.", key.arn)));
    }
    key.key_state = DISABLED.into();
    key.deletion_ms = None;
    key.pending_window_days = None;
    store::kms::update_key(&mut tx, &key).await?;
    keys::unschedule(&mut tx, DELETE_JOB, &key.key_id).await?;
    commit(tx).await?;
    Ok(CancelKeyDeletionResponse { key_id: Some(key.arn) })
}

pub(crate) async fn enable_key_rotation(ctx: &Ctx<'_>, input: EnableKeyRotationRequest) -> Result<(), KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    let (mut tx, mut key) = locked(ctx, &key).await?;
    keys::require_enabled(&key)?;
    // The wire layer holds RotationPeriodInDays to 90..=2560.
    let days = input.rotation_period_in_days.map_or(DEFAULT_ROTATION_DAYS, i64::from);
    let due = ctx.now_ms + days * DAY_MS;
    key.rotation_period_days = Some(days);
    key.next_rotation_ms = Some(due);
    store::kms::update_key(&mut tx, &key).await?;
    keys::unschedule(&mut tx, ROTATE_JOB, &key.key_id).await?;
    keys::schedule(&mut tx, ROTATE_JOB, &key.key_id, due, ctx.now_ms).await?;
    commit(tx).await
}

pub(crate) async fn disable_key_rotation(ctx: &Ctx<'_>, input: DisableKeyRotationRequest) -> Result<(), KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    let (mut tx, mut key) = locked(ctx, &key).await?;
    keys::require_enabled(&key)?;
    key.rotation_period_days = None;
    key.next_rotation_ms = None;
    store::kms::update_key(&mut tx, &key).await?;
    keys::unschedule(&mut tx, ROTATE_JOB, &key.key_id).await?;
    commit(tx).await
}

pub(crate) async fn get_key_rotation_status(
    ctx: &Ctx<'_>,
    input: GetKeyRotationStatusRequest,
) -> Result<GetKeyRotationStatusResponse, KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    Ok(GetKeyRotationStatusResponse {
        key_rotation_enabled: Some(key.rotation_period_days.is_some()),
        // Periods are held to 90..=2560 days.
        rotation_period_in_days: key.rotation_period_days.and_then(|d| i32::try_from(d).ok()),
        next_rotation_date: key.next_rotation_ms.map(epoch_seconds),
        key_id: Some(key.arn),
        on_demand_rotation_start_date: None,
    })
}

pub(crate) async fn rotate_key_on_demand(
    ctx: &Ctx<'_>,
    input: RotateKeyOnDemandRequest,
) -> Result<RotateKeyOnDemandResponse, KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    let (mut tx, mut key) = locked(ctx, &key).await?;
    keys::require_enabled(&key)?;
    if store::kms::count_on_demand_rotations(&mut tx, &key.key_id).await? >= MAX_ON_DEMAND_ROTATIONS {
        return Err(KmsError::LimitExceeded(format!(
            "The on-demand rotations limit has been reached for the given key {}. The limit is {MAX_ON_DEMAND_ROTATIONS}.",
            key.arn
        )));
    }
    rotate(ctx.env, &mut tx, &mut key, "ON_DEMAND", ctx.now_ms).await?;
    commit(tx).await?;
    Ok(RotateKeyOnDemandResponse { key_id: Some(key.arn) })
}

/// Adds a material version to `key` and makes it current (old ciphertexts keep their version).
pub(crate) async fn rotate(
    env: &aws_core::Env,
    conn: &mut store::Conn,
    key: &mut Key,
    rotation_type: &str,
    now: i64,
) -> Result<(), KmsError> {
    let version = key.current_version + 1;
    keys::add_material(env, conn, &key.key_id, version, Some(rotation_type), now).await?;
    key.current_version = version;
    store::kms::update_key(conn, key).await?;
    Ok(())
}

pub(crate) async fn list_key_rotations(
    ctx: &Ctx<'_>,
    input: ListKeyRotationsRequest,
) -> Result<ListKeyRotationsResponse, KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    let all = input.include_key_material.as_deref() == Some("ALL_KEY_MATERIAL");
    let after: i64 = input.marker.as_deref().and_then(|m| m.parse().ok()).unwrap_or(0);
    let limit = limit(input.limit, 100);
    let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let rows: Vec<_> = store::kms::list_materials(&mut conn, &key.key_id)
        .await?
        .into_iter()
        .filter(|m| m.version > after && (all || m.rotation_type.is_some()))
        .collect();
    let (rows, next_marker) = page(rows, usize::try_from(limit).unwrap_or(100), |m| m.version.to_string());
    let rotations = rows
        .into_iter()
        .map(|m| RotationsListEntry {
            key_id: Some(key.arn.clone()),
            key_material_state: Some(
                if m.version == key.current_version { "CURRENT" } else { "NON_CURRENT" }.to_owned(),
            ),
            rotation_date: m.rotation_type.as_ref().map(|_| epoch_seconds(m.created_ms)),
            rotation_type: m.rotation_type,
            key_material_id: Some(m.material_id),
            ..RotationsListEntry::default()
        })
        .collect();
    Ok(ListKeyRotationsResponse { rotations: Some(rotations), truncated: Some(next_marker.is_some()), next_marker })
}

pub(crate) async fn get_key_policy(
    ctx: &Ctx<'_>,
    input: GetKeyPolicyRequest,
) -> Result<GetKeyPolicyResponse, KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    if input.policy_name.as_deref().is_some_and(|n| n != DEFAULT_POLICY) {
        return Err(KmsError::NotFound("No such policy exists".into()));
    }
    Ok(GetKeyPolicyResponse { policy: Some(key.policy), policy_name: Some(DEFAULT_POLICY.to_owned()) })
}

pub(crate) async fn put_key_policy(ctx: &Ctx<'_>, input: PutKeyPolicyRequest) -> Result<(), KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    if input.policy_name.as_deref().is_some_and(|n| n != DEFAULT_POLICY) {
        return Err(KmsError::Unsupported("Only default policy is supported".into()));
    }
    keys::require_not_pending_deletion(&key)?;
    parse_policy(&input.policy)?;
    if input.bypass_policy_lockout_safety_check != Some(true) {
        lockout_check(ctx, &key.arn, &input.policy).await?;
    }
    let (mut tx, mut key) = locked(ctx, &key).await?;
    key.policy = input.policy;
    store::kms::update_key(&mut tx, &key).await?;
    commit(tx).await
}

pub(crate) async fn list_key_policies(
    ctx: &Ctx<'_>,
    input: ListKeyPoliciesRequest,
) -> Result<ListKeyPoliciesResponse, KmsError> {
    resolve(ctx, &input.key_id, false).await?;
    Ok(ListKeyPoliciesResponse {
        policy_names: Some(vec![DEFAULT_POLICY.to_owned()]),
        truncated: Some(false),
        next_marker: None,
    })
}

pub(crate) async fn tag_resource(ctx: &Ctx<'_>, input: TagResourceRequest) -> Result<(), KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    let (mut tx, key) = locked(ctx, &key).await?;
    keys::require_not_pending_deletion(&key)?;
    let existing = store::tags::KMS.list(&mut tx, &key.key_id).await?;
    validate_tags(&input.tags, &existing)?;
    store::tags::KMS.put(&mut tx, &key.key_id, &pairs(&input.tags)).await?;
    commit(tx).await
}

pub(crate) async fn untag_resource(ctx: &Ctx<'_>, input: UntagResourceRequest) -> Result<(), KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    let (mut tx, key) = locked(ctx, &key).await?;
    keys::require_not_pending_deletion(&key)?;
    store::tags::KMS.remove(&mut tx, &key.key_id, &input.tag_keys).await?;
    commit(tx).await
}

pub(crate) async fn list_resource_tags(
    ctx: &Ctx<'_>,
    input: ListResourceTagsRequest,
) -> Result<ListResourceTagsResponse, KmsError> {
    let key = resolve(ctx, &input.key_id, false).await?;
    let limit = limit(input.limit, 50);
    let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let after = input.marker.unwrap_or_default();
    let tags: Vec<Tag> = store::tags::KMS
        .list(&mut conn, &key.key_id)
        .await?
        .into_iter()
        .filter(|(k, _)| *k > after)
        .map(|(tag_key, tag_value)| Tag { tag_key, tag_value })
        .collect();
    let (tags, next_marker) = page(tags, usize::try_from(limit).unwrap_or(50), |t| t.tag_key.clone());
    Ok(ListResourceTagsResponse { tags: Some(tags), truncated: Some(next_marker.is_some()), next_marker })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str) -> Tag {
        Tag { tag_key: k.into(), tag_value: "v".into() }
    }

    #[test]
    fn tags_are_validated_like_kms() {
        assert!(validate_tags(&[tag("env"), tag("team")], &[]).is_ok());
        assert_eq!(validate_tags(&[tag("a"), tag("a")], &[]).unwrap_err().to_string(), "Duplicate tag keys");
        assert_eq!(
            validate_tags(&[tag("AWS:x")], &[]).unwrap_err().to_string(),
            "Tags beginning with aws: are reserved"
        );
        let existing: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(validate_tags(&[tag("k1")], &existing).is_ok(), "replacing a tag adds none");
        assert_eq!(validate_tags(&[tag("new")], &existing).unwrap_err().to_string(), "Too many tags");
    }

    #[test]
    fn pages_carry_a_marker_only_when_more_follow() {
        let (items, marker) = page(vec![1, 2, 3], 2, ToString::to_string);
        assert_eq!((items, marker.as_deref()), (vec![1, 2], Some("2")));
        let (items, marker) = page(vec![1, 2], 2, ToString::to_string);
        assert_eq!((items, marker), (vec![1, 2], None));
    }

    #[test]
    fn key_policies_are_checked_with_kms_wording() {
        assert!(parse_policy(&keys::default_policy("111122223333")).is_ok());
        let bad_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"nobody"},"Action":"kms:*","Resource":"*"}]}"#;
        assert_eq!(
            parse_policy(bad_principal).unwrap_err().to_string(),
            "Policy contains a statement with one or more invalid principals."
        );
        assert!(matches!(parse_policy("{"), Err(KmsError::MalformedPolicyDocument(_))));
        let huge = format!(r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}"}}]}}"#, "x".repeat(40_000));
        assert!(matches!(parse_policy(&huge), Err(KmsError::LimitExceeded(_))));
    }
}
