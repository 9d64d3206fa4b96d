//! CloudWatch Logs behind the core's [`LogWriter`] port, for the services that write logs as
//! their caller (Lambda).

use crate::ops::{CreateLogGroupRequest, CreateLogStreamRequest, InputLogEvent, PutLogEventsRequest, Request};
use crate::{Logs, LogsError};
use aws_core::caller::Caller;
use aws_core::env::Env;
use aws_core::ports::{LogWriteError, LogWriter};
use aws_core::service::{Operation, Request as _, Service};

/// CloudWatch Logs as the [`LogWriter`] port.
#[derive(Debug, Default)]
pub struct LogsWriter;

#[async_trait::async_trait]
impl LogWriter for LogsWriter {
    async fn write(
        &self,
        env: &Env,
        caller: &Caller,
        region: &str,
        group: &str,
        stream: &str,
        events: Vec<(i64, String)>,
    ) -> Result<(), LogWriteError> {
        let log_events = events.into_iter().map(|(timestamp, message)| InputLogEvent { message, timestamp }).collect();
        let steps = [
            Request::CreateLogGroup(CreateLogGroupRequest { log_group_name: group.to_owned(), ..Default::default() }),
            Request::CreateLogStream(CreateLogStreamRequest {
                log_group_name: group.to_owned(),
                log_stream_name: stream.to_owned(),
            }),
            Request::PutLogEvents(PutLogEventsRequest {
                log_group_name: group.to_owned(),
                log_stream_name: stream.to_owned(),
                log_events,
                ..Default::default()
            }),
        ];
        for request in steps {
            let operation = request.op().name();
            match call(env, caller, region, request).await {
                Ok(()) | Err(LogsError::AlreadyExists(_)) => {}
                Err(e) => return Err(LogWriteError { operation, message: e.to_string() }),
            }
        }
        Ok(())
    }
}

/// One CloudWatch Logs call by `caller`, decided and run as the API would.
async fn call(env: &Env, caller: &Caller, region: &str, request: Request) -> Result<(), LogsError> {
    let request_id = env.ids.uuid();
    let ctx = aws_core::service::internal_ctx(env, &request_id, caller, region);
    let authorization = Logs.authorize(&ctx, &request).await?;
    aws_core::authz::authorize(&ctx, &authorization).await?;
    Logs.execute(&ctx, request).await.map(|_| ())
}
