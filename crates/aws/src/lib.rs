//! The AWS-compatible services, one module each, behind one request pipeline.
//!
//! ```text
//! AwsRequest -> wire::detect -> service + operation -> sigv4 (secret from the store) -> Caller
//!            -> decode + validate input -> the operation declares (action, resource, context)
//!            -> policy::evaluate -> the typed operation -> encode -> audit -> AwsResponse
//! ```
//! Services never see HTTP: they get a [`Ctx`] and a typed input, and return a typed output or
//! their own error enum.

pub mod accounts;
mod auth;
mod authz;
mod caller;
pub mod cloudformation;
mod env;
mod error;
pub mod events;
pub mod iam;
mod ids;
pub mod kms;
pub mod lambda;
pub mod logs;
mod models;
pub mod organizations;
mod pipeline;
mod service;
pub mod sns;
pub mod sqs;
pub mod ssm;
pub mod sts;

pub use auth::authenticate_request;
pub use caller::{Caller, CallerKind};
pub use env::Env;
pub use error::{CommonError, ServiceError};
pub use ids::Ids;
pub use pipeline::{AwsRequest, AwsResponse, CallError, Dispatcher};
pub use service::{Authorization, Check, Ctx, Operation, Service};
