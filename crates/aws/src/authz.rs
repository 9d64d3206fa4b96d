//! Authorization: every operation's declared checks are decided before it runs. Deny by default.

use crate::error::CommonError;
use crate::service::{Authorization, Check, Ctx};

/// AWS's denial message.
pub(crate) fn denied(caller_arn: &str, check: &Check) -> CommonError {
    CommonError::AccessDenied(format!(
        "User: {caller_arn} is not authorized to perform: {} on resource: {}",
        check.action, check.resource
    ))
}

/// Decides every check of `authorization` for the request's caller.
pub(crate) async fn authorize(ctx: &Ctx<'_>, authorization: &Authorization) -> Result<(), CommonError> {
    let Authorization::All(checks) = authorization else {
        return Ok(());
    };
    for check in checks {
        decide(ctx, check)?;
    }
    Ok(())
}

fn decide(ctx: &Ctx<'_>, check: &Check) -> Result<(), CommonError> {
    // The account's root may do anything within the account. Every other principal needs an
    // Allow from its policies, which arrive with IAM users and roles; until one says so, no.
    if ctx.caller.is_root() {
        return Ok(());
    }
    Err(denied(&ctx.caller.arn, check))
}
