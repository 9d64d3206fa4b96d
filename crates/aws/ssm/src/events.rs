//! The events Parameter Store puts on the account's default bus, written to the outbox in the
//! transaction of the change that causes them.

use super::names;
use aws_core::env::Env;
use aws_core::outbox::{self, Event};
use serde_json::json;
use store::Scope;
use store::StoreError;
use store::ssm::Version;

/// "Parameter Store Change": `operation` is `Create`, `Update`, `Delete` or
/// `LabelParameterVersion`.
pub(crate) async fn emit_change(
    env: &Env,
    conn: &mut store::Conn,
    scope: Scope<'_>,
    operation: &str,
    version: &Version,
    now_ms: i64,
) -> Result<(), StoreError> {
    let detail = json!({
        "operation": operation,
        "name": version.name,
        "type": version.kind,
        "description": version.description.as_deref().unwrap_or_default(),
    });
    emit(env, conn, scope, "Parameter Store Change", &version.name, detail, now_ms).await
}

/// What a fired policy reports.
pub(crate) struct PolicyAction<'a> {
    /// The parameter.
    pub name: &'a str,
    /// Its type (`String`, `StringList`, `SecureString`).
    pub kind: &'a str,
    /// The policy's type.
    pub policy_type: &'a str,
    /// The policy's JSON text.
    pub policy_text: &'a str,
    /// Why it fired.
    pub reason: &'a str,
}

/// "Parameter Store Policy Action".
pub(crate) async fn emit_policy_action(
    env: &Env,
    conn: &mut store::Conn,
    scope: Scope<'_>,
    action: &PolicyAction<'_>,
    now_ms: i64,
) -> Result<(), StoreError> {
    let detail = json!({
        "parameter-name": action.name,
        "parameter-type": action.kind,
        "policy-type": action.policy_type,
        "policy-content": action.policy_text,
        "action-status": "Finished",
        "action-reason": action.reason,
    });
    emit(env, conn, scope, "Parameter Store Policy Action", action.name, detail, now_ms).await
}

async fn emit(
    env: &Env,
    conn: &mut store::Conn,
    scope: Scope<'_>,
    detail_type: &str,
    name: &str,
    detail: serde_json::Value,
    now_ms: i64,
) -> Result<(), StoreError> {
    let resources = vec![names::arn(scope.region, scope.account_id, name)];
    let event = Event::from_service(&env.ids, "aws.ssm", detail_type, scope, now_ms, resources, detail);
    outbox::emit(conn, &event, now_ms).await
}
