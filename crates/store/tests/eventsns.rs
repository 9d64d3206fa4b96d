//! EventBridge, SNS and delivery repositories against a real SQLite file or PostgreSQL database (see `common`).

mod common;
use common::open;

use spcred_store::Scope;
use spcred_store::delivery::{self, Attempt, NewDelivery, Retry, Send, Settled};
use spcred_store::events;
use spcred_store::jobs::{self, Outcome};
use spcred_store::{Store, sns, tags};

const SCOPE: Scope<'static> = Scope { account_id: "123456789012", region: "us-east-1" };

fn rule(name: &str) -> events::Rule {
    events::Rule {
        bus: "default".into(),
        name: name.into(),
        arn: format!("arn:aws:events:us-east-1:123456789012:rule/{name}"),
        event_pattern: Some(r#"{"source": ["a"]}"#.into()),
        schedule: None,
        state: "ENABLED".into(),
        description: None,
        role_arn: None,
        created_by: "123456789012".into(),
        created_ms: 1,
    }
}

#[tokio::test]
async fn buses_rules_and_targets() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    events::ensure_default_bus(&mut tx, SCOPE, 1).await.unwrap();
    events::ensure_default_bus(&mut tx, SCOPE, 2).await.unwrap();
    assert!(events::create_bus(&mut tx, SCOPE, "orders", Some("d"), 3).await.unwrap());
    assert!(!events::create_bus(&mut tx, SCOPE, "orders", None, 4).await.unwrap());
    for name in ["a1", "a2", "b1"] {
        events::put_rule(&mut tx, SCOPE, &rule(name)).await.unwrap();
    }
    let before = events::bus(&mut tx, SCOPE, "default").await.unwrap().unwrap().generation;
    events::touch_bus(&mut tx, SCOPE, "default", 5).await.unwrap();
    assert_eq!(events::bus(&mut tx, SCOPE, "default").await.unwrap().unwrap().generation, before + 1);
    let names = |rules: Vec<events::Rule>| rules.into_iter().map(|r| r.name).collect::<Vec<_>>();
    assert_eq!(names(events::list_rules(&mut tx, SCOPE, "default", "a", "", 10).await.unwrap()), ["a1", "a2"]);
    assert_eq!(names(events::list_rules(&mut tx, SCOPE, "default", "", "a1", 1).await.unwrap()), ["a2"]);
    let buses = events::list_buses(&mut tx, SCOPE, "", "", 10).await.unwrap();
    assert_eq!(buses.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(), ["default", "orders"]);
    assert_eq!(events::list_buses(&mut tx, SCOPE, "or", "", 10).await.unwrap().len(), 1);
    for id in ["t2", "t1"] {
        let target = events::Target { rule: "a1".into(), id: id.into(), arn: format!("arn:{id}"), spec: "{}".into() };
        events::put_target(&mut tx, SCOPE, "default", &target).await.unwrap();
    }
    // Replacing a target keeps its place.
    let again = events::Target { rule: "a1".into(), id: "t2".into(), arn: "arn:new".into(), spec: "{}".into() };
    events::put_target(&mut tx, SCOPE, "default", &again).await.unwrap();
    let targets = events::targets(&mut tx, SCOPE, "default", "a1").await.unwrap();
    assert_eq!(
        targets.iter().map(|t| (t.id.as_str(), t.arn.as_str())).collect::<Vec<_>>(),
        [("t2", "arn:new"), ("t1", "arn:t1")]
    );
    assert_eq!(events::rules_by_target(&mut tx, SCOPE, "default", "arn:t1", "", 10).await.unwrap(), ["a1"]);
    tags::EVENTS.put(&mut tx, &rule("a1").arn, &[("k".into(), "v".into())]).await.unwrap();
    assert!(events::set_rule_state(&mut tx, SCOPE, "default", "a2", "DISABLED").await.unwrap());
    assert_eq!(names(events::routing_rules(&mut tx, SCOPE, "default").await.unwrap()), ["a1", "b1"]);
    assert!(events::delete_rule(&mut tx, SCOPE, "default", "a1").await.unwrap());
    assert!(tags::EVENTS.list(&mut tx, &rule("a1").arn).await.unwrap().is_empty());
    assert!(events::targets(&mut tx, SCOPE, "default", "a1").await.unwrap().is_empty());
    assert!(!events::delete_rule(&mut tx, SCOPE, "default", "a1").await.unwrap());
    let logged = |id: i64, source: &str| events::Logged {
        id,
        time_ms: 9,
        account_id: String::new(),
        region: String::new(),
        bus: String::new(),
        source: source.into(),
        detail_type: "t".into(),
        event: "{}".into(),
        matched: 1,
    };
    events::log_event(&mut tx, SCOPE, "default", &logged(7, "aws.ssm")).await.unwrap();
    events::log_event(&mut tx, SCOPE, "default", &logged(5, "my.app")).await.unwrap();
    let all = events::logged(&mut tx, &events::LogFilter { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(all.iter().map(|l| l.id).collect::<Vec<_>>(), [5, 7], "in the order the events were put");
    let filter = events::LogFilter { source: Some("aws.ssm".into()), limit: 10, ..Default::default() };
    let found = events::logged(&mut tx, &filter).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].bus.as_str(), found[0].account_id.as_str()), ("default", "123456789012"));
    tx.commit().await.unwrap();
}

fn send(id: &str, retry: Retry) -> Send {
    Send {
        delivery_id: id.into(),
        endpoint: "ops@example.com".into(),
        subject: Some("s".into()),
        sender_name: None,
        body: "hello".into(),
        headers: Vec::new(),
        attributes: None,
        principal: "sns.amazonaws.com".into(),
        source_arn: "arn:aws:sns:us-east-1:123456789012:t".into(),
        retry,
        dead_letter: Some("arn:aws:sqs:us-east-1:123456789012:dlq".into()),
        created_ms: 0,
        hops: 0,
    }
}

async fn queue(store: &Store, send: &Send) -> jobs::Job {
    let new = NewDelivery {
        id: &send.delivery_id,
        source: &send.source_arn,
        destination: "sub",
        protocol: "email",
        endpoint: &send.endpoint,
        message_id: "m",
        message_type: "Notification",
    };
    let mut tx = store.begin().await.unwrap();
    delivery::enqueue(&mut tx, delivery::EMAIL_JOB, &new, send, 0, 0).await.unwrap();
    let job = jobs::claim_due(&mut tx, 0, 0, 10).await.unwrap().pop().unwrap();
    tx.commit().await.unwrap();
    job
}

#[tokio::test]
async fn a_delivered_message_is_closed_and_its_job_gone() {
    let (_dir, store) = open().await;
    let s = send("d1", Retry::CUSTOMER_MANAGED);
    let job = queue(&store, &s).await;
    let mut conn = store.read().await.unwrap();
    assert_eq!(delivery::open(&mut conn, "d1").await.unwrap().unwrap().attempts, 0);
    drop(conn);
    let (outcome, settled) =
        delivery::settle(&store, &job, &s, 0, Attempt::Delivered("250 OK".into()), 10, 0).await.unwrap();
    assert!(matches!(outcome, Outcome::Done));
    assert_eq!(settled, Settled::Delivered);
    let mut conn = store.read().await.unwrap();
    assert!(delivery::open(&mut conn, "d1").await.unwrap().is_none(), "a delivered message is never sent again");
    let d = delivery::get(&mut conn, "d1").await.unwrap().unwrap();
    assert_eq!((d.status.as_str(), d.attempts, d.delivered_ms), ("delivered", 1, Some(10)));
    assert_eq!(jobs::count(&mut conn).await.unwrap(), 0);
    let attempts = delivery::attempts(&mut conn, "d1").await.unwrap();
    assert_eq!(attempts[0].detail.as_deref(), Some("250 OK"));
}

#[tokio::test]
async fn failures_retry_then_fail_into_the_dead_letter_queue() {
    let (_dir, store) = open().await;
    let retry = Retry::Phases {
        no_delay: 0,
        min_delay: 1,
        backoff: 0,
        max_delay: 0,
        min_delay_s: 10,
        max_delay_s: 10,
        function: delivery::Backoff::Linear,
    };
    let s = send("d2", retry);
    let job = queue(&store, &s).await;
    let failed = || Attempt::Failed { error: "421 try later".into(), retryable: true };
    let (outcome, settled) = delivery::settle(&store, &job, &s, 0, failed(), 100, 0).await.unwrap();
    assert!(matches!(outcome, Outcome::RetryAt { due_ms: 10_100, .. }));
    assert_eq!(settled, Settled::Retrying);
    let (outcome, settled) = delivery::settle(&store, &job, &s, 1, failed(), 10_100, 0).await.unwrap();
    assert!(matches!(outcome, Outcome::Done));
    assert_eq!(settled, Settled::DeadLettered);
    let mut conn = store.read().await.unwrap();
    let d = delivery::get(&mut conn, "d2").await.unwrap().unwrap();
    assert_eq!((d.status.as_str(), d.attempts), ("failed", 2));
    assert_eq!(delivery::attempts(&mut conn, "d2").await.unwrap().len(), 2);
    let dlq = delivery::get(&mut conn, "d2-dlq").await.unwrap().unwrap();
    assert_eq!((dlq.protocol.as_str(), dlq.message_type.as_str()), ("sqs", "DeadLetter"));
    // The failed delivery's job is gone; the dead letter's is queued.
    assert_eq!(jobs::count(&mut conn).await.unwrap(), 1);
    let failed_list =
        delivery::list(&mut conn, &delivery::Filter { status: Some("failed".into()), limit: 10, ..Default::default() })
            .await
            .unwrap();
    assert_eq!(failed_list.len(), 1);
}

#[tokio::test]
async fn refusals_are_not_retried_and_the_outbox_keeps_one_copy() {
    let (_dir, store) = open().await;
    let mut s = send("d3", Retry::CUSTOMER_MANAGED);
    s.dead_letter = None;
    let job = queue(&store, &s).await;
    let (_, settled) = delivery::settle(
        &store,
        &job,
        &s,
        0,
        Attempt::Failed { error: "550 no such user".into(), retryable: false },
        5,
        0,
    )
    .await
    .unwrap();
    assert_eq!(settled, Settled::Failed);
    let s4 = send("d4", Retry::CUSTOMER_MANAGED);
    let job = queue(&store, &s4).await;
    delivery::settle_in_outbox(&store, &job, &s4, 0, "email", Some("no-reply@localhost"), 7).await.unwrap();
    // A second run of the same job (after a crash) does not add a second copy.
    delivery::settle_in_outbox(&store, &job, &s4, 1, "email", Some("no-reply@localhost"), 8).await.unwrap();
    let mut conn = store.read().await.unwrap();
    let outbox = delivery::outbox(&mut conn, 0, None, 10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!((outbox[0].recipient.as_str(), outbox[0].body.as_str()), ("ops@example.com", "hello"));
    assert!(delivery::outbox(&mut conn, outbox[0].id, None, 10).await.unwrap().is_empty());
    assert!(delivery::outbox(&mut conn, 0, Some("sms"), 10).await.unwrap().is_empty());
}

#[test]
fn retry_schedules() {
    // SNS's customer-managed policy: 2 at 10 s, 10 backing off to 600 s, 38 at 600 s.
    let r = Retry::CUSTOMER_MANAGED;
    let delays: Vec<i64> = (1..=51).map_while(|n| r.next_delay_ms(n, 0, 0)).collect();
    assert_eq!(delays.len(), 50);
    assert_eq!(&delays[..2], &[10_000, 10_000]);
    assert!(delays[2..12].windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(delays[11], 600_000);
    assert!(delays[12..].iter().all(|d| *d == 600_000));
    let total: i64 = delays.iter().sum();
    assert!((5 * 3_600_000..8 * 3_600_000).contains(&total), "{total}");
    // The HTTP default: three retries 20 seconds apart.
    let http: Vec<i64> = (1..=4).map_while(|n| Retry::HTTP_DEFAULT.next_delay_ms(n, 0, 0)).collect();
    assert_eq!(http, [20_000, 20_000, 20_000]);
    // EventBridge: doubling with jitter, bounded by attempts and age.
    let events = Retry::Doubling { first_s: 1, cap_s: 480, retries: 185, max_age_s: 86_400 };
    assert!((500..=1000).contains(&events.next_delay_ms(1, 0, 7).unwrap()));
    assert!((240_000..=480_000).contains(&events.next_delay_ms(50, 0, u64::MAX).unwrap()));
    assert!(events.next_delay_ms(186, 0, 0).is_none());
    assert!(events.next_delay_ms(10, 86_400_000, 0).is_none());
    let none = Retry::Doubling { first_s: 1, cap_s: 480, retries: 0, max_age_s: 60 };
    assert!(none.next_delay_ms(1, 0, 0).is_none());
}

#[tokio::test]
async fn topics_subscriptions_and_tokens() {
    let (_dir, store) = open().await;
    let topic = sns::Topic {
        arn: "arn:aws:sns:us-east-1:123456789012:t".into(),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        name: "t".into(),
        attributes: "{}".into(),
        subscriptions_deleted: 0,
        created_ms: 1,
    };
    let mut tx = store.begin().await.unwrap();
    assert!(sns::create_topic(&mut tx, &topic).await.unwrap());
    assert!(!sns::create_topic(&mut tx, &topic).await.unwrap());
    for (i, confirmed) in [(1, true), (2, false)] {
        let sub = sns::Subscription {
            arn: format!("{}:{i}", topic.arn),
            topic_arn: topic.arn.clone(),
            owner: "123456789012".into(),
            region: "us-east-1".into(),
            protocol: "email".into(),
            endpoint: format!("u{i}@example.com"),
            confirmed,
            authenticated: false,
            attributes: "{}".into(),
            created_ms: 1,
        };
        sns::insert_subscription(&mut tx, &sub).await.unwrap();
    }
    assert_eq!(sns::subscription_counts(&mut tx, &topic.arn).await.unwrap(), (1, 1));
    sns::insert_token(&mut tx, b"mac", &format!("{}:2", topic.arn), 100).await.unwrap();
    assert_eq!(
        sns::token_subscription(&mut tx, b"mac", 99).await.unwrap().as_deref(),
        Some(&*format!("{}:2", topic.arn))
    );
    assert!(sns::token_subscription(&mut tx, b"mac", 100).await.unwrap().is_none(), "expired");
    sns::confirm(&mut tx, &format!("{}:2", topic.arn), true).await.unwrap();
    assert_eq!(sns::subscription_counts(&mut tx, &topic.arn).await.unwrap(), (2, 0));
    assert!(sns::delete_subscription(&mut tx, &format!("{}:1", topic.arn)).await.unwrap());
    assert_eq!(sns::topic(&mut tx, &topic.arn).await.unwrap().unwrap().subscriptions_deleted, 1);
    let found = sns::find_subscription(&mut tx, &topic.arn, "email", "u2@example.com").await.unwrap().unwrap();
    assert!(found.confirmed && found.authenticated);
    assert_eq!(
        sns::list_topics(&mut tx, "123456789012", "us-east-1", "", 10).await.unwrap(),
        std::slice::from_ref(&topic.arn)
    );
    assert!(sns::delete_topic(&mut tx, &topic.arn).await.unwrap());
    assert!(sns::topic_subscriptions(&mut tx, &topic.arn, "", 10).await.unwrap().is_empty());
    let (sealed, cert) = sns::put_signing_key(&mut tx, b"k1", "c1", 1).await.unwrap();
    assert_eq!((sealed.as_slice(), cert.as_str()), (&b"k1"[..], "c1"));
    // A second node racing to make a key keeps the first.
    let (sealed, _) = sns::put_signing_key(&mut tx, b"k2", "c2", 2).await.unwrap();
    assert_eq!(sealed, b"k1");
    tx.commit().await.unwrap();
}

/// A handler that completes its own job, followed by the runner completing it again, must not
/// delete a job queued in between (which SQLite would give the freed id without AUTOINCREMENT).
#[tokio::test]
async fn job_ids_are_never_reused() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    let first = jobs::enqueue(&mut tx, "k", 0, "a", 0).await.unwrap();
    jobs::complete(&mut tx, first).await.unwrap();
    let second = jobs::enqueue(&mut tx, "k", 0, "b", 0).await.unwrap();
    assert_ne!(first, second);
    jobs::complete(&mut tx, first).await.unwrap();
    assert_eq!(jobs::count(&mut tx).await.unwrap(), 1);
    tx.commit().await.unwrap();
}
