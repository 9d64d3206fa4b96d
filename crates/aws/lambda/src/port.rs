//! Lambda's side of the core's [`Functions`] port: what SNS and EventBridge need to invoke a
//! function asynchronously on their own behalf.

use aws_core::env::Env;
use aws_core::error::CommonError;
use aws_core::ports::Functions;
use store::Scope;

/// Lambda's functions, as the [`Functions`] port offers them.
#[derive(Debug, Clone, Copy, Default)]
pub struct LambdaFunctions;

#[async_trait::async_trait]
impl Functions for LambdaFunctions {
    fn parse_arn<'a>(&self, arn: &'a str) -> Option<(Scope<'a>, &'a str)> {
        crate::parse_function_arn(arn).map(|(region, account_id, name)| (Scope { account_id, region }, name))
    }

    async fn authorize_service_invoke(
        &self,
        env: &Env,
        principal: &str,
        source_arn: &str,
        scope: Scope<'_>,
        name: &str,
    ) -> Result<bool, CommonError> {
        crate::authorize_service_invoke(env, principal, source_arn, scope, name).await
    }

    async fn enqueue_invocation(
        &self,
        env: &Env,
        conn: &mut store::Conn,
        scope: Scope<'_>,
        name: &str,
        request_id: &str,
        event: &[u8],
    ) -> Result<(), store::StoreError> {
        crate::invoke::enqueue(env, conn, scope, name, request_id, event).await
    }
}
