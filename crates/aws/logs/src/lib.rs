//! Amazon CloudWatch Logs (awsJson1_1): log groups with their retention, log streams, and the
//! events put to them, read back in order (GetLogEvents, with its forward and backward tokens)
//! or searched across streams with a text filter pattern (FilterLogEvents). What a Lambda
//! function prints lands here, in `/aws/lambda/NAME`.
//!
//! Event messages are kept sealed under the at-rest key, bound to their stream and id: a log may
//! hold tokens (the rotation blog's function prints its LWA response), and AWS encrypts log data
//! at rest too. Events outside a group's retention are not returned and are deleted as new ones
//! arrive.

pub mod ops;
pub use ops::Op;
mod error;
mod pattern;
mod port;

pub use error::LogsError;
pub use port::LogsWriter;

/// CloudWatch Logs's service model (generated from botocore by `tools/gen-models.py`).
pub static MODEL: std::sync::LazyLock<wire::ServiceModel> =
    std::sync::LazyLock::new(|| aws_core::models::load("logs", include_str!("../models/logs.json")));

use aws_core::service::{Authorization, Check, Ctx, Service};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ops::{
    CreateLogGroupRequest, DescribeLogGroupsRequest, DescribeLogGroupsResponse, DescribeLogStreamsRequest,
    DescribeLogStreamsResponse, FilterLogEventsRequest, FilterLogEventsResponse, FilteredLogEvent, GetLogEventsRequest,
    GetLogEventsResponse, LogGroup, LogStream, OutputLogEvent, PutLogEventsRequest, PutLogEventsResponse,
    RejectedLogEventsInfo, Request, SearchedLogStream,
};
use serde::Serialize;
use serde_json::{Map, Value};
use store::Scope;
use store::logs as db;

const DAY_MS: i64 = 86_400_000;
/// The retention periods CloudWatch Logs offers, in days.
const RETENTION_DAYS: [i64; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
/// A PutLogEvents batch: at most this many bytes, counting 26 bytes of overhead per event.
const BATCH_BYTES: usize = 1_048_576;
const EVENT_OVERHEAD: usize = 26;
/// One event's message: at most this many bytes.
const EVENT_BYTES: usize = 262_144;
/// A batch may not span more than 24 hours.
const BATCH_SPAN_MS: i64 = DAY_MS;
/// Events more than 2 hours in the future, or older than 14 days, are rejected.
const TOO_NEW_MS: i64 = 2 * 3_600_000;
const TOO_OLD_MS: i64 = 14 * DAY_MS;
/// Page sizes: Describe* at most 50; event reads at most 10,000 (and 1 MB of messages).
const DESCRIBE_MAX: i64 = 50;
const EVENTS_MAX: i64 = 10_000;
const READ_BYTES: usize = 1_048_576;
/// FilterLogEvents reads events in slices of this many, at most this many slices a call.
const SLICE: i64 = 1000;
const SLICES_PER_CALL: usize = 100;
/// A group has at most 50 tags.
const TAGS_MAX: usize = 50;

/// The CloudWatch Logs service.
#[derive(Debug, Default)]
pub struct Logs;

#[async_trait::async_trait]
impl Service for Logs {
    type Request = Request;
    type Error = LogsError;

    fn signing_name(&self) -> &'static str {
        "logs"
    }

    fn model(&self) -> &'static wire::ServiceModel {
        &crate::MODEL
    }

    fn flavor(&self) -> aws_core::error::Flavor {
        aws_core::error::Flavor::Json
    }

    fn invalid_input(&self, _op: Op, _input: &Value, violations: &[wire::Violation]) -> Option<Result<(), LogsError>> {
        wire::validation_message(violations).map(|m| Err(LogsError::InvalidParameter(m)))
    }

    async fn authorize(&self, ctx: &Ctx<'_>, request: &Request) -> Result<Authorization, LogsError> {
        use aws_core::service::{Operation, Request as _};
        let group = target_group(ctx, request)?;
        // As CloudWatch Logs documents: stream operations on the stream's ARN, the others on
        // the group's ARN with its trailing `:*` (what `Resource: log-group:NAME:*` grants).
        let stream = |name: &str| format!("{}:log-stream:{name}", group_arn(ctx, &group));
        let resource = match request {
            Request::DescribeLogGroups(_) => group_arn(ctx, "*"),
            Request::PutLogEvents(r) => stream(&r.log_stream_name),
            Request::GetLogEvents(r) => stream(&r.log_stream_name),
            Request::CreateLogStream(r) => stream(&r.log_stream_name),
            Request::DeleteLogStream(r) => stream(&r.log_stream_name),
            Request::CreateLogGroup(_)
            | Request::DeleteLogGroup(_)
            | Request::DeleteRetentionPolicy(_)
            | Request::DescribeLogStreams(_)
            | Request::FilterLogEvents(_)
            | Request::PutRetentionPolicy(_) => format!("{}:*", group_arn(ctx, &group)),
        };
        Ok(Authorization::one(Check::new(format!("logs:{}", request.op().name()), resource)))
    }

    async fn execute(&self, ctx: &Ctx<'_>, request: Request) -> Result<Value, LogsError> {
        let group = target_group(ctx, &request)?;
        let l = Group { ctx, scope: Scope { account_id: ctx.account(), region: ctx.region }, name: group };
        match request {
            Request::CreateLogGroup(input) => l.create(input).await,
            Request::DeleteLogGroup(_) => l.delete().await,
            Request::DescribeLogGroups(input) => output(&describe_groups(ctx, input).await?),
            Request::PutRetentionPolicy(input) => l.retention(input.retention_in_days).await,
            Request::DeleteRetentionPolicy(_) => l.set_retention(None).await,
            Request::CreateLogStream(input) => l.create_stream(&input.log_stream_name).await,
            Request::DeleteLogStream(input) => l.delete_stream(&input.log_stream_name).await,
            Request::DescribeLogStreams(input) => output(&l.describe_streams(input).await?),
            Request::PutLogEvents(input) => output(&l.put_events(input).await?),
            Request::GetLogEvents(input) => output(&l.get_events(input).await?),
            Request::FilterLogEvents(input) => output(&l.filter_events(input).await?),
        }
    }
}

/// `arn:aws:logs:REGION:ACCOUNT:log-group:NAME`.
fn group_arn(ctx: &Ctx<'_>, name: &str) -> String {
    format!("arn:aws:logs:{}:{}:log-group:{name}", ctx.region, ctx.account())
}

/// The group a request names.
fn target_group(ctx: &Ctx<'_>, request: &Request) -> Result<String, LogsError> {
    let (by_name, by_id) = match request {
        Request::CreateLogGroup(r) => (Some(&r.log_group_name), None),
        Request::CreateLogStream(r) => (Some(&r.log_group_name), None),
        Request::DeleteLogGroup(r) => (Some(&r.log_group_name), None),
        Request::DeleteLogStream(r) => (Some(&r.log_group_name), None),
        Request::DeleteRetentionPolicy(r) => (Some(&r.log_group_name), None),
        Request::PutLogEvents(r) => (Some(&r.log_group_name), None),
        Request::PutRetentionPolicy(r) => (Some(&r.log_group_name), None),
        Request::DescribeLogGroups(_) => (None, None),
        Request::DescribeLogStreams(r) => (r.log_group_name.as_ref(), r.log_group_identifier.as_ref()),
        Request::FilterLogEvents(r) => (r.log_group_name.as_ref(), r.log_group_identifier.as_ref()),
        Request::GetLogEvents(r) => (r.log_group_name.as_ref(), r.log_group_identifier.as_ref()),
    };
    group_name(ctx, by_name.map(String::as_str), by_id.map(String::as_str))
}

/// The group named by `logGroupName` or `logGroupIdentifier` (a name or an ARN of this account
/// and region; any other is not found). Both at once is refused, as AWS does.
fn group_name(ctx: &Ctx<'_>, by_name: Option<&str>, by_id: Option<&str>) -> Result<String, LogsError> {
    match (by_name, by_id) {
        (Some(_), Some(_)) => {
            Err(LogsError::InvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.".into()))
        }
        (Some(n), None) => Ok(n.to_owned()),
        (None, Some(id)) if id.starts_with("arn:") => {
            let own = format!("arn:aws:logs:{}:{}:log-group:", ctx.region, ctx.account());
            let name = id.strip_prefix(&own).ok_or(LogsError::NotFound("log group"))?;
            Ok(name.strip_suffix(":*").unwrap_or(name).to_owned())
        }
        (None, Some(id)) => Ok(id.to_owned()),
        (None, None) => Ok(String::new()),
    }
}

fn invalid(message: impl Into<String>) -> LogsError {
    LogsError::InvalidParameter(message.into())
}

fn output<T: Serialize>(value: &T) -> Result<Value, LogsError> {
    Ok(aws_core::service::output(value)?)
}

fn empty() -> Value {
    Value::Object(Map::new())
}

/// An opaque page token holding `text`.
fn token(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

fn untoken(t: &str) -> Result<String, LogsError> {
    URL_SAFE_NO_PAD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| invalid("The specified nextToken is invalid."))
}

fn page_size(limit: Option<i64>, max: i64) -> i64 {
    limit.unwrap_or(max).clamp(1, max)
}

// ---- outputs ---------------------------------------------------------------------------------

fn group_out(ctx: &Ctx<'_>, g: db::Group) -> LogGroup {
    let arn = group_arn(ctx, &g.name);
    LogGroup {
        creation_time: Some(g.created_ms),
        retention_in_days: g.retention_days.map(|d| i32::try_from(d).unwrap_or(i32::MAX)),
        metric_filter_count: Some(0),
        arn: Some(format!("{arn}:*")),
        stored_bytes: Some(g.stored_bytes),
        kms_key_id: g.kms_key_id,
        log_group_class: Some(g.class),
        log_group_arn: Some(arn),
        deletion_protection_enabled: Some(false),
        log_group_name: Some(g.name),
        ..LogGroup::default()
    }
}

/// A sequence token: 56 digits, as CloudWatch Logs writes them (it no longer checks them).
fn sequence_token(n: i64) -> String {
    format!("{n:056}")
}

async fn describe_groups(
    ctx: &Ctx<'_>,
    input: DescribeLogGroupsRequest,
) -> Result<DescribeLogGroupsResponse, LogsError> {
    if input.log_group_name_prefix.is_some() && input.log_group_name_pattern.is_some() {
        return Err(invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."));
    }
    let limit = page_size(input.limit.map(i64::from), DESCRIBE_MAX);
    let after = input.next_token.as_deref().map(untoken).transpose()?.unwrap_or_default();
    let scope = Scope { account_id: ctx.account(), region: ctx.region };
    let wanted: Vec<String> = input
        .log_group_identifiers
        .iter()
        .flatten()
        .map(|id| group_name(ctx, None, Some(id)).unwrap_or_default())
        .collect();
    let keep = |g: &db::Group| {
        input.log_group_name_pattern.as_deref().is_none_or(|p| g.name.contains(p))
            && input.log_group_class.as_deref().is_none_or(|c| g.class == c)
            && (wanted.is_empty() || wanted.contains(&g.name))
    };
    let mut conn = ctx.env.store.read().await?;
    let prefix = input.log_group_name_prefix.as_deref().unwrap_or("");
    // Filters other than the prefix apply after the read: read on until a page is full.
    let mut page = Vec::new();
    let mut cursor = after;
    let more = loop {
        let batch = db::groups(&mut conn, scope, prefix, &cursor, limit + 1).await?;
        let exhausted = i64::try_from(batch.len()).unwrap_or(i64::MAX) <= limit;
        for g in batch {
            cursor.clone_from(&g.name);
            if keep(&g) {
                if i64::try_from(page.len()).unwrap_or(i64::MAX) == limit {
                    break;
                }
                page.push(g);
            }
        }
        if i64::try_from(page.len()).unwrap_or(i64::MAX) == limit || exhausted {
            break i64::try_from(page.len()).unwrap_or(i64::MAX) == limit && !exhausted;
        }
    };
    let next = page.last().filter(|_| more).map(|g| token(&g.name));
    let log_groups = page.into_iter().map(|g| group_out(ctx, g)).collect();
    Ok(DescribeLogGroupsResponse { log_groups: Some(log_groups), next_token: next })
}

/// The group an operation acts on.
struct Group<'a> {
    ctx: &'a Ctx<'a>,
    scope: Scope<'a>,
    name: String,
}

impl Group<'_> {
    fn arn(&self) -> String {
        group_arn(self.ctx, &self.name)
    }

    fn require_name(&self) -> Result<(), LogsError> {
        if self.name.is_empty() {
            Err(invalid(
                "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null",
            ))
        } else {
            Ok(())
        }
    }

    /// The group, or `ResourceNotFoundException`.
    async fn load(&self, conn: &mut store::Conn) -> Result<db::Group, LogsError> {
        self.require_name()?;
        db::group(conn, self.scope, &self.name).await?.ok_or(LogsError::NotFound("log group"))
    }

    async fn create(&self, input: CreateLogGroupRequest) -> Result<Value, LogsError> {
        self.require_name()?;
        if input.deletion_protection_enabled == Some(true) {
            return Err(invalid("deletionProtectionEnabled is not supported by this endpoint"));
        }
        let class = input.log_group_class.unwrap_or_else(|| "STANDARD".into());
        if !matches!(class.as_str(), "STANDARD" | "INFREQUENT_ACCESS" | "DELIVERY") {
            return Err(invalid(format!(
                "1 validation error detected: Value '{class}' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [DELIVERY, STANDARD, INFREQUENT_ACCESS]"
            )));
        }
        let tags = input.tags.unwrap_or_default();
        if tags.len() > TAGS_MAX {
            return Err(invalid(format!("A log group can have at most {TAGS_MAX} tags.")));
        }
        let g = db::Group {
            name: self.name.clone(),
            created_ms: self.ctx.now_ms,
            retention_days: None,
            kms_key_id: input.kms_key_id,
            class,
            tags: serde_json::to_string(&tags)
                .map_err(|_| LogsError::Common(aws_core::error::CommonError::Internal))?,
            stored_bytes: 0,
        };
        let mut tx = self.ctx.env.store.begin().await?;
        if !db::insert_group(&mut tx, self.scope, &g).await? {
            return Err(LogsError::AlreadyExists("log group"));
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(empty())
    }

    async fn delete(&self) -> Result<Value, LogsError> {
        self.require_name()?;
        let mut tx = self.ctx.env.store.begin().await?;
        if !db::delete_group(&mut tx, self.scope, &self.name).await? {
            return Err(LogsError::NotFound("log group"));
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(empty())
    }

    async fn retention(&self, days: i32) -> Result<Value, LogsError> {
        let days = i64::from(days);
        if !RETENTION_DAYS.contains(&days) {
            let allowed = RETENTION_DAYS.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            return Err(invalid(format!(
                "1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{allowed}]"
            )));
        }
        self.set_retention(Some(days)).await
    }

    async fn set_retention(&self, days: Option<i64>) -> Result<Value, LogsError> {
        self.require_name()?;
        let mut tx = self.ctx.env.store.begin().await?;
        if !db::set_retention(&mut tx, self.scope, &self.name, days).await? {
            return Err(LogsError::NotFound("log group"));
        }
        if let Some(d) = days {
            db::expire(&mut tx, self.scope, &self.name, self.ctx.now_ms - d * DAY_MS).await?;
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(empty())
    }

    async fn create_stream(&self, stream: &str) -> Result<Value, LogsError> {
        let mut tx = self.ctx.env.store.begin().await?;
        self.load(&mut tx).await?;
        if !db::insert_stream(&mut tx, self.scope, &self.name, stream, self.ctx.now_ms).await? {
            return Err(LogsError::AlreadyExists("log stream"));
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(empty())
    }

    async fn delete_stream(&self, stream: &str) -> Result<Value, LogsError> {
        let mut tx = self.ctx.env.store.begin().await?;
        self.load(&mut tx).await?;
        if !db::delete_stream(&mut tx, self.scope, &self.name, stream).await? {
            return Err(LogsError::NotFound("log stream"));
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(empty())
    }

    fn stream_out(&self, s: db::Stream) -> LogStream {
        LogStream {
            creation_time: Some(s.created_ms),
            first_event_timestamp: s.first_event_ms,
            last_event_timestamp: s.last_event_ms,
            last_ingestion_time: s.last_ingestion_ms,
            upload_sequence_token: Some(sequence_token(s.id)),
            arn: Some(format!("{}:log-stream:{}", self.arn(), s.name)),
            stored_bytes: Some(s.stored_bytes),
            log_stream_name: Some(s.name),
        }
    }

    async fn describe_streams(
        &self,
        input: DescribeLogStreamsRequest,
    ) -> Result<DescribeLogStreamsResponse, LogsError> {
        let by_time = match input.order_by.as_deref() {
            None | Some("LogStreamName") => false,
            Some("LastEventTime") => true,
            Some(other) => {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{other}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"
                )));
            }
        };
        if by_time && input.log_stream_name_prefix.is_some() {
            return Err(invalid("Cannot order by LastEventTime with a logStreamNamePrefix."));
        }
        let limit = usize::try_from(page_size(input.limit.map(i64::from), DESCRIBE_MAX)).unwrap_or(1);
        let skip: usize = match &input.next_token {
            Some(t) => untoken(t)?.parse().map_err(|_| invalid("The specified nextToken is invalid."))?,
            None => 0,
        };
        let mut conn = self.ctx.env.store.read().await?;
        self.load(&mut conn).await?;
        let mut streams =
            db::streams(&mut conn, self.scope, &self.name, input.log_stream_name_prefix.as_deref().unwrap_or(""))
                .await?;
        if by_time {
            streams.sort_by_key(|s| (s.last_event_ms.unwrap_or(s.created_ms), s.id));
        }
        if input.descending == Some(true) {
            streams.reverse();
        }
        let total = streams.len();
        let page: Vec<LogStream> = streams.into_iter().skip(skip).take(limit).map(|s| self.stream_out(s)).collect();
        let next_token = (skip + page.len() < total).then(|| token(&(skip + page.len()).to_string()));
        Ok(DescribeLogStreamsResponse { log_streams: Some(page), next_token })
    }

    async fn put_events(&self, input: PutLogEventsRequest) -> Result<PutLogEventsResponse, LogsError> {
        let events = &input.log_events;
        let mut bytes = 0usize;
        for (i, e) in events.iter().enumerate() {
            if e.message.len() > EVENT_BYTES {
                return Err(invalid(format!(
                    "Log event too large: {} bytes exceeds limit of {EVENT_BYTES}",
                    e.message.len()
                )));
            }
            if i > 0 && e.timestamp < events[i - 1].timestamp {
                return Err(invalid("Log events in a single PutLogEvents request must be in chronological order."));
            }
            bytes += e.message.len() + EVENT_OVERHEAD;
        }
        if bytes > BATCH_BYTES {
            return Err(invalid(format!("Upload too large: {bytes} bytes exceeds limit of {BATCH_BYTES}")));
        }
        if let (Some(first), Some(last)) = (events.first(), events.last())
            && last.timestamp - first.timestamp > BATCH_SPAN_MS
        {
            return Err(invalid(
                "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
            ));
        }
        let now = self.ctx.now_ms;
        let mut tx = self.ctx.env.store.begin().await?;
        let group = self.load(&mut tx).await?;
        let stream = db::stream(&mut tx, self.scope, &self.name, &input.log_stream_name)
            .await?
            .ok_or(LogsError::NotFound("log stream"))?;
        let expired_before = group.retention_days.map(|d| now - d * DAY_MS);
        let mut rejected = RejectedLogEventsInfo::default();
        let index = |i: usize| i32::try_from(i).unwrap_or(i32::MAX);
        let mut next_id = db::next_event_id(&mut tx).await?;
        let mut kept: Option<(i64, i64)> = None;
        let mut kept_bytes = 0i64;
        for (i, e) in events.iter().enumerate() {
            if e.timestamp > now + TOO_NEW_MS {
                rejected.too_new_log_event_start_index.get_or_insert(index(i));
                continue;
            }
            if e.timestamp < now - TOO_OLD_MS {
                rejected.too_old_log_event_end_index = Some(index(i));
                continue;
            }
            if expired_before.is_some_and(|b| e.timestamp < b) {
                rejected.expired_log_event_end_index = Some(index(i));
                continue;
            }
            let sealed = self.ctx.env.seal(e.message.as_bytes(), &event_aad(stream.id, next_id));
            let size = i64::try_from(e.message.len()).unwrap_or(i64::MAX);
            let row = db::Event {
                id: next_id,
                stream_id: stream.id,
                timestamp_ms: e.timestamp,
                ingestion_ms: now,
                message: sealed,
            };
            db::insert_event(&mut tx, &row, size).await?;
            next_id += 1;
            kept_bytes += size;
            kept = Some(kept.map_or((e.timestamp, e.timestamp), |(f, _)| (f, e.timestamp)));
        }
        if let Some((first, last)) = kept {
            db::note_batch(&mut tx, stream.id, first, last, now, kept_bytes).await?;
        }
        if let Some(before) = expired_before {
            db::expire(&mut tx, self.scope, &self.name, before).await?;
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        Ok(PutLogEventsResponse {
            next_sequence_token: Some(sequence_token(next_id)),
            rejected_log_events_info: (rejected != RejectedLogEventsInfo::default()).then_some(rejected),
            rejected_entity_info: None,
        })
    }

    /// The earliest time an event may have to be returned (retention).
    fn kept_since(&self, group: &db::Group) -> i64 {
        group.retention_days.map_or(0, |d| self.ctx.now_ms - d * DAY_MS)
    }

    /// An event's message, opened.
    fn open(&self, e: &db::Event) -> Result<String, LogsError> {
        let plain = self.ctx.env.open(&e.message, &event_aad(e.stream_id, e.id)).map_err(|_| {
            tracing::error!(event = e.id, "a sealed log event does not open");
            LogsError::Common(aws_core::error::CommonError::Internal)
        })?;
        Ok(String::from_utf8_lossy(&plain).into_owned())
    }

    async fn get_events(&self, input: GetLogEventsRequest) -> Result<GetLogEventsResponse, LogsError> {
        let limit = page_size(input.limit.map(i64::from), EVENTS_MAX);
        let mut conn = self.ctx.env.store.read().await?;
        let group = self.load(&mut conn).await?;
        let stream = db::stream(&mut conn, self.scope, &self.name, &input.log_stream_name)
            .await?
            .ok_or(LogsError::NotFound("log stream"))?;
        let (forward, at) = match input.next_token.as_deref() {
            Some(t) => position(t)?,
            None if input.start_from_head == Some(true) => (true, (i64::MIN, i64::MIN)),
            None => (false, (i64::MAX, i64::MAX)),
        };
        let window = db::Window {
            start_ms: input.start_time.unwrap_or(0).max(self.kept_since(&group)),
            end_ms: input.end_time.unwrap_or(i64::MAX),
            after: if forward { at } else { (i64::MIN, i64::MIN) },
            before: if forward { (i64::MAX, i64::MAX) } else { at },
            limit,
            newest_first: !forward,
        };
        let events = db::events(&mut conn, &[stream.id], window).await?;
        drop(conn);
        // Read in the direction asked, so that a page cut short by its bytes keeps the events
        // nearest the position read from.
        let mut opened = Vec::with_capacity(events.len());
        let mut bytes = 0usize;
        for e in events {
            let message = self.open(&e)?;
            bytes += message.len() + EVENT_OVERHEAD;
            if bytes > READ_BYTES && !opened.is_empty() {
                break;
            }
            opened.push((e, message));
        }
        if !forward {
            opened.reverse();
        }
        // With nothing after the latest event yet, reading on starts from the beginning of time.
        let read_on_from = if at == (i64::MAX, i64::MAX) { (i64::MIN, i64::MIN) } else { at };
        let first = opened.first().map_or(at, |(e, _)| (e.timestamp_ms, e.id));
        let last = opened.last().map_or(read_on_from, |(e, _)| (e.timestamp_ms, e.id));
        let events = opened
            .into_iter()
            .map(|(e, message)| OutputLogEvent {
                timestamp: Some(e.timestamp_ms),
                message: Some(message),
                ingestion_time: Some(e.ingestion_ms),
            })
            .collect();
        Ok(GetLogEventsResponse {
            events: Some(events),
            next_forward_token: Some(position_token(true, last)),
            next_backward_token: Some(position_token(false, first)),
        })
    }

    async fn filter_events(&self, input: FilterLogEventsRequest) -> Result<FilterLogEventsResponse, LogsError> {
        let names = input.log_stream_names.unwrap_or_default();
        if !names.is_empty() && input.log_stream_name_prefix.is_some() {
            return Err(invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters."));
        }
        let pattern = pattern::Pattern::parse(input.filter_pattern.as_deref().unwrap_or("")).map_err(invalid)?;
        let limit = page_size(input.limit.map(i64::from), EVENTS_MAX);
        let after = match input.next_token.as_deref() {
            Some(t) => {
                let text = untoken(t)?;
                let (ts, id) = text.split_once(':').ok_or_else(|| invalid("The specified nextToken is invalid."))?;
                (
                    ts.parse().map_err(|_| invalid("The specified nextToken is invalid."))?,
                    id.parse().map_err(|_| invalid("The specified nextToken is invalid."))?,
                )
            }
            None => (i64::MIN, i64::MIN),
        };
        let mut conn = self.ctx.env.store.read().await?;
        let group = self.load(&mut conn).await?;
        let streams: Vec<db::Stream> =
            db::streams(&mut conn, self.scope, &self.name, input.log_stream_name_prefix.as_deref().unwrap_or(""))
                .await?
                .into_iter()
                .filter(|s| names.is_empty() || names.contains(&s.name))
                .collect();
        let ids: Vec<i64> = streams.iter().map(|s| s.id).collect();
        let name_of = |id: i64| streams.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default();
        let mut window = db::Window {
            start_ms: input.start_time.unwrap_or(0).max(self.kept_since(&group)),
            end_ms: input.end_time.unwrap_or(i64::MAX),
            after,
            before: (i64::MAX, i64::MAX),
            limit: SLICE,
            newest_first: false,
        };
        let mut found = Vec::new();
        let mut bytes = 0usize;
        let mut scanned_to = after;
        let mut exhausted = false;
        // Read in slices, each opened and matched, until the page is full, the events run out,
        // or this call has scanned its share (the token then carries on from there).
        'read: for _ in 0..SLICES_PER_CALL {
            let slice = db::events(&mut conn, &ids, window).await?;
            let n = slice.len();
            for e in slice {
                let message = self.open(&e)?;
                scanned_to = (e.timestamp_ms, e.id);
                if pattern.matches(&message) {
                    bytes += message.len() + EVENT_OVERHEAD;
                    found.push((e, message));
                    if i64::try_from(found.len()).unwrap_or(i64::MAX) >= limit || bytes >= READ_BYTES {
                        break 'read;
                    }
                }
            }
            if i64::try_from(n).unwrap_or(i64::MAX) < SLICE {
                exhausted = true;
                break;
            }
            window.after = scanned_to;
        }
        drop(conn);
        let events = found
            .into_iter()
            .map(|(e, message)| FilteredLogEvent {
                log_stream_name: Some(name_of(e.stream_id)),
                timestamp: Some(e.timestamp_ms),
                message: Some(message),
                ingestion_time: Some(e.ingestion_ms),
                event_id: Some(format!("{:020}{:020}", e.timestamp_ms.max(0), e.id)),
            })
            .collect();
        let searched = streams
            .iter()
            .map(|s| SearchedLogStream { log_stream_name: Some(s.name.clone()), searched_completely: Some(exhausted) })
            .collect();
        Ok(FilterLogEventsResponse {
            events: Some(events),
            searched_log_streams: Some(searched),
            next_token: (!exhausted).then(|| token(&format!("{}:{}", scanned_to.0, scanned_to.1))),
        })
    }
}

/// What a sealed event message is bound to.
fn event_aad(stream_id: i64, event_id: i64) -> String {
    format!("logs-event:{stream_id}:{event_id}")
}

/// A GetLogEvents token: `f/` (read on from) or `b/` (read back from) a position.
fn position_token(forward: bool, (ts, id): (i64, i64)) -> String {
    let dir = if forward { 'f' } else { 'b' };
    // Positions at the ends of time are spelled as 0 and all nines, so that tokens stay digits.
    let ts = ts.clamp(0, 99_999_999_999_999_999);
    let id = id.clamp(0, 99_999_999_999_999_999);
    format!("{dir}/{ts:020}{id:020}")
}

fn position(token: &str) -> Result<(bool, (i64, i64)), LogsError> {
    let bad = || invalid("The specified nextToken is invalid.");
    let (dir, digits) = token.split_once('/').ok_or_else(bad)?;
    let forward = match dir {
        "f" => true,
        "b" => false,
        _ => return Err(bad()),
    };
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let ts: i64 = digits[..20].parse().map_err(|_| bad())?;
    let id: i64 = digits[20..].parse().map_err(|_| bad())?;
    Ok((forward, (ts, id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_tokens_round_trip_and_refuse_garbage() {
        let t = position_token(true, (1_700_000_000_000, 42));
        assert!(t.starts_with("f/") && t.len() == 42);
        assert_eq!(position(&t).unwrap(), (true, (1_700_000_000_000, 42)));
        assert_eq!(position(&position_token(false, (5, 6))).unwrap(), (false, (5, 6)));
        for bad in ["", "f/", "x/0000", "f/12ab", "b/123"] {
            assert!(position(bad).is_err(), "{bad}");
        }
    }
}
