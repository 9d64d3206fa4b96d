//! AWS Security Token Service (awsQuery, global).

use crate::error::{CommonError, Flavor, ServiceError};
use crate::service::{self, Authorization, Ctx, Operation, Service};
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// The implemented STS operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Who am I.
    GetCallerIdentity,
}

impl Operation for Op {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "GetCallerIdentity" => Op::GetCallerIdentity,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Op::GetCallerIdentity => "GetCallerIdentity",
        }
    }
}

/// STS errors.
#[derive(Debug)]
pub enum StsError {
    /// A pipeline failure.
    Common(CommonError),
}

impl From<CommonError> for StsError {
    fn from(e: CommonError) -> Self {
        StsError::Common(e)
    }
}

impl fmt::Display for StsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StsError::Common(e) => f.write_str(&e.render(Flavor::Query).2),
        }
    }
}

impl ServiceError for StsError {
    fn code(&self) -> &str {
        match self {
            StsError::Common(e) => e.render(Flavor::Query).0,
        }
    }

    fn status(&self) -> u16 {
        match self {
            StsError::Common(e) => e.render(Flavor::Query).1,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetCallerIdentityResponse<'a> {
    user_id: &'a str,
    account: &'a str,
    arn: &'a str,
}

/// The STS service.
#[derive(Debug, Default)]
pub struct Sts;

#[async_trait::async_trait]
impl Service for Sts {
    type Op = Op;
    type Error = StsError;

    fn signing_name(&self) -> &'static str {
        "sts"
    }

    fn model(&self) -> &'static wire::ServiceModel {
        &crate::models::STS
    }

    fn flavor(&self) -> Flavor {
        Flavor::Query
    }

    async fn authorize(&self, _ctx: &Ctx<'_>, op: Op, _input: &Value) -> Result<Authorization, StsError> {
        Ok(match op {
            // "No permissions are required to perform this operation" (STS API reference).
            Op::GetCallerIdentity => Authorization::NotRequired,
        })
    }

    async fn execute(&self, ctx: &Ctx<'_>, op: Op, _input: Value) -> Result<Value, StsError> {
        match op {
            Op::GetCallerIdentity => Ok(service::output(&GetCallerIdentityResponse {
                user_id: &ctx.caller.user_id,
                account: &ctx.caller.account_id,
                arn: &ctx.caller.arn,
            })?),
        }
    }
}
