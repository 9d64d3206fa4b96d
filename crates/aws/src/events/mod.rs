//! Amazon EventBridge. For now, the outbox entry point through which AWS services emit their
//! events (`aws.ssm` "Parameter Store Policy Action" and the like) to an account's default bus.

pub mod outbox;
