//! STS behind the core's [`RoleSessions`] port, for the services that act as a role on its
//! behalf (Lambda's execution roles).

use crate::ops::AssumeRoleRequest;
use crate::{assume_role, assume_role_check, parse_role_arn};
use aws_core::caller::Caller;
use aws_core::env::Env;
use aws_core::ports::{RoleSession, RoleSessions};
use aws_core::service;

/// STS as the [`RoleSessions`] port.
#[derive(Debug, Default)]
pub struct StsRoleSessions;

/// The AssumeRole call service `principal` would make for `role_arn`.
fn service_request(role_arn: &str, session_name: &str) -> AssumeRoleRequest {
    AssumeRoleRequest {
        role_arn: role_arn.to_owned(),
        role_session_name: session_name.to_owned(),
        ..AssumeRoleRequest::default()
    }
}

/// Service `principal` as the caller, in the role's account.
fn service_caller(principal: &str, role_arn: &str) -> Caller {
    Caller::service(principal, parse_role_arn(role_arn).map(|(a, _)| a).unwrap_or_default())
}

#[async_trait::async_trait]
impl RoleSessions for StsRoleSessions {
    /// The role must exist and its trust policy allow the service, exactly as an AssumeRole call
    /// by the service would be decided.
    async fn service_may_assume(
        &self,
        env: &Env,
        region: &str,
        principal: &str,
        role_arn: &str,
        session_name: &str,
    ) -> bool {
        let caller = service_caller(principal, role_arn);
        let request_id = env.ids.uuid();
        let ctx = service::internal_ctx(env, &request_id, &caller, region);
        match assume_role_check(&ctx, &service_request(role_arn, session_name)).await {
            Ok(check) => ctx.authorize(check).await.is_ok(),
            Err(_) => false,
        }
    }

    /// A session of the default length.
    async fn assume_for_service(
        &self,
        env: &Env,
        region: &str,
        principal: &str,
        role_arn: &str,
        session_name: &str,
    ) -> Option<RoleSession> {
        if !self.service_may_assume(env, region, principal, role_arn, session_name).await {
            return None;
        }
        let caller = service_caller(principal, role_arn);
        let request_id = env.ids.uuid();
        let ctx = service::internal_ctx(env, &request_id, &caller, region);
        let credentials = assume_role(&ctx, service_request(role_arn, session_name)).await.ok()?.credentials?;
        Some(RoleSession {
            access_key_id: credentials.access_key_id,
            secret_access_key: zeroize::Zeroizing::new(credentials.secret_access_key),
            session_token: zeroize::Zeroizing::new(credentials.session_token),
        })
    }
}
