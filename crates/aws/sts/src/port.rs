//! STS behind the core's [`RoleSessions`] port, for the services that act as a role on its
//! behalf (Lambda's execution roles).

use aws_core::env::Env;
use aws_core::ports::{RoleSession, RoleSessions};

/// STS as the [`RoleSessions`] port.
#[derive(Debug, Default)]
pub struct StsRoleSessions;

#[async_trait::async_trait]
impl RoleSessions for StsRoleSessions {
    async fn service_may_assume(
        &self,
        env: &Env,
        region: &str,
        principal: &str,
        role_arn: &str,
        session_name: &str,
    ) -> bool {
        crate::service_may_assume(env, region, principal, role_arn, session_name).await.is_ok()
    }

    async fn assume_for_service(
        &self,
        env: &Env,
        region: &str,
        principal: &str,
        role_arn: &str,
        session_name: &str,
    ) -> Option<RoleSession> {
        crate::assume_role_for_service(env, region, principal, role_arn, session_name).await.ok()
    }
}
