//! Queue operations: create, find, list, delete, attributes, purge, tags, permissions.

use super::attributes::QueueConfig;
use super::error::SqsError;
use super::ops::{
    AddPermissionRequest, CreateQueueRequest, CreateQueueResult, GetQueueAttributesRequest, GetQueueAttributesResult,
    GetQueueUrlRequest, GetQueueUrlResult, ListDeadLetterSourceQueuesRequest, ListDeadLetterSourceQueuesResult,
    ListQueueTagsResult, ListQueuesRequest, ListQueuesResult, RemovePermissionRequest, SetQueueAttributesRequest,
    TagQueueRequest, UntagQueueRequest,
};
use super::queue::{self, Queue};
use super::{Op, names};
use aws_core::error::CommonError;
use aws_core::service::Operation as _;
use aws_core::service::{self, Ctx};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A queue name stays reserved this long after its queue is deleted.
const DELETED_RECENTLY_MS: i64 = 60_000;
/// `PurgeQueue` may run once in this long.
const PURGE_INTERVAL_MS: i64 = 60_000;
/// The longest page of queue URLs.
const MAX_RESULTS: i64 = 1000;

fn json_text<T: Serialize>(value: &T) -> Result<String, SqsError> {
    serde_json::to_string(value).map_err(|e| {
        tracing::error!(error = %e, "an SQS value did not serialise");
        SqsError::Common(CommonError::Internal)
    })
}

/// Checks a redrive policy's dead-letter queue: it exists, belongs to the same account, is of
/// the same type, and lets this queue use it.
async fn check_dead_letter_queue(
    ctx: &Ctx<'_>,
    conn: &mut store::Conn,
    source: (&str, &str, bool),
    config: &QueueConfig,
    raw: &str,
) -> Result<(), SqsError> {
    let (account, name, fifo) = source;
    let Some(redrive) = config.redrive() else {
        return Ok(());
    };
    let invalid = |reason: &str| SqsError::invalid_value("RedrivePolicy", raw, reason);
    let Some(target) = names::parse_arn(&redrive.dead_letter_target_arn) else {
        return Err(invalid("Dead letter target does not exist."));
    };
    if target.queue.account != account {
        return Err(invalid("Dead-letter target owner should be same as the source."));
    }
    if target.region != ctx.region {
        return Err(invalid("Dead letter target does not exist."));
    }
    let Some(dlq) = queue::load(conn, &target.queue.account, &target.region, &target.queue.name).await? else {
        return Err(invalid("Dead letter target does not exist."));
    };
    if dlq.fifo() != fifo {
        return Err(invalid("Dead-letter queue must be same type of queue as the source."));
    }
    if !dlq.config.redrive_allow().allows(&names::arn(ctx.region, account, name)) {
        return Err(invalid("Dead-letter target's redrive allow policy does not allow this source queue."));
    }
    Ok(())
}

/// What a queue's configuration, changed by `attributes`, is stored as: checks the dead-letter
/// queue a new redrive policy names, and returns the configuration's text and its dead-letter
/// queue's ARN.
async fn stored_config(
    ctx: &Ctx<'_>,
    conn: &mut store::Conn,
    source: (&str, &str, bool),
    config: &QueueConfig,
    attributes: &BTreeMap<String, String>,
) -> Result<(String, Option<String>), SqsError> {
    if let Some(raw) = attributes.get("RedrivePolicy").filter(|r| !r.is_empty()) {
        check_dead_letter_queue(ctx, conn, source, config, raw).await?;
    }
    Ok((json_text(config)?, config.redrive().map(|r| r.dead_letter_target_arn)))
}

pub(super) async fn create_queue(ctx: &Ctx<'_>, input: CreateQueueRequest) -> Result<Value, SqsError> {
    let attributes = input.attributes.unwrap_or_default();
    let fifo = match attributes.get("FifoQueue") {
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(SqsError::invalid_attribute("FifoQueue")),
        None => false,
    };
    names::validate_name(&input.queue_name, fifo)?;
    let mut config = QueueConfig::default();
    config.apply(fifo, true, &attributes)?;
    let account = ctx.account().to_owned();
    let mut tx = ctx.env.store.begin().await?;
    if let Some(existing) = queue::load(&mut tx, &account, ctx.region, &input.queue_name).await? {
        for (name, value) in &attributes {
            let mut probe = existing.config.clone();
            let same = if name == "FifoQueue" {
                existing.fifo() == fifo
            } else {
                probe.apply(existing.fifo(), true, &BTreeMap::from([(name.clone(), value.clone())])).is_ok()
                    && probe == existing.config
            };
            if !same {
                return Err(SqsError::QueueNameExists(name.clone()));
            }
        }
        return Ok(service::output(&CreateQueueResult { queue_url: Some(existing.url(ctx.host, ctx.secure)) })?);
    }
    let deleted = store::sqs::deleted_at(&mut tx, &account, ctx.region, &input.queue_name).await?;
    if deleted.is_some_and(|at| ctx.now_ms - at < DELETED_RECENTLY_MS) {
        return Err(SqsError::QueueDeletedRecently);
    }
    let (stored, dlq_arn) =
        stored_config(ctx, &mut tx, (&account, &input.queue_name, fifo), &config, &attributes).await?;
    let new = store::sqs::NewQueue {
        account_id: &account,
        region: ctx.region,
        name: &input.queue_name,
        fifo,
        attributes: &stored,
        tags: &json_text(&input.tags.unwrap_or_default())?,
        dlq_arn: dlq_arn.as_deref(),
        now_ms: ctx.now_ms,
        // Sequence numbers grow with time as well as within the queue, as AWS's do.
        first_seq: ctx.now_ms.saturating_mul(1_000_000),
    };
    store::sqs::insert_queue(&mut tx, &new).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    let queue_url = names::url(ctx.host, ctx.secure, &account, &input.queue_name);
    Ok(service::output(&CreateQueueResult { queue_url: Some(queue_url) })?)
}

pub(super) async fn get_queue_url(ctx: &Ctx<'_>, input: GetQueueUrlRequest) -> Result<Value, SqsError> {
    let account = input.queue_owner_aws_account_id.as_deref().unwrap_or(ctx.account());
    let queue = queue::read(ctx.env, account, ctx.region, &input.queue_name)
        .await?
        .ok_or_else(|| SqsError::no_queue(ctx.protocol))?;
    Ok(service::output(&GetQueueUrlResult { queue_url: Some(queue.url(ctx.host, ctx.secure)) })?)
}

/// Reads `MaxResults` and `NextToken`: the page size (if paging) and the name to start after.
fn page(max_results: Option<i32>, next_token: Option<&str>) -> Result<(Option<i64>, String), SqsError> {
    let max_results = max_results.map(i64::from);
    if let Some(n) = max_results.filter(|n| !(1..=MAX_RESULTS).contains(n)) {
        return Err(SqsError::invalid_value("MaxResults", n, "MaxResults must be an integer between 1 and 1000."));
    }
    let after = match next_token {
        None => String::new(),
        Some(token) => STANDARD
            .decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| SqsError::InvalidParameterValue("Invalid NextToken value.".into()))?,
    };
    Ok((max_results, after))
}

/// Turns one more row than the page holds into the page and its next token.
fn paginate(mut names: Vec<String>, page_size: Option<i64>) -> (Vec<String>, Option<String>) {
    let size = page_size.and_then(|n| usize::try_from(n).ok()).unwrap_or(usize::MAX);
    if names.len() > size {
        names.truncate(size);
        let token = names.last().map(|last| STANDARD.encode(last));
        return (names, token);
    }
    (names, None)
}

pub(super) async fn list_queues(ctx: &Ctx<'_>, input: ListQueuesRequest) -> Result<Value, SqsError> {
    let (page_size, after) = page(input.max_results, input.next_token.as_deref())?;
    let limit = page_size.unwrap_or(MAX_RESULTS) + i64::from(page_size.is_some());
    let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let prefix = input.queue_name_prefix.unwrap_or_default();
    let found = store::sqs::queue_names(&mut conn, ctx.account(), ctx.region, &prefix, &after, limit).await?;
    let (page, next_token) = paginate(found, page_size);
    let queue_urls: Vec<String> = page.iter().map(|n| names::url(ctx.host, ctx.secure, ctx.account(), n)).collect();
    let queue_urls = (!queue_urls.is_empty()).then_some(queue_urls);
    Ok(service::output(&ListQueuesResult { queue_urls, next_token })?)
}

pub(super) async fn list_dead_letter_source_queues(
    ctx: &Ctx<'_>,
    dlq: &Queue,
    input: ListDeadLetterSourceQueuesRequest,
) -> Result<Value, SqsError> {
    let (page_size, after) = page(input.max_results, input.next_token.as_deref())?;
    let limit = page_size.unwrap_or(MAX_RESULTS) + i64::from(page_size.is_some());
    let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
    let account = &dlq.row.account_id;
    let found = store::sqs::dead_letter_sources(&mut conn, account, &dlq.row.region, &dlq.arn(), &after, limit).await?;
    let (page, next_token) = paginate(found, page_size);
    let queue_urls = page.iter().map(|n| names::url(ctx.host, ctx.secure, account, n)).collect();
    Ok(service::output(&ListDeadLetterSourceQueuesResult { queue_urls, next_token })?)
}

/// Re-reads the queue inside a write transaction (it may have changed since it was looked up).
async fn reload(ctx: &Ctx<'_>, tx: &mut store::Tx, q: &Queue) -> Result<Queue, SqsError> {
    queue::load(tx, &q.row.account_id, &q.row.region, &q.row.name)
        .await?
        .filter(|fresh| fresh.id() == q.id())
        .ok_or_else(|| SqsError::no_queue(ctx.protocol))
}

pub(super) async fn delete_queue(ctx: &Ctx<'_>, q: &Queue) -> Result<Value, SqsError> {
    let mut tx = ctx.env.store.begin().await?;
    let q = reload(ctx, &mut tx, q).await?;
    store::sqs::delete_queue(&mut tx, &q.row, ctx.now_ms).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    super::shared(ctx.env).queues.forget(&q);
    Ok(json!({}))
}

pub(super) async fn purge_queue(ctx: &Ctx<'_>, q: &Queue) -> Result<Value, SqsError> {
    let mut tx = ctx.env.store.begin().await?;
    let q = reload(ctx, &mut tx, q).await?;
    if q.row.purged_ms.is_some_and(|at| ctx.now_ms - at < PURGE_INTERVAL_MS) {
        return Err(SqsError::PurgeQueueInProgress(q.row.name.clone()));
    }
    store::sqs::purge(&mut tx, q.id(), ctx.now_ms).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(json!({}))
}

pub(super) async fn get_queue_attributes(
    ctx: &Ctx<'_>,
    q: &Queue,
    input: GetQueueAttributesRequest,
) -> Result<Value, SqsError> {
    let names = input.attribute_names.unwrap_or_default();
    let all = names.iter().any(|n| n == "All");
    let wanted = |name: &str| all || names.iter().any(|n| n == name);
    let mut attributes: BTreeMap<String, String> = q
        .config
        .render(q.fifo())
        .into_iter()
        .filter(|(name, _)| wanted(name))
        .map(|(n, v)| (n.to_owned(), v))
        .collect();
    if wanted("QueueArn") {
        attributes.insert("QueueArn".to_owned(), q.arn());
    }
    if wanted("CreatedTimestamp") {
        attributes.insert("CreatedTimestamp".to_owned(), (q.row.created_ms / 1000).to_string());
    }
    if wanted("LastModifiedTimestamp") {
        attributes.insert("LastModifiedTimestamp".to_owned(), (q.row.modified_ms / 1000).to_string());
    }
    let counted =
        ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"];
    if counted.iter().any(|n| wanted(n)) {
        let mut conn = ctx.env.store.reader().acquire().await.map_err(store::StoreError::from)?;
        let now = ctx.env.now_ms();
        let counts = store::sqs::counts(&mut conn, q.id(), now, q.retention_cutoff(now)).await?;
        for (name, n) in counted.into_iter().zip([counts.visible, counts.not_visible, counts.delayed]) {
            if wanted(name) {
                attributes.insert(name.to_owned(), n.to_string());
            }
        }
    }
    let attributes = (!attributes.is_empty()).then_some(attributes);
    Ok(service::output(&GetQueueAttributesResult { attributes })?)
}

pub(super) async fn set_queue_attributes(
    ctx: &Ctx<'_>,
    q: &Queue,
    input: SetQueueAttributesRequest,
) -> Result<Value, SqsError> {
    let mut tx = ctx.env.store.begin().await?;
    let q = reload(ctx, &mut tx, q).await?;
    let mut config = q.config.clone();
    config.apply(q.fifo(), false, &input.attributes)?;
    let source = (q.row.account_id.as_str(), q.name(), q.fifo());
    let (stored, dlq_arn) = stored_config(ctx, &mut tx, source, &config, &input.attributes).await?;
    store::sqs::update_attributes(&mut tx, q.id(), &stored, dlq_arn.as_deref(), ctx.now_ms).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    super::shared(ctx.env).queues.forget(&q);
    Ok(json!({}))
}

/// Changes a queue's tags inside a transaction.
async fn retag(
    ctx: &Ctx<'_>,
    q: &Queue,
    change: impl FnOnce(&mut BTreeMap<String, String>),
) -> Result<Value, SqsError> {
    let mut tx = ctx.env.store.begin().await?;
    let mut q = reload(ctx, &mut tx, q).await?;
    change(&mut q.tags);
    store::sqs::update_tags(&mut tx, q.id(), &json_text(&q.tags)?).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    super::shared(ctx.env).queues.forget(&q);
    Ok(json!({}))
}

pub(super) async fn tag_queue(ctx: &Ctx<'_>, q: &Queue, input: TagQueueRequest) -> Result<Value, SqsError> {
    retag(ctx, q, |tags| tags.extend(input.tags)).await
}

pub(super) async fn untag_queue(ctx: &Ctx<'_>, q: &Queue, input: UntagQueueRequest) -> Result<Value, SqsError> {
    retag(ctx, q, |tags| tags.retain(|k, _| !input.tag_keys.contains(k))).await
}

pub(super) fn list_queue_tags(q: &Queue) -> Result<Value, SqsError> {
    Ok(service::output(&ListQueueTagsResult { tags: Some(q.tags.clone()) })?)
}

/// A one-or-many policy element: a single value alone, several as a list (as SQS writes them).
fn one_or_many(mut values: Vec<String>) -> Value {
    if values.len() == 1 { Value::String(values.remove(0)) } else { json!(values) }
}

/// Changes a queue's policy document inside a transaction.
async fn repolicy(
    ctx: &Ctx<'_>,
    q: &Queue,
    change: impl FnOnce(&Queue, &mut Vec<Value>) -> Result<(), SqsError>,
) -> Result<Value, SqsError> {
    let mut tx = ctx.env.store.begin().await?;
    let q = reload(ctx, &mut tx, q).await?;
    let mut document = match q.config.policy.as_deref().map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(doc))) => doc,
        _ => serde_json::Map::from_iter([
            ("Version".to_owned(), json!("2008-10-17")),
            ("Id".to_owned(), json!(format!("{}/SQSDefaultPolicy", q.arn()))),
        ]),
    };
    let mut statements = match document.remove("Statement") {
        Some(Value::Array(list)) => list,
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    change(&q, &mut statements)?;
    let mut config = q.config.clone();
    config.policy = if statements.is_empty() {
        None
    } else {
        document.insert("Statement".into(), Value::Array(statements));
        Some(Value::Object(document).to_string())
    };
    store::sqs::update_attributes(&mut tx, q.id(), &json_text(&config)?, q.row.dlq_arn.as_deref(), ctx.now_ms).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    super::shared(ctx.env).queues.forget(&q);
    Ok(json!({}))
}

pub(super) async fn add_permission(ctx: &Ctx<'_>, q: &Queue, input: AddPermissionRequest) -> Result<Value, SqsError> {
    for action in &input.actions {
        if action != "*" && Op::from_name(action).is_none() {
            return Err(SqsError::invalid_value(
                "ActionName",
                format!("SQS:{action}"),
                "Please refer to the appropriate WSDL for a list of valid actions. ",
            ));
        }
    }
    let label = input.label.clone();
    repolicy(ctx, q, |q, statements| {
        if statements.iter().any(|s| s.get("Sid").and_then(Value::as_str) == Some(&label)) {
            return Err(SqsError::invalid_value("Label", &label, "Already exists."));
        }
        let principals = input.aws_account_ids.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect();
        let actions = input.actions.iter().map(|a| format!("SQS:{a}")).collect();
        statements.push(json!({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": one_or_many(principals)},
            "Action": one_or_many(actions),
            "Resource": q.arn(),
        }));
        Ok(())
    })
    .await
}

pub(super) async fn remove_permission(
    ctx: &Ctx<'_>,
    q: &Queue,
    input: RemovePermissionRequest,
) -> Result<Value, SqsError> {
    repolicy(ctx, q, |_, statements| {
        let before = statements.len();
        statements.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(&input.label));
        if statements.len() == before {
            return Err(SqsError::invalid_value("Label", &input.label, "can't find label."));
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_tokens() {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| (*s).to_owned()).collect();
        let (page, token) = paginate(names.clone(), Some(2));
        assert_eq!(page, ["a", "b"]);
        let (size, after) = super::page(Some(2), token.as_deref()).unwrap();
        assert_eq!((size, after.as_str()), (Some(2), "b"));
        assert_eq!(paginate(names.clone(), None), (names.clone(), None));
        assert_eq!(paginate(names[..2].to_vec(), Some(2)).1, None);
        assert!(super::page(Some(0), None).is_err());
        assert!(super::page(Some(1001), None).is_err());
        assert_eq!(
            super::page(None, Some("%%%")).unwrap_err(),
            SqsError::InvalidParameterValue("Invalid NextToken value.".into())
        );
    }
}
