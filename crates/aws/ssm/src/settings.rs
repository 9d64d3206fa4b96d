//! Service settings: Get/Update/ResetServiceSetting for Parameter Store's two settings, per
//! account and region. The default parameter tier decides the tier of a new parameter put
//! without one.
//!
//! AWS accounts start at `Standard`; spcred's start at `Intelligent-Tiering`, so that a request
//! that needs the advanced tier (parameter policies, a value over 4 KB) gets it without naming a
//! tier, as the rotation blog's PutParameter body expects.

use super::error::SsmError;
use super::params::{ADVANCED, INTELLIGENT, STANDARD, scope};

use super::ops::{
    GetServiceSettingRequest, GetServiceSettingResult, ResetServiceSettingRequest, ResetServiceSettingResult,
    ServiceSetting, UpdateServiceSettingRequest, UpdateServiceSettingResult,
};
use aws_core::service::{self, Ctx};
use serde_json::Value;
use store::Scope;
use store::ssm::Setting;

/// The setting that holds the default parameter tier.
pub(crate) const DEFAULT_TIER: &str = "/ssm/parameter-store/default-parameter-tier";
const HIGH_THROUGHPUT: &str = "/ssm/parameter-store/high-throughput-enabled";
const CUSTOMIZED: &str = "Customized";
const DEFAULT: &str = "Default";

/// A setting spcred knows: its id, provisioned value, and the values it takes.
struct Known {
    id: &'static str,
    default: &'static str,
    values: &'static [&'static str],
}

const KNOWN: [Known; 2] = [
    Known { id: DEFAULT_TIER, default: INTELLIGENT, values: &[STANDARD, ADVANCED, INTELLIGENT] },
    Known { id: HIGH_THROUGHPUT, default: "false", values: &["true", "false"] },
];

fn arn(region: &str, account: &str, id: &str) -> String {
    format!("arn:aws:ssm:{region}:{account}:servicesetting{id}")
}

/// The ARN a `SettingId` names, for its permission check: an ARN as given, an id in the
/// caller's account and region.
pub(crate) fn resource(ctx: &Ctx<'_>, setting_id: &str) -> String {
    if setting_id.starts_with("arn:") { setting_id.to_owned() } else { arn(ctx.region, ctx.account(), setting_id) }
}

/// The known setting a `SettingId` (an id, or the setting's ARN in the caller's account and
/// region) names.
fn known(ctx: &Ctx<'_>, setting_id: &str) -> Result<&'static Known, SsmError> {
    KNOWN
        .iter()
        .find(|k| k.id == setting_id || arn(ctx.region, ctx.account(), k.id) == setting_id)
        .ok_or(SsmError::ServiceSettingNotFound)
}

/// The account's default parameter tier in `scope`.
pub(crate) async fn default_tier(conn: &mut store::Conn, scope: Scope<'_>) -> Result<String, SsmError> {
    Ok(store::ssm::setting(conn, scope, DEFAULT_TIER).await?.map_or_else(|| INTELLIGENT.to_owned(), |s| s.value))
}

/// The setting as the API shows it.
fn shown(ctx: &Ctx<'_>, k: &Known, s: Setting) -> ServiceSetting {
    ServiceSetting {
        setting_id: Some(k.id.to_owned()),
        setting_value: Some(s.value),
        last_modified_date: Some(aws_core::service::epoch_seconds(s.modified_ms)),
        last_modified_user: Some(s.modified_user),
        arn: Some(arn(ctx.region, ctx.account(), k.id)),
        status: Some(s.status),
    }
}

pub(crate) async fn get_service_setting(ctx: &Ctx<'_>, input: GetServiceSettingRequest) -> Result<Value, SsmError> {
    let k = known(ctx, &input.setting_id)?;
    let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let setting = match store::ssm::setting(&mut conn, scope(ctx), k.id).await? {
        Some(s) => s,
        // Never changed: the provisioned value, as of the account's creation.
        None => Setting {
            value: k.default.to_owned(),
            status: DEFAULT.to_owned(),
            modified_ms: store::ssm::account_created_ms(&mut conn, ctx.account()).await?.unwrap_or(ctx.now_ms),
            modified_user: "System".to_owned(),
        },
    };
    Ok(service::output(&GetServiceSettingResult { service_setting: Some(shown(ctx, k, setting)) })?)
}

async fn write(ctx: &Ctx<'_>, k: &Known, setting: &Setting) -> Result<(), SsmError> {
    let mut tx = ctx.env.store.begin().await?;
    store::ssm::put_setting(&mut tx, scope(ctx), k.id, setting).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

pub(crate) async fn update_service_setting(
    ctx: &Ctx<'_>,
    input: UpdateServiceSettingRequest,
) -> Result<Value, SsmError> {
    let k = known(ctx, &input.setting_id)?;
    if !k.values.contains(&input.setting_value.as_str()) {
        return Err(SsmError::validation(format!(
            "1 validation error detected: Value '{}' at 'settingValue' failed to satisfy constraint: Member must \
             satisfy enum value set: [{}]",
            input.setting_value,
            k.values.join(", ")
        )));
    }
    let setting = Setting {
        value: input.setting_value,
        status: CUSTOMIZED.to_owned(),
        modified_ms: ctx.now_ms,
        modified_user: ctx.caller.arn.clone(),
    };
    write(ctx, k, &setting).await?;
    Ok(service::output(&UpdateServiceSettingResult {})?)
}

pub(crate) async fn reset_service_setting(ctx: &Ctx<'_>, input: ResetServiceSettingRequest) -> Result<Value, SsmError> {
    let k = known(ctx, &input.setting_id)?;
    let setting = Setting {
        value: k.default.to_owned(),
        status: DEFAULT.to_owned(),
        modified_ms: ctx.now_ms,
        modified_user: ctx.caller.arn.clone(),
    };
    write(ctx, k, &setting).await?;
    Ok(service::output(&ResetServiceSettingResult { service_setting: Some(shown(ctx, k, setting)) })?)
}
