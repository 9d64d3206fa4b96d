//! Account-wide views: `GetAccountAuthorizationDetails` and the credential report.

use super::attached::{attached_policies, inline_details};
use super::entity::Kind;
use super::managed;
use super::ops::{
    GenerateCredentialReportResponse, GetAccountAuthorizationDetailsRequest, GetAccountAuthorizationDetailsResponse,
    GetCredentialReportResponse, GroupDetail, ManagedPolicyDetail, RoleDetail, RoleLastUsed, UserDetail,
};
use super::page::{Paging, paginate};
use super::policies::{self, AnyPolicy, policy_out};
use super::roles::{last_used, role_arn};
use super::tags::tag_list;
use super::users::last_use;
use super::{IamError, names};
use aws_core::service::Ctx;
use base64::Engine;
use std::fmt::Write;
use store::iam::{self as db, Owner};

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
            Detail::User(u) => format!("0{}", u.user_name.as_deref().unwrap_or_default()),
            Detail::Group(g) => format!("1{}", g.group_name.as_deref().unwrap_or_default()),
            Detail::Role(r) => format!("2{}", r.role_name.as_deref().unwrap_or_default()),
            Detail::Policy(p) => format!("3{}", p.policy_name.as_deref().unwrap_or_default()),
        }
    }
}

async fn user_details(conn: &mut store::Conn, account: &str, out: &mut Vec<Detail>) -> Result<(), IamError> {
    for u in db::list_users(conn, account, "/").await? {
        out.push(Detail::User(UserDetail {
            arn: Some(names::arn(account, "user", &u.path, &u.user_name)),
            user_policy_list: Some(inline_details(conn, Kind::User, &u.user_id).await?),
            group_list: Some(db::groups_for_user(conn, &u.user_id).await?.into_iter().map(|g| g.group_name).collect()),
            attached_managed_policies: Some(attached_policies(conn, Kind::User, &u.user_id).await?),
            tags: tag_list(&db::tags(conn, Owner::User, &u.user_id).await?),
            create_date: Some(names::time(u.created_ms)),
            path: Some(u.path),
            user_name: Some(u.user_name),
            user_id: Some(u.user_id),
            permissions_boundary: None,
        }));
    }
    Ok(())
}

async fn group_details(conn: &mut store::Conn, account: &str, out: &mut Vec<Detail>) -> Result<(), IamError> {
    for g in db::list_groups(conn, account, "/").await? {
        out.push(Detail::Group(GroupDetail {
            arn: Some(names::arn(account, "group", &g.path, &g.group_name)),
            group_policy_list: Some(inline_details(conn, Kind::Group, &g.group_id).await?),
            attached_managed_policies: Some(attached_policies(conn, Kind::Group, &g.group_id).await?),
            create_date: Some(names::time(g.created_ms)),
            path: Some(g.path),
            group_name: Some(g.group_name),
            group_id: Some(g.group_id),
        }));
    }
    Ok(())
}

async fn role_details(conn: &mut store::Conn, account: &str, out: &mut Vec<Detail>) -> Result<(), IamError> {
    for r in db::list_roles(conn, account, "/").await? {
        // The last use only once both its time and region are known.
        let role_last_used = match (r.last_used_ms, &r.last_used_region) {
            (Some(_), Some(_)) => last_used(&r),
            _ => RoleLastUsed::default(),
        };
        out.push(Detail::Role(RoleDetail {
            arn: Some(role_arn(&r)),
            assume_role_policy_document: Some(names::encode_document(&r.trust_policy)),
            instance_profile_list: Some(Vec::new()),
            role_policy_list: Some(inline_details(conn, Kind::Role, &r.role_id).await?),
            attached_managed_policies: Some(attached_policies(conn, Kind::Role, &r.role_id).await?),
            tags: tag_list(&db::tags(conn, Owner::Role, &r.role_id).await?),
            role_last_used: Some(role_last_used),
            create_date: Some(names::time(r.created_ms)),
            path: Some(r.path),
            role_name: Some(r.role_name),
            role_id: Some(r.role_id),
            permissions_boundary: None,
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
        let policy_version_list = Some(policies::versions(conn, &p, true).await?);
        let summary = policy_out(&p, count, false, &[]);
        out.push(Detail::Policy(ManagedPolicyDetail {
            arn: summary.arn,
            attachment_count: summary.attachment_count,
            create_date: summary.create_date,
            default_version_id: summary.default_version_id,
            description: summary.description,
            is_attachable: summary.is_attachable,
            path: summary.path,
            permissions_boundary_usage_count: summary.permissions_boundary_usage_count,
            policy_id: summary.policy_id,
            policy_name: summary.policy_name,
            policy_version_list,
            update_date: summary.update_date,
        }));
    }
    Ok(())
}

pub(crate) async fn authorization_details(
    ctx: &Ctx<'_>,
    input: GetAccountAuthorizationDetailsRequest,
) -> Result<GetAccountAuthorizationDetailsResponse, IamError> {
    let filter = input.filter.unwrap_or_default();
    let wants = |t: &str| filter.is_empty() || filter.iter().any(|f| f == t);
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
    let (page, t) = paginate(all, Detail::key, &Paging::new(input.marker, input.max_items))?;
    let (mut users, mut groups, mut roles, mut policies) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for d in page {
        match d {
            Detail::User(u) => users.push(u),
            Detail::Group(g) => groups.push(g),
            Detail::Role(r) => roles.push(r),
            Detail::Policy(p) => policies.push(p),
        }
    }
    Ok(GetAccountAuthorizationDetailsResponse {
        user_detail_list: Some(users),
        group_detail_list: Some(groups),
        role_detail_list: Some(roles),
        policies: Some(policies),
        is_truncated: Some(t.is_truncated),
        marker: t.marker,
    })
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

pub(crate) async fn generate_report(ctx: &Ctx<'_>) -> Result<GenerateCredentialReportResponse, IamError> {
    let mut tx = ctx.env.store.begin().await?;
    if let Some((generated, _)) = db::credential_report(&mut tx, ctx.account()).await?
        && ctx.now_ms - generated < REPORT_LIFETIME_MS
    {
        return Ok(GenerateCredentialReportResponse { state: Some("COMPLETE".into()), description: None });
    }
    let csv = report_csv(ctx, &mut tx).await?;
    db::put_credential_report(&mut tx, ctx.account(), ctx.now_ms, csv.as_bytes()).await?;
    db::commit(tx).await?;
    Ok(GenerateCredentialReportResponse {
        state: Some("STARTED".into()),
        description: Some("No report exists. Starting a new report generation task".into()),
    })
}

pub(crate) async fn get_report(ctx: &Ctx<'_>) -> Result<GetCredentialReportResponse, IamError> {
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
    Ok(GetCredentialReportResponse {
        content: Some(base64::engine::general_purpose::STANDARD.encode(content)),
        report_format: Some("text/csv".into()),
        generated_time: Some(names::time(generated)),
    })
}
