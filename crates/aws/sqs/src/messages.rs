//! Message operations: send, receive (with long polling), delete, change visibility.

use super::error::{MAX_BATCH, SqsError};
use super::message::{self, Attributes, MAX_MESSAGE_SIZE};
use super::ops::{
    BatchResultErrorEntry, ChangeMessageVisibilityBatchRequest, ChangeMessageVisibilityBatchResult,
    ChangeMessageVisibilityBatchResultEntry, ChangeMessageVisibilityRequest, DeleteMessageBatchRequest,
    DeleteMessageBatchResult, DeleteMessageBatchResultEntry, DeleteMessageRequest, Message, MessageAttributeValue,
    MessageSystemAttributeValue, ReceiveMessageRequest, ReceiveMessageResult, SendMessageBatchRequest,
    SendMessageBatchResult, SendMessageBatchResultEntry, SendMessageRequest, SendMessageResult,
};
use super::queue::{self, Queue};
use super::receipt::{self, Receipt};
use super::sse::{self, Sealer};
use aws_core::env::Env;
use aws_core::error::CommonError;
use aws_core::service::{self, Ctx};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use tokio::time::Instant;

/// FIFO deduplication lasts five minutes.
const DEDUP_WINDOW_MS: i64 = 5 * 60_000;
/// The longest visibility timeout, and the longest a message can stay in flight in one receive.
const MAX_VISIBILITY_S: i64 = 43_200;
/// The longest delay.
const MAX_DELAY_S: i64 = 900;
/// The longest long poll.
const MAX_WAIT_S: i64 = 20;
/// The longest FIFO group or deduplication id.
const MAX_FIFO_ID: usize = 128;
/// At most this many messages move to a dead-letter queue in one receive.
const REDRIVE_BATCH: i64 = 100;

/// A message to enqueue.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outgoing {
    pub body: String,
    pub attributes: Attributes,
    /// System attributes given by the sender (`AWSTraceHeader`).
    pub system: Attributes,
    pub delay_seconds: Option<i64>,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
}

impl Outgoing {
    /// A message as `SendMessage` or a `SendMessageBatch` entry gives it.
    fn new(
        body: String,
        attributes: Option<BTreeMap<String, MessageAttributeValue>>,
        system: Option<BTreeMap<String, MessageSystemAttributeValue>>,
        delay_seconds: Option<i32>,
        group_id: Option<String>,
        dedup_id: Option<String>,
    ) -> Self {
        Outgoing {
            body,
            attributes: attributes.unwrap_or_default().into_iter().map(|(n, v)| (n, v.into())).collect(),
            system: system.unwrap_or_default().into_iter().map(|(n, v)| (n, v.into())).collect(),
            delay_seconds: delay_seconds.map(i64::from),
            group_id,
            dedup_id,
        }
    }
}

/// What a send reports.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub message_id: String,
    pub md5_of_body: String,
    pub md5_of_attributes: Option<String>,
    pub md5_of_system_attributes: Option<String>,
    pub sequence_number: Option<String>,
}

fn fifo_id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_FIFO_ID
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b.is_ascii_punctuation())
}

/// Checks a message against the queue, as `SendMessage` (or, with `batch`, a batch entry) does.
pub(crate) fn check(queue: &Queue, m: &Outgoing, batch: bool) -> Result<(), SqsError> {
    message::validate_body(&m.body)?;
    message::validate_attributes(&m.attributes, false)?;
    message::validate_attributes(&m.system, true)?;
    let max = usize::try_from(queue.config.maximum_message_size).unwrap_or(MAX_MESSAGE_SIZE);
    if m.body.len() + message::attributes_size(&m.attributes) > max {
        return Err(SqsError::InvalidParameterValue(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {max} bytes."
        )));
    }
    for (name, id) in [("MessageGroupId", &m.group_id), ("MessageDeduplicationId", &m.dedup_id)] {
        if let Some(id) = id.as_deref().filter(|id| !fifo_id_ok(id)) {
            return Err(SqsError::invalid_value(
                name,
                id,
                &format!("{name} can only include alphanumeric and punctuation characters. 1 to 128 in length."),
            ));
        }
    }
    if !queue.fifo() {
        if let Some(dedup) = &m.dedup_id {
            return Err(SqsError::invalid_value(
                "MessageDeduplicationId",
                dedup,
                "The request includes a parameter that is not valid for this queue type.",
            ));
        }
        if let Some(delay) = m.delay_seconds.filter(|d| !(0..=MAX_DELAY_S).contains(d)) {
            return Err(SqsError::invalid_value("DelaySeconds", delay, "DelaySeconds must be >= 0 and <= 900."));
        }
        return Ok(());
    }
    if let Some(delay) = m.delay_seconds.filter(|d| *d != 0) {
        return Err(SqsError::invalid_value(
            "DelaySeconds",
            delay,
            "The request include parameter that is not valid for this queue type.",
        ));
    }
    if m.group_id.is_none() {
        return Err(if batch {
            SqsError::InvalidParameterValue("The request must contain the parameter MessageGroupId.".into())
        } else {
            SqsError::MissingParameter("MessageGroupId".into())
        });
    }
    if m.dedup_id.is_none() && !queue.config.content_based_deduplication {
        return Err(SqsError::InvalidParameterValue(
            "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided \
             explicitly"
                .into(),
        ));
    }
    Ok(())
}

/// The additional data a sealed body is bound to.
fn body_aad(message_id: &str) -> String {
    format!("sqs:message:{message_id}")
}

fn to_json<T: Serialize>(value: &T) -> Result<String, SqsError> {
    serde_json::to_string(value).map_err(|_| SqsError::Common(CommonError::Internal))
}

/// A checked message made ready for the store.
struct Prepared {
    message_id: String,
    body: Vec<u8>,
    sealed: bool,
    attributes: Option<String>,
    system: String,
    visible_ms: i64,
    group_id: Option<String>,
    dedup_id: Option<String>,
    sent: Sent,
}

impl Prepared {
    fn new(
        env: &Env,
        queue: &Queue,
        sender_id: &str,
        m: &Outgoing,
        sealer: &Sealer,
        now_ms: i64,
    ) -> Result<Self, SqsError> {
        let message_id = env.ids.uuid();
        let delay = if queue.fifo() {
            queue.config.delay_seconds
        } else {
            m.delay_seconds.unwrap_or(queue.config.delay_seconds)
        };
        let mut system: BTreeMap<&str, &str> = BTreeMap::from([("SenderId", sender_id)]);
        if let Some(trace) = m.system.get("AWSTraceHeader").and_then(|a| a.string_value.as_deref()) {
            system.insert("AWSTraceHeader", trace);
        }
        let (body, is_sealed) = sealer.seal(env, &m.body, &body_aad(&message_id))?;
        let dedup_id = match (&m.dedup_id, queue.fifo()) {
            (Some(id), _) => Some(id.clone()),
            (None, true) => Some(hex::encode(crypto::sha256(m.body.as_bytes()))),
            (None, false) => None,
        };
        Ok(Self {
            sent: Sent {
                message_id: message_id.clone(),
                md5_of_body: message::md5_of_body(&m.body),
                md5_of_attributes: message::md5_of_attributes(&m.attributes),
                md5_of_system_attributes: message::md5_of_attributes(&m.system),
                sequence_number: None,
            },
            message_id,
            body,
            sealed: is_sealed,
            attributes: if m.attributes.is_empty() { None } else { Some(to_json(&m.attributes)?) },
            system: to_json(&system)?,
            visible_ms: now_ms + delay * 1000,
            group_id: m.group_id.clone(),
            dedup_id,
        })
    }

    fn row(&self, queue_id: i64, now_ms: i64) -> store::sqs::NewMessage<'_> {
        store::sqs::NewMessage {
            queue_id,
            message_id: &self.message_id,
            body: &self.body,
            sealed: self.sealed,
            md5_body: &self.sent.md5_of_body,
            attributes: self.attributes.as_deref(),
            system: &self.system,
            sent_ms: now_ms,
            visible_ms: self.visible_ms,
            group_id: self.group_id.as_deref(),
            dedup_id: self.dedup_id.as_deref(),
            sequence_number: self.sent.sequence_number.as_deref(),
        }
    }
}

/// Enqueues checked messages, sealed by `sealer` (see [`sse::sealer`]), then wakes as many
/// waiting receives. A standard queue's messages go in with one statement; a FIFO queue's need a
/// transaction for deduplication and sequence numbers.
pub(crate) async fn enqueue(
    env: &Env,
    queue: &Queue,
    sender_id: &str,
    messages: &[Outgoing],
    sealer: &Sealer,
    now_ms: i64,
) -> Result<Vec<Sent>, SqsError> {
    let mut prepared: Vec<Prepared> =
        messages.iter().map(|m| Prepared::new(env, queue, sender_id, m, sealer, now_ms)).collect::<Result<_, _>>()?;
    let inserted = if queue.fifo() {
        enqueue_fifo(env, queue, &mut prepared, now_ms).await?
    } else {
        let rows: Vec<_> = prepared.iter().map(|p| p.row(queue.id(), now_ms)).collect();
        let mut conn = env.store.writer().await?;
        store::sqs::insert_messages(&mut conn, &rows).await?;
        conn.done().await?;
        rows.len()
    };
    super::shared(env).waiters.wake(queue.id(), inserted);
    Ok(prepared.into_iter().map(|p| p.sent).collect())
}

/// The FIFO half of [`enqueue`]: a message whose deduplication key was seen in the last five
/// minutes is answered as the first one was, and not enqueued. Returns how many went in.
async fn enqueue_fifo(env: &Env, queue: &Queue, prepared: &mut [Prepared], now_ms: i64) -> Result<usize, SqsError> {
    let mut tx = env.store.begin().await?;
    let mut inserted = 0;
    for p in prepared.iter_mut() {
        let dedup = p.dedup_id.clone().unwrap_or_default();
        let key = if queue.config.deduplication_scope == "messageGroup" {
            format!("{}\n{dedup}", p.group_id.as_deref().unwrap_or_default())
        } else {
            dedup
        };
        if let Some((first_id, first_seq)) = store::sqs::dedup_lookup(&mut tx, queue.id(), &key, now_ms).await? {
            p.sent.message_id = first_id;
            p.sent.sequence_number = Some(first_seq);
            continue;
        }
        let seq = format!("{:020}", store::sqs::next_sequence(&mut tx, queue.id()).await?);
        store::sqs::dedup_insert(&mut tx, queue.id(), &key, &p.message_id, &seq, now_ms + DEDUP_WINDOW_MS).await?;
        p.sent.sequence_number = Some(seq);
        store::sqs::insert_message(&mut tx, &p.row(queue.id(), now_ms)).await?;
        inserted += 1;
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(inserted)
}

pub(super) async fn send_message(ctx: &Ctx<'_>, q: &Queue, input: SendMessageRequest) -> Result<Value, SqsError> {
    let outgoing = Outgoing::new(
        input.message_body,
        input.message_attributes,
        input.message_system_attributes,
        input.delay_seconds,
        input.message_group_id,
        input.message_deduplication_id,
    );
    check(q, &outgoing, false)?;
    let sealer = sse::sealer(ctx, q).await?;
    let mut sent =
        enqueue(ctx.env, q, &ctx.caller.user_id, std::slice::from_ref(&outgoing), &sealer, ctx.now_ms).await?;
    let sent = sent.pop().ok_or(SqsError::Common(CommonError::Internal))?;
    Ok(service::output(&SendMessageResult {
        md5_of_message_attributes: sent.md5_of_attributes,
        md5_of_message_body: Some(sent.md5_of_body),
        md5_of_message_system_attributes: sent.md5_of_system_attributes,
        message_id: Some(sent.message_id),
        sequence_number: sent.sequence_number,
    })?)
}

/// A batch entry that failed with `e`.
fn batch_failure(id: String, e: &SqsError) -> BatchResultErrorEntry {
    use aws_core::error::ServiceError as _;
    BatchResultErrorEntry {
        code: e.query_code().unwrap_or(e.code()).to_owned(),
        id,
        message: Some(e.to_string()),
        sender_fault: e.sender_fault(),
    }
}

/// The checks every batch gets before its entries: count, ids, distinct ids.
fn check_batch<'a>(ids: impl ExactSizeIterator<Item = &'a str>, entry: &'static str) -> Result<(), SqsError> {
    let n = ids.len();
    if n == 0 {
        return Err(SqsError::EmptyBatchRequest(entry));
    }
    if n > MAX_BATCH {
        return Err(SqsError::TooManyEntriesInBatchRequest(n));
    }
    let mut seen = HashSet::new();
    for id in ids {
        if id.is_empty() || id.len() > 80 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(SqsError::InvalidBatchEntryId);
        }
        if !seen.insert(id) {
            return Err(SqsError::BatchEntryIdsNotDistinct(id.to_owned()));
        }
    }
    Ok(())
}

pub(super) async fn send_message_batch(
    ctx: &Ctx<'_>,
    q: &Queue,
    input: SendMessageBatchRequest,
) -> Result<Value, SqsError> {
    check_batch(input.entries.iter().map(|e| e.id.as_str()), "SendMessageBatchRequestEntry")?;
    let entries: Vec<(String, Outgoing)> = input
        .entries
        .into_iter()
        .map(|e| {
            let outgoing = Outgoing::new(
                e.message_body,
                e.message_attributes,
                e.message_system_attributes,
                e.delay_seconds,
                e.message_group_id,
                e.message_deduplication_id,
            );
            (e.id, outgoing)
        })
        .collect();
    let total: usize = entries.iter().map(|(_, m)| m.body.len() + message::attributes_size(&m.attributes)).sum();
    if total > MAX_MESSAGE_SIZE {
        return Err(SqsError::BatchRequestTooLong(total));
    }
    let mut failed = Vec::new();
    let mut accepted_ids = Vec::new();
    let mut accepted = Vec::new();
    for (id, m) in entries {
        match check(q, &m, true) {
            Ok(()) => {
                accepted_ids.push(id);
                accepted.push(m);
            }
            Err(e) => failed.push(batch_failure(id, &e)),
        }
    }
    let sent = if accepted.is_empty() {
        Vec::new()
    } else {
        let sealer = sse::sealer(ctx, q).await?;
        enqueue(ctx.env, q, &ctx.caller.user_id, &accepted, &sealer, ctx.now_ms).await?
    };
    let successful = accepted_ids
        .into_iter()
        .zip(sent)
        .map(|(id, sent)| SendMessageBatchResultEntry {
            id,
            md5_of_message_attributes: sent.md5_of_attributes,
            md5_of_message_body: sent.md5_of_body,
            md5_of_message_system_attributes: sent.md5_of_system_attributes,
            message_id: sent.message_id,
            sequence_number: sent.sequence_number,
        })
        .collect();
    Ok(service::output(&SendMessageBatchResult { failed, successful })?)
}

/// What a receive asks to see of each message: system attribute names and message attribute
/// patterns.
struct Wanted {
    system: Vec<String>,
    attributes: Vec<String>,
}

/// Where a queue's dead letters go.
struct DeadLetters {
    queue_id: i64,
    max_receive_count: i64,
}

/// Whether this receive also sweeps out expired messages when the queue is not running short:
/// about one in 64, so a long backlog does not keep them around.
fn sweep_now(env: &Env) -> bool {
    let mut byte = [0u8];
    env.rng.fill(&mut byte);
    byte[0] < 4
}

/// One attempt to receive: over-received messages move to the dead-letter queue and up to
/// `limit` messages are claimed, in one write transaction (without a dead-letter queue, the
/// claim is one statement); expired messages are swept out on the way.
async fn claim_once(
    env: &Env,
    q: &Queue,
    dead_letters: Option<&DeadLetters>,
    limit: i64,
    visibility_ms: i64,
) -> Result<Vec<store::sqs::Message>, SqsError> {
    let now_ms = env.now_ms();
    let claim = store::sqs::Claim {
        queue_id: q.id(),
        fifo: q.fifo(),
        now_ms,
        cutoff_ms: q.retention_cutoff(now_ms),
        visible_until_ms: now_ms + visibility_ms,
        limit,
    };
    let Some(dl) = dead_letters else {
        let mut conn = env.store.writer().await?;
        let claimed = store::sqs::claim(&mut conn, &claim).await?;
        // Expired messages are never handed out, so removing them is only housekeeping.
        if i64::try_from(claimed.len()).unwrap_or(i64::MAX) < limit || sweep_now(env) {
            store::sqs::expire(&mut conn, q.id(), claim.cutoff_ms).await?;
        }
        conn.done().await?;
        return Ok(claimed);
    };
    let mut tx = env.store.begin().await?;
    store::sqs::expire(&mut tx, q.id(), claim.cutoff_ms).await?;
    let redrive = store::sqs::Claim { limit: REDRIVE_BATCH, ..claim };
    let moved = store::sqs::redrive(&mut tx, &redrive, dl.max_receive_count, dl.queue_id, &q.arn()).await?;
    let claimed = store::sqs::claim(&mut tx, &claim).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    if moved > 0 {
        super::shared(env).waiters.wake(dl.queue_id, usize::try_from(moved).unwrap_or(usize::MAX));
    }
    Ok(claimed)
}

/// The system attributes a receive asked for.
fn system_attributes(m: &store::sqs::Message, wanted: &[String]) -> Result<BTreeMap<String, String>, SqsError> {
    let all = wanted.iter().any(|n| n == "All");
    let mut out = BTreeMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    let stored: BTreeMap<String, String> = serde_json::from_str(&m.system).map_err(|e| {
        tracing::error!(error = %e, "a stored SQS message's system attributes do not parse");
        SqsError::Common(CommonError::Internal)
    })?;
    let candidates = [
        ("SenderId", stored.get("SenderId").cloned()),
        ("SentTimestamp", Some(m.sent_ms.to_string())),
        ("ApproximateReceiveCount", Some(m.receive_count.to_string())),
        ("ApproximateFirstReceiveTimestamp", m.first_receive_ms.map(|t| t.to_string())),
        ("SequenceNumber", m.sequence_number.clone()),
        ("MessageDeduplicationId", m.dedup_id.clone()),
        ("MessageGroupId", m.group_id.clone()),
        ("AWSTraceHeader", stored.get("AWSTraceHeader").cloned()),
        ("DeadLetterQueueSourceArn", stored.get("DeadLetterQueueSourceArn").cloned()),
    ];
    for (name, value) in candidates {
        if let Some(value) = value.filter(|_| all || wanted.iter().any(|n| n == name)) {
            out.insert(name.to_owned(), value);
        }
    }
    Ok(out)
}

/// A claimed message as the receive returns it, with its opened `body`.
fn received(env: &Env, q: &Queue, m: store::sqs::Message, body: Vec<u8>, wanted: &Wanted) -> Result<Message, SqsError> {
    let internal = |what: &str| {
        tracing::error!(message_id = %m.message_id, "a stored SQS message's {what} is unreadable");
        SqsError::Common(CommonError::Internal)
    };
    let body = String::from_utf8(body).map_err(|_| internal("body"))?;
    let attributes = system_attributes(&m, &wanted.system)?;
    let message_attributes: Option<Attributes> = match (&m.attributes, wanted.attributes.is_empty()) {
        (Some(stored), false) => {
            let all: Attributes = serde_json::from_str(stored).map_err(|_| internal("attributes"))?;
            Some(all.into_iter().filter(|(name, _)| message::selected(name, &wanted.attributes)).collect())
        }
        _ => None,
    };
    let handle = receipt::issue(env, Receipt { queue_id: q.id(), message_row: m.id, receive_count: m.receive_count });
    Ok(Message {
        attributes: (!attributes.is_empty()).then_some(attributes),
        body: Some(body),
        md5_of_body: Some(m.md5_body),
        md5_of_message_attributes: message_attributes.as_ref().and_then(message::md5_of_attributes),
        message_attributes: message_attributes.map(|all| all.into_iter().map(|(n, v)| (n, v.into())).collect()),
        message_id: Some(m.message_id),
        receipt_handle: Some(handle),
    })
}

pub(super) async fn receive_message(ctx: &Ctx<'_>, q: &Queue, input: ReceiveMessageRequest) -> Result<Value, SqsError> {
    let limit = i64::from(input.max_number_of_messages.unwrap_or(1));
    if !(1..=10).contains(&limit) {
        return Err(SqsError::invalid_value("MaxNumberOfMessages", limit, "Must be between 1 and 10, if provided."));
    }
    let visibility = input.visibility_timeout.map_or(q.config.visibility_timeout, i64::from);
    if !(0..=MAX_VISIBILITY_S).contains(&visibility) {
        return Err(SqsError::invalid_value(
            "VisibilityTimeout",
            visibility,
            "Must be >= 0 and <= 43200, if provided.",
        ));
    }
    let wait = input.wait_time_seconds.map_or(q.config.receive_message_wait_time_seconds, i64::from);
    if !(0..=MAX_WAIT_S).contains(&wait) {
        return Err(SqsError::invalid_value("WaitTimeSeconds", wait, "Must be >= 0 and <= 20, if provided."));
    }
    let dead_letters = match q.config.redrive() {
        Some(policy) => queue::read_by_arn(ctx.env, &policy.dead_letter_target_arn)
            .await?
            .map(|dlq| DeadLetters { queue_id: dlq.id(), max_receive_count: policy.max_receive_count }),
        None => None,
    };
    // Before anything changes: a receiver that may not decrypt leaves the messages as they are.
    let mut opener = sse::Opener::new(ctx, q).await?;
    let deadline = Instant::now() + Duration::from_secs(wait.unsigned_abs());
    let notify = super::shared(ctx.env).waiters.subscribe(q.id());
    let claimed = loop {
        // Registered before looking, so a send between the look and the wait still wakes us.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let claimed = claim_once(ctx.env, q, dead_letters.as_ref(), limit, visibility * 1000).await?;
        let now = Instant::now();
        if !claimed.is_empty() || now >= deadline {
            break claimed;
        }
        // Delayed and in-flight messages become receivable without a send; wake up for the first.
        let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
        let server_now = ctx.env.now_ms();
        let next = store::sqs::next_visible(&mut conn, q.id(), server_now).await?;
        drop(conn);
        let mut until = next
            .map(|at| now + Duration::from_millis((at - server_now).max(1).unsigned_abs()))
            .map_or(deadline, |at| at.min(deadline));
        // A send through another node wakes nobody here: look again within a second.
        if ctx.env.store.is_shared() {
            until = until.min(now + SHARED_POLL);
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(until) => {}
        }
    };
    let mut system = input.attribute_names.unwrap_or_default();
    system.extend(input.message_system_attribute_names.unwrap_or_default());
    let wanted = Wanted { system, attributes: input.message_attribute_names.unwrap_or_default() };
    let mut messages = Vec::with_capacity(claimed.len());
    for m in claimed {
        let body = opener.open(&m.body, m.sealed, &body_aad(&m.message_id)).await?;
        messages.push(received(ctx.env, q, m, body, &wanted)?);
    }
    // AWS leaves `Messages` out when there are none (SDKs then report no list, not an empty one).
    let messages = (!messages.is_empty()).then_some(messages);
    Ok(service::output(&ReceiveMessageResult { messages })?)
}

/// How often a long poll on a store shared by several nodes looks for messages sent elsewhere.
const SHARED_POLL: Duration = Duration::from_secs(1);

/// Opens a receipt handle for this queue.
fn receipt_for(env: &Env, q: &Queue, handle: &str) -> Result<Receipt, SqsError> {
    receipt::open(env, handle)
        .filter(|r| r.queue_id == q.id())
        .ok_or_else(|| SqsError::ReceiptHandleIsInvalid(handle.to_owned()))
}

/// Deletes a FIFO queue's message inside `tx`. Its handle must be from the current receive,
/// with the visibility timeout still running; a message already deleted is fine.
async fn delete_fifo_in(env: &Env, tx: &mut store::Tx, q: &Queue, handle: &str, now_ms: i64) -> Result<(), SqsError> {
    let receipt = receipt_for(env, q, handle)?;
    let Some(state) = store::sqs::receive_state(tx, q.id(), receipt.message_row).await? else {
        return Ok(());
    };
    if state.receive_count != receipt.receive_count || state.visible_ms <= now_ms {
        return Err(SqsError::invalid_value("ReceiptHandle", handle, "The receipt handle has expired."));
    }
    store::sqs::delete_message(tx, q.id(), receipt.message_row).await?;
    Ok(())
}

/// Deletes standard-queue messages by their receipts, in one statement. A handle from an earlier
/// receive deletes nothing and still succeeds, as on AWS: the newest receive decides.
async fn delete_standard(env: &Env, q: &Queue, receipts: &[Receipt]) -> Result<(), SqsError> {
    let pairs: Vec<(i64, i64)> = receipts.iter().map(|r| (r.message_row, r.receive_count)).collect();
    let mut conn = env.store.writer().await?;
    store::sqs::delete_received(&mut conn, q.id(), &pairs).await?;
    conn.done().await?;
    Ok(())
}

pub(super) async fn delete_message(ctx: &Ctx<'_>, q: &Queue, input: DeleteMessageRequest) -> Result<Value, SqsError> {
    if q.fifo() {
        let mut tx = ctx.env.store.begin().await?;
        delete_fifo_in(ctx.env, &mut tx, q, &input.receipt_handle, ctx.env.now_ms()).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        // The message's group may be free for the next receive now.
        super::shared(ctx.env).waiters.wake(q.id(), 1);
    } else {
        delete_standard(ctx.env, q, &[receipt_for(ctx.env, q, &input.receipt_handle)?]).await?;
    }
    Ok(json!({}))
}

pub(super) async fn delete_message_batch(
    ctx: &Ctx<'_>,
    q: &Queue,
    input: DeleteMessageBatchRequest,
) -> Result<Value, SqsError> {
    check_batch(input.entries.iter().map(|e| e.id.as_str()), "DeleteMessageBatchRequestEntry")?;
    let (mut successful, mut failed) = (Vec::new(), Vec::new());
    if q.fifo() {
        let mut tx = ctx.env.store.begin().await?;
        let now_ms = ctx.env.now_ms();
        for entry in input.entries {
            match delete_fifo_in(ctx.env, &mut tx, q, &entry.receipt_handle, now_ms).await {
                Ok(()) => successful.push(DeleteMessageBatchResultEntry { id: entry.id }),
                Err(SqsError::Common(e)) => return Err(SqsError::Common(e)),
                Err(e) => failed.push(batch_failure(entry.id, &e)),
            }
        }
        tx.commit().await.map_err(store::StoreError::from)?;
        super::shared(ctx.env).waiters.wake(q.id(), successful.len());
    } else {
        let mut receipts = Vec::new();
        for entry in input.entries {
            match receipt_for(ctx.env, q, &entry.receipt_handle) {
                Ok(receipt) => {
                    receipts.push(receipt);
                    successful.push(DeleteMessageBatchResultEntry { id: entry.id });
                }
                Err(e) => failed.push(batch_failure(entry.id, &e)),
            }
        }
        delete_standard(ctx.env, q, &receipts).await?;
    }
    Ok(service::output(&DeleteMessageBatchResult { failed, successful })?)
}

/// Changes the visibility of the message a handle names, inside `tx`. Returns whether the message
/// became receivable.
async fn change_visibility_in(
    env: &Env,
    tx: &mut store::Tx,
    q: &Queue,
    handle: &str,
    timeout: i64,
    now_ms: i64,
) -> Result<bool, SqsError> {
    if !(0..=MAX_VISIBILITY_S).contains(&timeout) {
        return Err(SqsError::invalid_value("VisibilityTimeout", timeout, "Must be between 0 and 43200, if provided."));
    }
    let receipt = receipt_for(env, q, handle)?;
    let state = store::sqs::receive_state(tx, q.id(), receipt.message_row)
        .await?
        .filter(|s| s.receive_count == receipt.receive_count)
        .ok_or_else(|| {
            SqsError::invalid_value(
                "ReceiptHandle",
                handle,
                "Message does not exist or is not available for visibility timeout change.",
            )
        })?;
    let received_ms = state.received_ms.unwrap_or(now_ms);
    if now_ms + timeout * 1000 > received_ms + MAX_VISIBILITY_S * 1000 {
        return Err(SqsError::invalid_value(
            "VisibilityTimeout",
            timeout,
            "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
        ));
    }
    store::sqs::set_visible(tx, q.id(), receipt.message_row, now_ms + timeout * 1000).await?;
    Ok(timeout == 0)
}

pub(super) async fn change_message_visibility(
    ctx: &Ctx<'_>,
    q: &Queue,
    input: ChangeMessageVisibilityRequest,
) -> Result<Value, SqsError> {
    let mut tx = ctx.env.store.begin().await?;
    let now_ms = ctx.env.now_ms();
    let timeout = i64::from(input.visibility_timeout);
    let visible = change_visibility_in(ctx.env, &mut tx, q, &input.receipt_handle, timeout, now_ms).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    if visible {
        super::shared(ctx.env).waiters.wake(q.id(), 1);
    }
    Ok(json!({}))
}

pub(super) async fn change_message_visibility_batch(
    ctx: &Ctx<'_>,
    q: &Queue,
    input: ChangeMessageVisibilityBatchRequest,
) -> Result<Value, SqsError> {
    check_batch(input.entries.iter().map(|e| e.id.as_str()), "ChangeMessageVisibilityBatchRequestEntry")?;
    let mut tx = ctx.env.store.begin().await?;
    let now_ms = ctx.env.now_ms();
    let (mut successful, mut failed, mut visible) = (Vec::new(), Vec::new(), 0);
    for entry in input.entries {
        let outcome = match entry.visibility_timeout {
            Some(timeout) => {
                change_visibility_in(ctx.env, &mut tx, q, &entry.receipt_handle, timeout.into(), now_ms).await
            }
            None => Err(SqsError::MissingParameter("VisibilityTimeout".into())),
        };
        match outcome {
            Ok(v) => {
                visible += usize::from(v);
                successful.push(ChangeMessageVisibilityBatchResultEntry { id: entry.id });
            }
            Err(SqsError::Common(e)) => return Err(SqsError::Common(e)),
            Err(e) => failed.push(batch_failure(entry.id, &e)),
        }
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    super::shared(ctx.env).waiters.wake(q.id(), visible);
    Ok(service::output(&ChangeMessageVisibilityBatchResult { failed, successful })?)
}
