//! AWS Security Token Service (awsQuery, global): who am I, temporary credentials for role
//! sessions (`AssumeRole`) and for users (`GetSessionToken`), and which account a key belongs to.

/// STS's service model (generated from botocore by `tools/gen-models.py`).
pub static MODEL: std::sync::LazyLock<wire::ServiceModel> =
    std::sync::LazyLock::new(|| aws_core::models::load("sts", include_str!("../models/sts.json")));

pub mod ops;

pub use ops::Op;
mod port;
pub use port::StsRoleSessions;

use aws_core::authz::denied;
use aws_core::caller::CallerKind;
use aws_core::error::{CommonError, Flavor, ServiceError};
use aws_core::service::{self, Authorization, Check, Ctx, Service};
use base64::Engine;
use ops::{
    AssumeRoleRequest, AssumeRoleResponse, AssumedRoleUser, Credentials, GetAccessKeyInfoRequest,
    GetAccessKeyInfoResponse, GetCallerIdentityResponse, GetSessionTokenRequest, GetSessionTokenResponse, Request,
};
use policy::{Policy, PolicyKind, ResourceMode};
use serde_json::Value;
use std::fmt;

/// STS errors.
#[derive(Debug)]
pub enum StsError {
    /// `MalformedPolicyDocument` (400): a session policy IAM's grammar refuses.
    MalformedPolicyDocument(String),
    /// `PackedPolicyTooLarge` (400): session policies over their packed size.
    PackedPolicyTooLarge(String),
    /// A pipeline failure.
    Common(CommonError),
}

impl From<CommonError> for StsError {
    fn from(e: CommonError) -> Self {
        StsError::Common(e)
    }
}

impl From<store::StoreError> for StsError {
    fn from(e: store::StoreError) -> Self {
        StsError::Common(e.into())
    }
}

impl StsError {
    fn parts(&self) -> (&str, u16, String) {
        match self {
            StsError::MalformedPolicyDocument(m) => ("MalformedPolicyDocument", 400, m.clone()),
            StsError::PackedPolicyTooLarge(m) => ("PackedPolicyTooLarge", 400, m.clone()),
            StsError::Common(e) => e.render(Flavor::Query),
        }
    }
}

impl fmt::Display for StsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.parts().2)
    }
}

impl ServiceError for StsError {
    fn code(&self) -> &str {
        self.parts().0
    }

    fn status(&self) -> u16 {
        self.parts().1
    }
}

fn validation(message: &str) -> StsError {
    StsError::Common(CommonError::Validation(message.to_owned()))
}

/// `AssumeRole`'s session when the request names no `DurationSeconds`.
const DEFAULT_SESSION_SECS: i64 = 3_600;
/// Longest sessions: role chaining is limited to one hour; `GetSessionToken` to 36 hours for
/// users, one hour for root.
const CHAINED_MAX_SECS: i64 = 3_600;
const USER_SESSION_DEFAULT_SECS: i64 = 43_200;
const ROOT_SESSION_SECS: i64 = 3_600;
/// Expired sessions are remembered this long, so their use is `ExpiredToken`, not unknown.
const EXPIRED_KEPT_MS: i64 = 30 * 86_400 * 1_000;

/// The role named by a role ARN: (account, name).
pub(crate) fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("role/")?;
    let name = path_and_name.rsplit('/').next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()).then_some((account, name))
}

/// The STS service.
#[derive(Debug, Default)]
pub struct Sts;

#[async_trait::async_trait]
impl Service for Sts {
    type Request = Request;
    type Error = StsError;

    fn signing_name(&self) -> &'static str {
        "sts"
    }

    fn model(&self) -> &'static wire::ServiceModel {
        &crate::MODEL
    }

    fn flavor(&self) -> Flavor {
        Flavor::Query
    }

    async fn authorize(&self, ctx: &Ctx<'_>, request: &Request) -> Result<Authorization, StsError> {
        Ok(match request {
            // "No permissions are required to perform this operation" (STS API reference), and
            // for GetSessionToken: "No permissions are required for users to perform this operation".
            Request::GetCallerIdentity(_) | Request::GetSessionToken(_) => Authorization::NotRequired,
            Request::GetAccessKeyInfo(_) => Authorization::one(Check::new("sts:GetAccessKeyInfo", "*")),
            Request::AssumeRole(input) => Authorization::one(assume_role_check(ctx, input).await?),
        })
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: Request) -> Result<Value, StsError> {
        Ok(match request {
            Request::GetCallerIdentity(_) => service::output(&GetCallerIdentityResponse {
                user_id: Some(ctx.caller.user_id.clone()),
                account: Some(ctx.caller.account_id.clone()),
                arn: Some(ctx.caller.arn.clone()),
            })?,
            Request::AssumeRole(input) => service::output(&assume_role(ctx, input).await?)?,
            Request::GetSessionToken(input) => service::output(&session_token(ctx, &input).await?)?,
            Request::GetAccessKeyInfo(input) => service::output(&access_key_info(ctx, &input).await?)?,
        })
    }
}

/// `AssumeRole` needs the role's trust policy to let the caller in and, unless it names the
/// caller, the caller's own `sts:AssumeRole` permission on the role.
pub(crate) async fn assume_role_check(ctx: &Ctx<'_>, input: &AssumeRoleRequest) -> Result<Check, StsError> {
    if ctx.caller.is_root() {
        return Err(StsError::Common(CommonError::AccessDenied("Roles may not be assumed by root accounts.".into())));
    }
    let (account, name) =
        parse_role_arn(&input.role_arn).ok_or_else(|| validation(&format!("{} is invalid", input.role_arn)))?;
    // The role may be in another of the store's accounts: its trust policy and the caller's
    // own permissions then decide together.
    let mut conn = store::iam::reader(&ctx.env.store).await?;
    let role = store::iam::role_by_name(&mut conn, account, name).await?;
    drop(conn);
    // An unknown role is denied like a forbidden one, so that existence does not leak.
    let Some(role) = role else {
        return Err(StsError::Common(denied(&ctx.caller.arn, &Check::new("sts:AssumeRole", &input.role_arn))));
    };
    let mut check = Check::new("sts:AssumeRole", store::iam::role_arn(&role))
        .with_resource_policy(role.trust_policy, ResourceMode::Required)
        .with_condition("sts:RoleSessionName", vec![input.role_session_name.clone()]);
    if let Some(id) = &input.external_id {
        check = check.with_condition("sts:ExternalId", vec![id.clone()]);
    }
    if let Some(source) = &input.source_identity {
        check = check.with_condition("sts:SourceIdentity", vec![source.clone()]);
    }
    Ok(check)
}

/// New temporary credentials: an `ASIA` key carrying the account, a secret sealed at rest, and a
/// session token of which only a keyed hash is kept.
struct Issued {
    access_key_id: String,
    secret: zeroize::Zeroizing<String>,
    token: zeroize::Zeroizing<String>,
}

/// Credentials in `account` (a role's, which may not be the caller's).
fn issue(ctx: &Ctx<'_>, account: &str) -> Issued {
    let mut raw = zeroize::Zeroizing::new([0u8; 96]);
    ctx.env.rng.fill(raw.as_mut());
    Issued {
        access_key_id: ctx.env.ids.access_key_id_for("ASIA", account),
        secret: zeroize::Zeroizing::new(ctx.env.ids.secret_access_key()),
        token: zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(raw.as_ref())),
    }
}

fn credentials(issued: &Issued, expires_ms: i64) -> Credentials {
    Credentials {
        access_key_id: issued.access_key_id.clone(),
        secret_access_key: issued.secret.to_string(),
        session_token: issued.token.to_string(),
        // Whole seconds, as AWS reports it.
        expiration: service::epoch_seconds(expires_ms - expires_ms.rem_euclid(1000)),
    }
}

/// The session row for `issued`, to be completed by the caller.
fn session_row(ctx: &Ctx<'_>, issued: &Issued, kind: &str, account: &str, expires_ms: i64) -> store::iam::Session {
    store::iam::Session {
        access_key_id: issued.access_key_id.clone(),
        account_id: account.to_owned(),
        secret_sealed: ctx.env.seal(issued.secret.as_bytes(), &aws_core::auth::session_aad(&issued.access_key_id)),
        token_mac: ctx.env.verifier.mac(issued.token.as_bytes()).to_vec(),
        kind: kind.to_owned(),
        arn: ctx.caller.arn.clone(),
        user_id: ctx.caller.user_id.clone(),
        user_name: None,
        role_id: None,
        role_name: None,
        role_arn: None,
        session_name: None,
        session_policy: None,
        policy_arns: None,
        issued_ms: ctx.now_ms,
        expires_ms,
    }
}

async fn store_session(ctx: &Ctx<'_>, row: &store::iam::Session, role_id: Option<&str>) -> Result<(), StsError> {
    let mut tx = ctx.env.store.begin().await?;
    store::iam::delete_sessions_expired_before(&mut tx, ctx.now_ms - EXPIRED_KEPT_MS).await?;
    store::iam::insert_session(&mut tx, row).await?;
    if let Some(role_id) = role_id {
        store::iam::touch_role(&mut tx, role_id, ctx.now_ms, ctx.region).await?;
    }
    store::iam::commit(tx).await?;
    Ok(())
}

pub(crate) async fn assume_role(ctx: &Ctx<'_>, input: AssumeRoleRequest) -> Result<AssumeRoleResponse, StsError> {
    let (account, name) =
        parse_role_arn(&input.role_arn).ok_or_else(|| validation(&format!("{} is invalid", input.role_arn)))?;
    let mut conn = store::iam::reader(&ctx.env.store).await?;
    let role = store::iam::role_by_name(&mut conn, account, name)
        .await?
        .ok_or_else(|| StsError::Common(denied(&ctx.caller.arn, &Check::new("sts:AssumeRole", &input.role_arn))))?;
    drop(conn);
    let duration = input.duration_seconds.map_or(DEFAULT_SESSION_SECS, i64::from);
    if matches!(ctx.caller.kind, CallerKind::AssumedRole { .. }) && duration > CHAINED_MAX_SECS {
        return Err(validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if duration > role.max_session_secs {
        return Err(validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."));
    }
    let policy_arns: Vec<String> = input.policy_arns.unwrap_or_default().into_iter().filter_map(|p| p.arn).collect();
    let packed = packed_size(input.policy.as_deref(), &policy_arns)?;
    let expires_ms = ctx.now_ms + duration * 1000;
    let issued = issue(ctx, &role.account_id);
    let role_arn = store::iam::role_arn(&role);
    let arn = format!("arn:aws:sts::{}:assumed-role/{}/{}", role.account_id, role.role_name, input.role_session_name);
    let assumed_role_id = format!("{}:{}", role.role_id, input.role_session_name);
    let mut row = session_row(ctx, &issued, "role", &role.account_id, expires_ms);
    row.arn.clone_from(&arn);
    row.user_id.clone_from(&assumed_role_id);
    row.role_id = Some(role.role_id.clone());
    row.role_name = Some(role.role_name.clone());
    row.role_arn = Some(role_arn);
    row.session_name = Some(input.role_session_name);
    row.session_policy = input.policy;
    row.policy_arns = (!policy_arns.is_empty()).then(|| Value::from(policy_arns).to_string());
    store_session(ctx, &row, Some(&role.role_id)).await?;
    Ok(AssumeRoleResponse {
        credentials: Some(credentials(&issued, expires_ms)),
        assumed_role_user: Some(AssumedRoleUser { assumed_role_id, arn }),
        packed_policy_size: packed,
        source_identity: input.source_identity,
        ..AssumeRoleResponse::default()
    })
}

/// Validates the session policies and reports their packed size as the percentage of the
/// limit AWS reports (`PackedPolicySize`); `None` when none were passed.
fn packed_size(policy: Option<&str>, arns: &[String]) -> Result<Option<i32>, StsError> {
    if policy.is_none() && arns.is_empty() {
        return Ok(None);
    }
    let text = policy.map_or(0, policy::policy_size);
    if let Some(doc) = policy {
        Policy::parse(doc, PolicyKind::Session).map_err(|e| StsError::MalformedPolicyDocument(e.to_string()))?;
    }
    let limit = policy::limits::SESSION_POLICY;
    // Packing compresses the text; ARNs count about a tenth of a packed policy each.
    let percent = (text * 100).div_ceil(limit * 2) + arns.len() * 10;
    if percent > 100 {
        return Err(StsError::PackedPolicyTooLarge(format!(
            "Packed policy consumes {percent}% of allotted space, please use smaller policy."
        )));
    }
    Ok(Some(i32::try_from(percent).unwrap_or(100)))
}

async fn session_token(ctx: &Ctx<'_>, input: &GetSessionTokenRequest) -> Result<GetSessionTokenResponse, StsError> {
    if ctx.caller.token_issued_ms.is_some() {
        return Err(StsError::Common(CommonError::AccessDenied(
            "Cannot call GetSessionToken with session credentials".into(),
        )));
    }
    let requested = input.duration_seconds.map(i64::from);
    let (kind, user_name, duration) = match &ctx.caller.kind {
        // Root sessions last one hour at most; a longer request gets one hour.
        CallerKind::Root => ("root", None, requested.unwrap_or(ROOT_SESSION_SECS).min(ROOT_SESSION_SECS)),
        CallerKind::User { name } => ("user", Some(name.clone()), requested.unwrap_or(USER_SESSION_DEFAULT_SECS)),
        _ => {
            return Err(StsError::Common(CommonError::AccessDenied(
                "Cannot call GetSessionToken with session credentials".into(),
            )));
        }
    };
    let expires_ms = ctx.now_ms + duration * 1000;
    let issued = issue(ctx, ctx.account());
    let mut row = session_row(ctx, &issued, kind, ctx.account(), expires_ms);
    row.user_name = user_name;
    store_session(ctx, &row, None).await?;
    Ok(GetSessionTokenResponse {
        credentials: Some(credentials(&issued, expires_ms)),
        ..GetSessionTokenResponse::default()
    })
}

async fn access_key_info(ctx: &Ctx<'_>, input: &GetAccessKeyInfoRequest) -> Result<GetAccessKeyInfoResponse, StsError> {
    let id = input.access_key_id.as_str();
    let mut conn = store::iam::reader(&ctx.env.store).await?;
    let known = match store::access_keys::get(&mut conn, id).await? {
        Some(k) => Some(k.account_id),
        None => store::iam::session(&mut conn, id).await?.map(|s| s.account_id),
    };
    // Like AWS, read the account out of the key id itself when the key is not ours.
    let account = known
        .or_else(|| aws_core::ids::account_of_key(id))
        .ok_or_else(|| validation(&format!("The access key ID {id} is not valid.")))?;
    Ok(GetAccessKeyInfoResponse { account: Some(account) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_keep_their_secrets_out_of_debug() {
        let credentials = ops::Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "the-secret-key".into(),
            session_token: "the-session-token".into(),
            expiration: 1.0,
        };
        let shown = format!("{credentials:?}");
        assert!(shown.contains("ASIAEXAMPLE"));
        assert!(!shown.contains("the-secret-key") && !shown.contains("the-session-token"), "{shown}");
    }

    #[test]
    fn role_arns() {
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:role/R"), Some(("123456789012", "R")));
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:role/a/b/R"), Some(("123456789012", "R")));
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:user/R"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::12345:role/R"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:role/"), None);
    }

    #[test]
    fn packed_sizes() {
        assert_eq!(packed_size(None, &[]).unwrap(), None);
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        let size = packed_size(Some(doc), &[]).unwrap().unwrap();
        assert!((1..=100).contains(&size));
        assert!(matches!(packed_size(Some("{}"), &[]), Err(StsError::MalformedPolicyDocument(_))));
        let arns = vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned(); 11];
        assert!(matches!(packed_size(None, &arns), Err(StsError::PackedPolicyTooLarge(_))));
    }
}
