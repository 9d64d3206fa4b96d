//! The core every AWS-compatible service runs on: one request pipeline, and nothing of any one
//! service.
//!
//! ```text
//! AwsRequest -> wire::detect -> service + operation -> sigv4 (secret from the store) -> Caller
//!            -> decode + validate input -> the operation declares (action, resource, context)
//!            -> policy::evaluate -> the typed operation -> encode -> audit -> AwsResponse
//! ```
//! Services (one crate each) never see HTTP: they get a [`Ctx`] and a typed input, and return a
//! typed output or their own error enum. Where one service uses another, as AWS's own do, it goes
//! through a narrow port the composition root wires (authorization reads principals' policies
//! through [`authz::Identities`], which IAM implements; SSM, SQS and Lambda use KMS through
//! [`ports::Keys`]).

pub mod accounts;
pub mod auth;
pub mod authz;
pub mod caller;
pub mod env;
pub mod error;
pub mod ids;
pub mod models;
pub mod outbox;
pub mod pipeline;
pub mod ports;
pub mod service;

pub use auth::authenticate_request;
pub use caller::{Caller, CallerKind};
pub use env::Env;
pub use error::{CommonError, ServiceError};
pub use ids::Ids;
pub use pipeline::{AwsRequest, AwsResponse, CallError, Dispatcher};
pub use service::{Authorization, Check, Ctx, Operation, Service};
