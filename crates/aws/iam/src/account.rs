//! Account-wide views: `GetAccountAuthorizationDetails` and the credential report.

use super::attached::{AttachedOut, PolicyDetail, attached_policies, inline_details};
use super::entity::Kind;
use super::managed;
use super::page::{Paging, Truncation, paginate};
use super::policies::{self, AnyPolicy, PolicyOut, VersionOut};
use super::roles::role_arn;
use super::tags::TagOut;
use super::users::last_use;
use super::{IamError, names};
use aws_core::service::{self, Ctx};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt::Write;
use store::iam::{self as db, Owner};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UserDetail {
    path: String,
    user_name: String,
    user_id: String,
    arn: String,
    create_date: i64,
    user_policy_list: Vec<PolicyDetail>,
    group_list: Vec<String>,
    attached_managed_policies: Vec<AttachedOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<TagOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GroupDetail {
    path: String,
    group_name: String,
    group_id: String,
    arn: String,
    create_date: i64,
    group_policy_list: Vec<PolicyDetail>,
    attached_managed_policies: Vec<AttachedOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RoleDetail {
    path: String,
    role_name: String,
    role_id: String,
    arn: String,
    create_date: i64,
    assume_role_policy_document: String,
    instance_profile_list: Vec<Value>,
    role_policy_list: Vec<PolicyDetail>,
    attached_managed_policies: Vec<AttachedOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<TagOut>,
    role_last_used: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ManagedPolicyDetail {
    #[serde(flatten)]
    policy: PolicyOut,
    policy_version_list: Vec<VersionOut>,
}

/// One entry of the combined, paginated listing.
enum Detail {
    User(UserDetail),
    Group(GroupDetail),
    Role(RoleDetail),
    Policy(ManagedPolicyDetail),
}

impl Detail {
    fn key(&self) -> String {
        match self {
            Detail::User(u) => format!("0{}", u.user_name),
            Detail::Group(g) => format!("1{}", g.group_name),
            Detail::Role(r) => format!("2{}", r.role_name),
            Detail::Policy(p) => format!("3{}", p.policy.policy_name),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DetailsResponse {
    user_detail_list: Vec<UserDetail>,
    group_detail_list: Vec<GroupDetail>,
    role_detail_list: Vec<RoleDetail>,
    policies: Vec<ManagedPolicyDetail>,
    #[serde(flatten)]
    truncation: Truncation,
}

async fn tags_out(conn: &mut store::Conn, owner: Owner, id: &str) -> Result<Vec<TagOut>, IamError> {
    Ok(db::tags(conn, owner, id).await?.iter().map(TagOut::from).collect())
}

async fn user_details(conn: &mut store::Conn, account: &str, out: &mut Vec<Detail>) -> Result<(), IamError> {
    for u in db::list_users(conn, account, "/").await? {
        out.push(Detail::User(UserDetail {
            arn: names::arn(account, "user", &u.path, &u.user_name),
            user_policy_list: inline_details(conn, Kind::User, &u.user_id).await?,
            group_list: db::groups_for_user(conn, &u.user_id).await?.into_iter().map(|g| g.group_name).collect(),
            attached_managed_policies: attached_policies(conn, Kind::User, &u.user_id).await?,
            tags: tags_out(conn, Owner::User, &u.user_id).await?,
            create_date: names::secs(u.created_ms),
            path: u.path,
            user_name: u.user_name,
            user_id: u.user_id,
        }));
    }
    Ok(())
}

async fn group_details(conn: &mut store::Conn, account: &str, out: &mut Vec<Detail>) -> Result<(), IamError> {
    for g in db::list_groups(conn, account, "/").await? {
        out.push(Detail::Group(GroupDetail {
            arn: names::arn(account, "group", &g.path, &g.group_name),
            group_policy_list: inline_details(conn, Kind::Group, &g.group_id).await?,
            attached_managed_policies: attached_policies(conn, Kind::Group, &g.group_id).await?,
            create_date: names::secs(g.created_ms),
            path: g.path,
            group_name: g.group_name,
            group_id: g.group_id,
        }));
    }
    Ok(())
}

async fn role_details(conn: &mut store::Conn, account: &str, out: &mut Vec<Detail>) -> Result<(), IamError> {
    for r in db::list_roles(conn, account, "/").await? {
        let mut last_used = serde_json::Map::new();
        if let (Some(ms), Some(region)) = (r.last_used_ms, &r.last_used_region) {
            last_used.insert("LastUsedDate".into(), Value::from(names::secs(ms)));
            last_used.insert("Region".into(), Value::String(region.clone()));
        }
        out.push(Detail::Role(RoleDetail {
            arn: role_arn(&r),
            assume_role_policy_document: names::encode_document(&r.trust_policy),
            instance_profile_list: Vec::new(),
            role_policy_list: inline_details(conn, Kind::Role, &r.role_id).await?,
            attached_managed_policies: attached_policies(conn, Kind::Role, &r.role_id).await?,
            tags: tags_out(conn, Owner::Role, &r.role_id).await?,
            role_last_used: Value::Object(last_used),
            create_date: names::secs(r.created_ms),
            path: r.path,
            role_name: r.role_name,
            role_id: r.role_id,
        }));
    }
    Ok(())
}

/// Managed policies: the customer's (`local`) and the AWS managed ones in use (`aws`), as IAM
/// reports them.
async fn policy_details(
    conn: &mut store::Conn,
    account: &str,
    aws: bool,
    local: bool,
    out: &mut Vec<Detail>,
) -> Result<(), IamError> {
    let counts = policies::attachment_counts(conn, account).await?;
    let mut managed_policies = Vec::new();
    if aws {
        managed_policies.extend(
            managed::AWS_MANAGED.iter().filter(|p| counts.get(&p.arn()).is_some_and(|c| *c > 0)).map(AnyPolicy::Aws),
        );
    }
    if local {
        managed_policies.extend(db::list_policies(conn, account, "/").await?.into_iter().map(AnyPolicy::Customer));
    }
    for p in managed_policies {
        let arn = match &p {
            AnyPolicy::Aws(a) => a.arn(),
            AnyPolicy::Customer(c) => c.arn.clone(),
        };
        let count = counts.get(&arn).copied().unwrap_or(0);
        let policy_version_list = policies::versions(conn, &p, true).await?;
        out.push(Detail::Policy(ManagedPolicyDetail {
            policy: PolicyOut::new(&p, count, false, Vec::new()),
            policy_version_list,
        }));
    }
    Ok(())
}

pub(crate) async fn authorization_details(ctx: &Ctx<'_>, input: Value) -> Result<Value, IamError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        #[serde(default)]
        filter: Vec<String>,
        #[serde(flatten)]
        paging: Paging,
    }
    let input: Input = service::input(input)?;
    let wants = |t: &str| input.filter.is_empty() || input.filter.iter().any(|f| f == t);
    let account = ctx.account();
    let mut conn = db::reader(&ctx.env.store).await?;
    let mut all = Vec::new();
    if wants("User") {
        user_details(&mut conn, account, &mut all).await?;
    }
    if wants("Group") {
        group_details(&mut conn, account, &mut all).await?;
    }
    if wants("Role") {
        role_details(&mut conn, account, &mut all).await?;
    }
    policy_details(&mut conn, account, wants("AWSManagedPolicy"), wants("LocalManagedPolicy"), &mut all).await?;
    let (page, truncation) = paginate(all, Detail::key, &input.paging)?;
    let mut out = DetailsResponse {
        user_detail_list: Vec::new(),
        group_detail_list: Vec::new(),
        role_detail_list: Vec::new(),
        policies: Vec::new(),
        truncation,
    };
    for d in page {
        match d {
            Detail::User(u) => out.user_detail_list.push(u),
            Detail::Group(g) => out.group_detail_list.push(g),
            Detail::Role(r) => out.role_detail_list.push(r),
            Detail::Policy(p) => out.policies.push(p),
        }
    }
    Ok(service::output(&out)?)
}

// ---- credential report ---------------------------------------------------------------------

/// IAM makes at most one report every four hours and serves it for four hours.
const REPORT_LIFETIME_MS: i64 = 4 * 3_600 * 1_000;

/// The columns IAM documents for the credential report, in order.
const COLUMNS: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,\
password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,\
access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,\
access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,\
cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// The access key columns for a user's first and second key (oldest first).
fn key_columns(ctx: &Ctx<'_>, keys: &[&db::KeyMetadata], out: &mut String) {
    for i in 0..2 {
        match keys.get(i) {
            None => out.push_str(",false,N/A,N/A,N/A,N/A"),
            Some(k) => {
                let used = last_use(ctx, k);
                let _ = write!(
                    out,
                    ",{},{},{},{},{}",
                    k.status == "Active",
                    names::iso_offset(k.created_ms),
                    used.as_ref().map_or("N/A".into(), |u| names::iso_offset(u.0)),
                    used.as_ref().map_or("N/A", |u| u.2.as_str()),
                    used.as_ref().map_or("N/A", |u| u.1.as_str()),
                );
            }
        }
    }
    out.push_str(",false,N/A,false,N/A\n");
}

async fn report_csv(ctx: &Ctx<'_>, conn: &mut store::Conn) -> Result<String, IamError> {
    let account = ctx.account();
    let keys = db::account_keys(conn, account).await?;
    let mut out = format!("{COLUMNS}\n");
    let root_keys: Vec<&db::KeyMetadata> = keys.iter().filter(|k| k.user_name.is_none()).collect();
    let root_created = root_keys.first().map_or(0, |k| k.created_ms);
    let _ = write!(
        out,
        "<root_account>,arn:aws:iam::{account}:root,{},not_supported,no_information,not_supported,not_supported,false",
        names::iso_offset(root_created)
    );
    key_columns(ctx, &root_keys, &mut out);
    for u in db::list_users(conn, account, "/").await? {
        let mine: Vec<&db::KeyMetadata> =
            keys.iter().filter(|k| k.user_name.as_deref() == Some(u.user_name.as_str())).collect();
        let _ = write!(
            out,
            "{},{},{},false,N/A,N/A,N/A,false",
            u.user_name,
            names::arn(account, "user", &u.path, &u.user_name),
            names::iso_offset(u.created_ms)
        );
        key_columns(ctx, &mine, &mut out);
    }
    Ok(out)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GenerateResponse {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'static str>,
}

pub(crate) async fn generate_report(ctx: &Ctx<'_>) -> Result<Value, IamError> {
    let mut tx = ctx.env.store.begin().await?;
    if let Some((generated, _)) = db::credential_report(&mut tx, ctx.account()).await?
        && ctx.now_ms - generated < REPORT_LIFETIME_MS
    {
        return Ok(service::output(&GenerateResponse { state: "COMPLETE", description: None })?);
    }
    let csv = report_csv(ctx, &mut tx).await?;
    db::put_credential_report(&mut tx, ctx.account(), ctx.now_ms, csv.as_bytes()).await?;
    db::commit(tx).await?;
    Ok(service::output(&GenerateResponse {
        state: "STARTED",
        description: Some("No report exists. Starting a new report generation task"),
    })?)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ReportResponse {
    content: String,
    report_format: &'static str,
    generated_time: i64,
}

pub(crate) async fn get_report(ctx: &Ctx<'_>) -> Result<Value, IamError> {
    let mut conn = db::reader(&ctx.env.store).await?;
    let Some((generated, content)) = db::credential_report(&mut conn, ctx.account()).await? else {
        return Err(IamError::ReportNotPresent(
            "The request was rejected because the credential report does not exist. To generate a credential \
             report, use GenerateCredentialReport."
                .into(),
        ));
    };
    if ctx.now_ms - generated >= REPORT_LIFETIME_MS {
        return Err(IamError::ReportExpired(
            "The request was rejected because the most recent credential report has expired. To generate a new \
             credential report, use GenerateCredentialReport."
                .into(),
        ));
    }
    Ok(service::output(&ReportResponse {
        content: base64::engine::general_purpose::STANDARD.encode(content),
        report_format: "text/csv",
        generated_time: names::secs(generated),
    })?)
}
