//! AWS Organizations: organizations, their organizational units and member accounts, policies
//! and their attachments, and the accounts created through them.

use crate::{Conn, StoreError};

/// An account's descriptive details.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    /// The 12-digit id.
    pub account_id: String,
    /// Its name, if it was given one.
    pub name: Option<String>,
    /// Its root user's email, if it was given one.
    pub email: Option<String>,
    /// When it was created.
    pub created_ms: i64,
}

/// An organization.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Organization {
    /// `o-` and 10 characters.
    pub org_id: String,
    /// The management account.
    pub management_account: String,
    /// `r-` and 4 characters.
    pub root_id: String,
    /// `ALL` or `CONSOLIDATED_BILLING`.
    pub feature_set: String,
    /// Whether service control policies are enabled on the root.
    #[sqlx(try_from = "crate::Flag")]
    pub scp_enabled: bool,
    /// When it was created.
    pub created_ms: i64,
}

/// An account's membership.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    /// The account.
    pub account_id: String,
    /// Its organization.
    pub org_id: String,
    /// The root or OU it sits in.
    pub parent_id: String,
    /// `CREATED` or `INVITED`.
    pub joined_method: String,
    /// When it joined.
    pub joined_ms: i64,
}

/// An organizational unit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unit {
    /// `ou-` + the root's suffix + `-` + 8 characters.
    pub ou_id: String,
    /// Its organization.
    pub org_id: String,
    /// The root or OU it sits in.
    pub parent_id: String,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created_ms: i64,
}

/// A customer managed policy.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Policy {
    /// `p-` and 8 characters.
    pub policy_id: String,
    /// Its organization.
    pub org_id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// `SERVICE_CONTROL_POLICY`, ...
    pub policy_type: String,
    /// The policy document.
    pub content: String,
    /// When it was created.
    pub created_ms: i64,
}

/// A `CreateAccount` request and its outcome.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CreateAccountRequest {
    /// `car-` and 32 characters.
    pub request_id: String,
    /// Its organization.
    pub org_id: String,
    /// The name asked for.
    pub account_name: String,
    /// The account made, when it succeeded.
    pub account_id: Option<String>,
    /// `SUCCEEDED` or `FAILED`.
    pub state: String,
    /// Why it failed (`EMAIL_ALREADY_EXISTS`, ...).
    pub failure: Option<String>,
    /// When it was asked for.
    pub requested_ms: i64,
    /// When it was done.
    pub completed_ms: i64,
}

/// Every account of the store, oldest first, with its details.
pub async fn accounts(conn: &mut Conn) -> Result<Vec<Account>, StoreError> {
    Ok(sqlx::query_as("SELECT account_id, name, email, created_ms FROM accounts ORDER BY created_ms, account_id")
        .fetch_all(conn)
        .await?)
}

/// One account's details.
pub async fn account(conn: &mut Conn, account_id: &str) -> Result<Option<Account>, StoreError> {
    Ok(sqlx::query_as("SELECT account_id, name, email, created_ms FROM accounts WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(conn)
        .await?)
}

/// The account whose root user has this email (compared case-insensitively).
pub async fn account_by_email(conn: &mut Conn, email: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT account_id FROM accounts WHERE lower(email) = lower($1)")
        .bind(email)
        .fetch_optional(conn)
        .await?)
}

/// Names an account and its root user's email.
pub async fn set_account_details(
    conn: &mut Conn,
    account_id: &str,
    name: Option<&str>,
    email: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE accounts SET name = $1, email = $2 WHERE account_id = $3")
        .bind(name)
        .bind(email)
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Creates an organization with its management account as its first member, under the root.
pub async fn insert_organization(conn: &mut Conn, o: &Organization) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO org_organizations (org_id, management_account, root_id, feature_set, scp_enabled, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&o.org_id)
    .bind(&o.management_account)
    .bind(&o.root_id)
    .bind(&o.feature_set)
    .bind(i64::from(o.scp_enabled))
    .bind(o.created_ms)
    .execute(&mut *conn)
    .await?;
    insert_member(
        conn,
        &Member {
            account_id: o.management_account.clone(),
            org_id: o.org_id.clone(),
            parent_id: o.root_id.clone(),
            joined_method: "CREATED".into(),
            joined_ms: o.created_ms,
        },
    )
    .await
}

/// The organization an account belongs to, with its membership.
pub async fn membership(conn: &mut Conn, account_id: &str) -> Result<Option<(Organization, Member)>, StoreError> {
    let Some(member): Option<Member> = sqlx::query_as(
        "SELECT account_id, org_id, parent_id, joined_method, joined_ms FROM org_members WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let org: Organization = sqlx::query_as(
        "SELECT org_id, management_account, root_id, feature_set, scp_enabled, created_ms FROM org_organizations \
         WHERE org_id = $1",
    )
    .bind(&member.org_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some((org, member)))
}

/// Deletes an organization and everything in it.
pub async fn delete_organization(conn: &mut Conn, org_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM org_organizations WHERE org_id = $1").bind(org_id).execute(conn).await?;
    Ok(())
}

/// Turns service control policies on or off.
pub async fn set_scp_enabled(conn: &mut Conn, org_id: &str, enabled: bool) -> Result<(), StoreError> {
    sqlx::query("UPDATE org_organizations SET scp_enabled = $1 WHERE org_id = $2")
        .bind(i64::from(enabled))
        .bind(org_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds a member account.
pub async fn insert_member(conn: &mut Conn, m: &Member) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO org_members (account_id, org_id, parent_id, joined_method, joined_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&m.account_id)
    .bind(&m.org_id)
    .bind(&m.parent_id)
    .bind(&m.joined_method)
    .bind(m.joined_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The organization's member accounts, in the order they joined; under `parent` only, if given.
pub async fn members(conn: &mut Conn, org_id: &str, parent: Option<&str>) -> Result<Vec<Member>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT account_id, org_id, parent_id, joined_method, joined_ms FROM org_members \
         WHERE org_id = $1 AND ($2 IS NULL OR parent_id = $2) ORDER BY joined_ms, account_id",
    )
    .bind(org_id)
    .bind(parent)
    .fetch_all(conn)
    .await?)
}

/// Moves a member account to another parent.
pub async fn move_member(conn: &mut Conn, account_id: &str, parent_id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE org_members SET parent_id = $1 WHERE account_id = $2")
        .bind(parent_id)
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds an organizational unit.
pub async fn insert_unit(conn: &mut Conn, u: &Unit) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO org_units (ou_id, org_id, parent_id, name, created_ms) VALUES ($1, $2, $3, $4, $5)")
        .bind(&u.ou_id)
        .bind(&u.org_id)
        .bind(&u.parent_id)
        .bind(&u.name)
        .bind(u.created_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// An organizational unit of the organization.
pub async fn unit(conn: &mut Conn, org_id: &str, ou_id: &str) -> Result<Option<Unit>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT ou_id, org_id, parent_id, name, created_ms FROM org_units WHERE org_id = $1 AND ou_id = $2",
    )
    .bind(org_id)
    .bind(ou_id)
    .fetch_optional(conn)
    .await?)
}

/// The organizational units directly under a parent, by name.
pub async fn units_of(conn: &mut Conn, org_id: &str, parent_id: &str) -> Result<Vec<Unit>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT ou_id, org_id, parent_id, name, created_ms FROM org_units WHERE org_id = $1 AND parent_id = $2 \
         ORDER BY name",
    )
    .bind(org_id)
    .bind(parent_id)
    .fetch_all(conn)
    .await?)
}

/// Removes an organizational unit and its attachments.
pub async fn delete_unit(conn: &mut Conn, org_id: &str, ou_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM org_attachments WHERE org_id = $1 AND target_id = $2")
        .bind(org_id)
        .bind(ou_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM org_units WHERE org_id = $1 AND ou_id = $2")
        .bind(org_id)
        .bind(ou_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds a policy.
pub async fn insert_policy(conn: &mut Conn, p: &Policy) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO org_policies (policy_id, org_id, name, description, policy_type, content, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&p.policy_id)
    .bind(&p.org_id)
    .bind(&p.name)
    .bind(&p.description)
    .bind(&p.policy_type)
    .bind(&p.content)
    .bind(p.created_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A policy of the organization.
pub async fn policy(conn: &mut Conn, org_id: &str, policy_id: &str) -> Result<Option<Policy>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT policy_id, org_id, name, description, policy_type, content, created_ms FROM org_policies \
         WHERE org_id = $1 AND policy_id = $2",
    )
    .bind(org_id)
    .bind(policy_id)
    .fetch_optional(conn)
    .await?)
}

/// The organization's policies of a type, by name.
pub async fn policies(conn: &mut Conn, org_id: &str, policy_type: &str) -> Result<Vec<Policy>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT policy_id, org_id, name, description, policy_type, content, created_ms FROM org_policies \
         WHERE org_id = $1 AND policy_type = $2 ORDER BY name",
    )
    .bind(org_id)
    .bind(policy_type)
    .fetch_all(conn)
    .await?)
}

/// Whether the organization has a policy of this type and name.
pub async fn policy_named(conn: &mut Conn, org_id: &str, policy_type: &str, name: &str) -> Result<bool, StoreError> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM org_policies WHERE org_id = $1 AND policy_type = $2 AND name = $3")
            .bind(org_id)
            .bind(policy_type)
            .bind(name)
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

/// Replaces a policy's name, description and content.
pub async fn update_policy(conn: &mut Conn, p: &Policy) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE org_policies SET name = $1, description = $2, content = $3 WHERE org_id = $4 AND policy_id = $5",
    )
    .bind(&p.name)
    .bind(&p.description)
    .bind(&p.content)
    .bind(&p.org_id)
    .bind(&p.policy_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a policy (it must be detached everywhere first).
pub async fn delete_policy(conn: &mut Conn, org_id: &str, policy_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM org_policies WHERE org_id = $1 AND policy_id = $2")
        .bind(org_id)
        .bind(policy_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Attaches a policy to a target; `false` if it already was.
pub async fn attach(
    conn: &mut Conn,
    org_id: &str,
    policy_id: &str,
    target_id: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO org_attachments (org_id, policy_id, target_id, created_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(org_id)
    .bind(policy_id)
    .bind(target_id)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Detaches a policy from a target; `false` if it was not attached.
pub async fn detach(conn: &mut Conn, org_id: &str, policy_id: &str, target_id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM org_attachments WHERE org_id = $1 AND policy_id = $2 AND target_id = $3")
        .bind(org_id)
        .bind(policy_id)
        .bind(target_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Detaches every policy from every target, or those of one policy.
pub async fn detach_all(conn: &mut Conn, org_id: &str, policy_id: Option<&str>) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM org_attachments WHERE org_id = $1 AND ($2 IS NULL OR policy_id = $2)")
        .bind(org_id)
        .bind(policy_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The ids of the policies attached to a target, in the order they were attached.
pub async fn policies_of(conn: &mut Conn, org_id: &str, target_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT policy_id FROM org_attachments WHERE org_id = $1 AND target_id = $2 ORDER BY created_ms, policy_id",
    )
    .bind(org_id)
    .bind(target_id)
    .fetch_all(conn)
    .await?)
}

/// The targets a policy is attached to, in the order they were attached.
pub async fn targets_of(conn: &mut Conn, org_id: &str, policy_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT target_id FROM org_attachments WHERE org_id = $1 AND policy_id = $2 ORDER BY created_ms, target_id",
    )
    .bind(org_id)
    .bind(policy_id)
    .fetch_all(conn)
    .await?)
}

/// Records a `CreateAccount` request.
pub async fn insert_request(conn: &mut Conn, r: &CreateAccountRequest) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO org_create_account_requests (request_id, org_id, account_name, account_id, state, failure, \
         requested_ms, completed_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&r.request_id)
    .bind(&r.org_id)
    .bind(&r.account_name)
    .bind(&r.account_id)
    .bind(&r.state)
    .bind(&r.failure)
    .bind(r.requested_ms)
    .bind(r.completed_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A `CreateAccount` request of the organization.
pub async fn request(
    conn: &mut Conn,
    org_id: &str,
    request_id: &str,
) -> Result<Option<CreateAccountRequest>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT request_id, org_id, account_name, account_id, state, failure, requested_ms, completed_ms \
         FROM org_create_account_requests WHERE org_id = $1 AND request_id = $2",
    )
    .bind(org_id)
    .bind(request_id)
    .fetch_optional(conn)
    .await?)
}

/// The service control policies that bound an account's principals, level by level from the
/// root down to the account itself (each level: the ids of its attached SCPs with their content,
/// `None` for the AWS managed one). `None` when none apply: the account is in no organization,
/// is its management account, or SCPs are not enabled.
pub async fn scp_levels(
    conn: &mut Conn,
    account_id: &str,
) -> Result<Option<Vec<Vec<(String, Option<String>)>>>, StoreError> {
    let Some((org, member)) = membership(conn, account_id).await? else {
        return Ok(None);
    };
    if org.management_account == account_id || !org.scp_enabled {
        return Ok(None);
    }
    let mut path = vec![account_id.to_owned()];
    let mut parent = member.parent_id;
    // OUs nest at most five deep; the bound also stops a cycle a corrupt store might hold.
    for _ in 0..8 {
        path.push(parent.clone());
        if parent == org.root_id {
            break;
        }
        match unit(conn, &org.org_id, &parent).await? {
            Some(u) => parent = u.parent_id,
            None => break,
        }
    }
    path.reverse();
    let mut levels = Vec::with_capacity(path.len());
    for target in path {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT a.policy_id, p.content FROM org_attachments a \
             LEFT JOIN org_policies p ON p.policy_id = a.policy_id AND p.org_id = a.org_id \
             WHERE a.org_id = $1 AND a.target_id = $2 \
             AND (p.policy_type = 'SERVICE_CONTROL_POLICY' OR p.policy_id IS NULL) ORDER BY a.policy_id",
        )
        .bind(&org.org_id)
        .bind(&target)
        .fetch_all(&mut *conn)
        .await?;
        levels.push(rows);
    }
    Ok(Some(levels))
}
