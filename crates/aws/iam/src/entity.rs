//! Users, roles and groups seen alike: the operations on inline policies, attached policies and
//! tags differ only in which kind of entity they name. Also the policy documents that speak for
//! an entity, which authorization and the simulator evaluate.

use super::{IamError, managed, names};
use aws_core::authz::{Holder, Identities, PolicyDoc as Doc};
use aws_core::error::CommonError;
use policy::SourceType;
use store::iam::{self as db, Owner};

/// The kind of identity a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    User,
    Role,
    Group,
}

impl Kind {
    pub fn owner(self) -> Owner {
        match self {
            Kind::User => Owner::User,
            Kind::Role => Owner::Role,
            Kind::Group => Owner::Group,
        }
    }

    /// The lower-case word IAM uses in ARNs and messages.
    pub fn word(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Role => "role",
            Kind::Group => "group",
        }
    }

    /// "The user with name Bob cannot be found."
    pub fn not_found(self, name: &str) -> IamError {
        IamError::NoSuchEntity(format!("The {} with name {name} cannot be found.", self.word()))
    }

    /// The quota name of attached managed policies ("`PoliciesPerUser`").
    pub fn attach_quota(self) -> &'static str {
        match self {
            Kind::User => "PoliciesPerUser",
            Kind::Role => "PoliciesPerRole",
            Kind::Group => "PoliciesPerGroup",
        }
    }

    /// The quota, in characters other than white space, of all inline policies together.
    pub fn inline_quota(self) -> usize {
        match self {
            Kind::User => policy::limits::INLINE_USER,
            Kind::Role => policy::limits::INLINE_ROLE,
            Kind::Group => policy::limits::INLINE_GROUP,
        }
    }
}

/// A user, role or group, resolved by name.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    pub id: String,
    pub name: String,
    pub arn: String,
}

/// Finds the entity of `kind` named `name` in `account`.
pub(crate) async fn find(
    conn: &mut store::Conn,
    account: &str,
    kind: Kind,
    name: &str,
) -> Result<Option<Entity>, IamError> {
    let found = match kind {
        Kind::User => db::user_by_name(conn, account, name).await?.map(|u| (u.user_id, u.user_name, u.path)),
        Kind::Role => db::role_by_name(conn, account, name).await?.map(|r| (r.role_id, r.role_name, r.path)),
        Kind::Group => db::group_by_name(conn, account, name).await?.map(|g| (g.group_id, g.group_name, g.path)),
    };
    Ok(found.map(|(id, name, path)| Entity { arn: names::arn(account, kind.word(), &path, &name), id, name }))
}

/// Refuses a new name (of an entity created or renamed) that an entity of `kind` in `account`
/// already has: "User with name Bob already exists."
pub(crate) async fn ensure_absent(
    conn: &mut store::Conn,
    account: &str,
    kind: Kind,
    name: &str,
) -> Result<(), IamError> {
    if find(conn, account, kind, name).await?.is_some() {
        let word = kind.word();
        let title = word[..1].to_ascii_uppercase() + &word[1..];
        return Err(IamError::EntityAlreadyExists(format!("{title} with name {name} already exists.")));
    }
    Ok(())
}

/// As [`find`], failing with IAM's `NoSuchEntity` when there is none.
pub(crate) async fn require(conn: &mut store::Conn, account: &str, kind: Kind, name: &str) -> Result<Entity, IamError> {
    find(conn, account, kind, name).await?.ok_or_else(|| kind.not_found(name))
}

/// IAM's refusal to delete an entity that still has something: "must `what` first".
pub(crate) fn delete_conflict(what: &str) -> IamError {
    IamError::DeleteConflict(format!("Cannot delete entity, must {what} first."))
}

/// Refuses to delete a user, role or group that still has inline or attached policies.
pub(crate) async fn check_no_policies(conn: &mut store::Conn, kind: Kind, id: &str) -> Result<(), IamError> {
    if !db::inline_policies(conn, kind.owner(), id).await?.is_empty() {
        return Err(delete_conflict("delete policies"));
    }
    if !db::attached(conn, kind.owner(), id).await?.is_empty() {
        return Err(delete_conflict("detach all policies"));
    }
    Ok(())
}

/// A managed policy's name and default document, whether AWS or customer managed.
pub(crate) async fn managed_document(
    conn: &mut store::Conn,
    arn: &str,
) -> Result<Option<(String, String, SourceType)>, IamError> {
    if let Some(p) = managed::by_arn(arn) {
        return Ok(Some((p.name.to_owned(), p.document.to_owned(), SourceType::AwsManaged)));
    }
    let name = names::parse_arn(arn, "policy").map(|p| p.name.to_owned()).unwrap_or_default();
    Ok(db::default_document(conn, arn).await?.map(|d| (name, d, SourceType::UserManaged)))
}

/// IAM's answer to authorization's questions about principals' policies.
#[derive(Debug, Clone, Copy, Default)]
pub struct IamIdentities;

#[async_trait::async_trait]
impl Identities for IamIdentities {
    async fn documents(&self, conn: &mut store::Conn, holder: Holder, id: &str) -> Result<Vec<Doc>, CommonError> {
        let kind = match holder {
            Holder::User => Kind::User,
            Holder::Role => Kind::Role,
        };
        documents(conn, kind, id).await.map_err(failed)
    }

    async fn managed_document(&self, conn: &mut store::Conn, arn: &str) -> Result<Option<Doc>, CommonError> {
        let found = managed_document(conn, arn).await.map_err(failed)?;
        Ok(found.map(|(id, document, source_type)| Doc { id, source_type, document }))
    }
}

#[allow(clippy::needless_pass_by_value)] // Used as `map_err(failed)`.
fn failed(e: IamError) -> CommonError {
    tracing::error!(error = %e, "loading a principal's policies failed");
    CommonError::Internal
}

/// The inline and attached policies of one entity; `via_group` reports them all as the group's.
async fn own_documents(
    conn: &mut store::Conn,
    owner: Owner,
    id: &str,
    inline_type: SourceType,
    via_group: bool,
    out: &mut Vec<Doc>,
) -> Result<(), IamError> {
    for p in db::inline_policies(conn, owner, id).await? {
        out.push(Doc { id: p.policy_name, source_type: inline_type, document: p.document });
    }
    for arn in db::attached(conn, owner, id).await? {
        if let Some((name, document, managed_type)) = managed_document(conn, &arn).await? {
            let source_type = if via_group { SourceType::Group } else { managed_type };
            out.push(Doc { id: name, source_type, document });
        }
    }
    Ok(())
}

/// Every identity-based policy of an entity: its own, and for a user those of its groups.
pub(crate) async fn documents(conn: &mut store::Conn, kind: Kind, id: &str) -> Result<Vec<Doc>, IamError> {
    let mut out = Vec::new();
    match kind {
        Kind::User => {
            own_documents(conn, Owner::User, id, SourceType::User, false, &mut out).await?;
            for g in db::groups_for_user(conn, id).await? {
                own_documents(conn, Owner::Group, &g.group_id, SourceType::Group, true, &mut out).await?;
            }
        }
        Kind::Role => own_documents(conn, Owner::Role, id, SourceType::Role, false, &mut out).await?,
        Kind::Group => own_documents(conn, Owner::Group, id, SourceType::Group, true, &mut out).await?,
    }
    Ok(out)
}
