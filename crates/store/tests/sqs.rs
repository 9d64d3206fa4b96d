//! The SQS repository against a real SQLite file or PostgreSQL database (see `common`): claiming, FIFO group blocking, dead-letter
//! moves, retention, counts and deduplication.

mod common;
use common::open;

use spcred_store::Store;
use spcred_store::sqs::{self, Claim, Counts, NewMessage, NewQueue};
use std::collections::HashSet;

async fn queue(store: &Store, name: &str, fifo: bool) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let q = NewQueue {
        account_id: "123456789012",
        region: "us-east-1",
        name,
        fifo,
        attributes: "{}",
        tags: "{}",
        dlq_arn: None,
        now_ms: 0,
        first_seq: 0,
    };
    let id = sqs::insert_queue(&mut tx, &q).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn send(store: &Store, queue_id: i64, body: &str, sent_ms: i64, visible_ms: i64, group: Option<&str>) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let m = NewMessage {
        queue_id,
        message_id: body,
        body: body.as_bytes(),
        sealed: false,
        md5_body: "",
        attributes: None,
        system: "{}",
        sent_ms,
        visible_ms,
        group_id: group,
        dedup_id: None,
        sequence_number: None,
    };
    let id = sqs::insert_message(&mut tx, &m).await.unwrap();
    tx.commit().await.unwrap();
    id
}

fn claim_at(queue_id: i64, fifo: bool, now_ms: i64, limit: i64) -> Claim {
    Claim { queue_id, fifo, now_ms, cutoff_ms: -1, visible_until_ms: now_ms + 30_000, limit }
}

async fn claim(store: &Store, c: &Claim) -> Vec<String> {
    let mut tx = store.begin().await.unwrap();
    let got = sqs::claim(&mut tx, c).await.unwrap();
    tx.commit().await.unwrap();
    got.into_iter().map(|m| m.message_id).collect()
}

async fn counts(store: &Store, queue_id: i64, now_ms: i64) -> Counts {
    let mut conn = store.reader().acquire().await.unwrap();
    sqs::counts(&mut conn, queue_id, now_ms, -1).await.unwrap()
}

#[tokio::test]
async fn claimed_messages_stay_invisible_until_their_timeout() {
    let (_dir, store) = open().await;
    let q = queue(&store, "q", false).await;
    for body in ["a", "b", "c"] {
        send(&store, q, body, 0, 0, None).await;
    }
    assert_eq!(claim(&store, &claim_at(q, false, 10, 2)).await, ["a", "b"]);
    assert_eq!(counts(&store, q, 10).await, Counts { visible: 1, not_visible: 2, delayed: 0 });
    assert_eq!(claim(&store, &claim_at(q, false, 20, 10)).await, ["c"]);
    assert!(claim(&store, &claim_at(q, false, 30, 10)).await.is_empty());
    // 30 s after the first claim, a and b are back, with their receive counts raised.
    let mut tx = store.begin().await.unwrap();
    let again = sqs::claim(&mut tx, &claim_at(q, false, 30_010, 10)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        again.iter().map(|m| (m.message_id.as_str(), m.receive_count)).collect::<Vec<_>>(),
        [("a", 2), ("b", 2)]
    );
    assert_eq!(again[0].first_receive_ms, Some(10));
}

#[tokio::test]
async fn delayed_messages_count_as_delayed_and_wait() {
    let (_dir, store) = open().await;
    let q = queue(&store, "q", false).await;
    send(&store, q, "later", 0, 5_000, None).await;
    assert_eq!(counts(&store, q, 0).await, Counts { visible: 0, not_visible: 0, delayed: 1 });
    assert!(claim(&store, &claim_at(q, false, 4_999, 1)).await.is_empty());
    let mut conn = store.reader().acquire().await.unwrap();
    assert_eq!(sqs::next_visible(&mut conn, q, 0).await.unwrap(), Some(5_000));
    drop(conn);
    assert_eq!(claim(&store, &claim_at(q, false, 5_000, 1)).await, ["later"]);
}

#[tokio::test]
async fn fifo_groups_go_in_order_and_block_while_in_flight() {
    let (_dir, store) = open().await;
    let q = queue(&store, "q.fifo", true).await;
    for (body, group) in [("a1", "a"), ("b1", "b"), ("a2", "a"), ("b2", "b")] {
        send(&store, q, body, 0, 0, Some(group)).await;
    }
    assert_eq!(claim(&store, &claim_at(q, true, 1, 1)).await, ["a1"]);
    // Group a is in flight: only b's messages can go, in order.
    assert_eq!(claim(&store, &claim_at(q, true, 2, 10)).await, ["b1", "b2"]);
    assert!(claim(&store, &claim_at(q, true, 3, 10)).await.is_empty());
    // Deleting a1 unblocks a2.
    let mut tx = store.begin().await.unwrap();
    let a1 = sqs::claim(&mut tx, &claim_at(q, true, 40_000, 1)).await.unwrap();
    assert_eq!(a1[0].message_id, "a1", "a1 came back first after its timeout");
    assert!(sqs::delete_message(&mut tx, q, a1[0].id).await.unwrap());
    tx.commit().await.unwrap();
    // b1 and b2 are visible again (timed out), but a2 is next in its own group.
    let next = claim(&store, &claim_at(q, true, 40_001, 10)).await;
    assert_eq!(next, ["b1", "a2", "b2"]);
}

#[tokio::test]
async fn over_received_messages_move_to_the_dead_letter_queue_with_their_age() {
    let (_dir, store) = open().await;
    let q = queue(&store, "q", false).await;
    let dlq = queue(&store, "dlq", false).await;
    send(&store, q, "poison", 7, 0, None).await;
    for round in 0..2 {
        let now = 100 + round * 40_000;
        let mut tx = store.begin().await.unwrap();
        let c = claim_at(q, false, now, 10);
        assert_eq!(sqs::redrive(&mut tx, &c, 2, dlq, "arn:src").await.unwrap(), 0);
        assert_eq!(sqs::claim(&mut tx, &c).await.unwrap().len(), 1);
        tx.commit().await.unwrap();
    }
    let mut tx = store.begin().await.unwrap();
    let c = claim_at(q, false, 200_000, 10);
    assert_eq!(sqs::redrive(&mut tx, &c, 2, dlq, "arn:aws:sqs:us-east-1:123456789012:q").await.unwrap(), 1);
    assert!(sqs::claim(&mut tx, &c).await.unwrap().is_empty());
    let moved = sqs::claim(&mut tx, &claim_at(dlq, false, 200_000, 10)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!((moved[0].message_id.as_str(), moved[0].receive_count, moved[0].sent_ms), ("poison", 1, 7));
    let system: serde_json::Value = serde_json::from_str(&moved[0].system).unwrap();
    assert_eq!(system["DeadLetterQueueSourceArn"], "arn:aws:sqs:us-east-1:123456789012:q");
    assert_eq!(counts(&store, q, 200_000).await, Counts::default());
}

#[tokio::test]
async fn expired_messages_are_neither_claimed_nor_counted() {
    let (_dir, store) = open().await;
    let q = queue(&store, "q", false).await;
    send(&store, q, "old", 0, 0, None).await;
    send(&store, q, "new", 1_000, 0, None).await;
    let mut conn = store.reader().acquire().await.unwrap();
    let live = sqs::counts(&mut conn, q, 2_000, 500).await.unwrap();
    drop(conn);
    assert_eq!(live.visible, 1);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(sqs::expire(&mut tx, q, 500).await.unwrap(), 1);
    let got = sqs::claim(&mut tx, &Claim { cutoff_ms: 500, ..claim_at(q, false, 2_000, 10) }).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(got.iter().map(|m| m.message_id.as_str()).collect::<Vec<_>>(), ["new"]);
}

#[tokio::test]
async fn deduplication_records_last_five_minutes() {
    let (_dir, store) = open().await;
    let q = queue(&store, "q.fifo", true).await;
    let mut tx = store.begin().await.unwrap();
    assert_eq!(sqs::next_sequence(&mut tx, q).await.unwrap(), 1);
    assert_eq!(sqs::next_sequence(&mut tx, q).await.unwrap(), 2);
    sqs::dedup_insert(&mut tx, q, "k", "m1", "00000000000000000001", 300_000).await.unwrap();
    let hit = sqs::dedup_lookup(&mut tx, q, "k", 299_999).await.unwrap();
    assert_eq!(hit, Some(("m1".to_owned(), "00000000000000000001".to_owned())));
    assert_eq!(sqs::dedup_lookup(&mut tx, q, "k", 300_000).await.unwrap(), None);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn concurrent_claims_never_share_a_message() {
    let (_dir, store) = open().await;
    let q = queue(&store, "q", false).await;
    let mut tx = store.begin().await.unwrap();
    for i in 0..500 {
        let body = i.to_string();
        let m = NewMessage {
            queue_id: q,
            message_id: &body,
            body: body.as_bytes(),
            sealed: false,
            md5_body: "",
            attributes: None,
            system: "{}",
            sent_ms: 0,
            visible_ms: 0,
            group_id: None,
            dedup_id: None,
            sequence_number: None,
        };
        sqs::insert_message(&mut tx, &m).await.unwrap();
    }
    tx.commit().await.unwrap();
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = claim(&store, &claim_at(q, false, 1, 7)).await;
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got);
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (500, 500));
}

#[tokio::test]
async fn queues_by_prefix_and_dead_letter_target() {
    let (_dir, store) = open().await;
    for name in ["a_1", "a%2", "ab", "b"] {
        queue(&store, name, false).await;
    }
    let mut conn = store.reader().acquire().await.unwrap();
    let names = sqs::queue_names(&mut conn, "123456789012", "us-east-1", "a_", "", 10).await.unwrap();
    assert_eq!(names, ["a_1"], "_ is not a wildcard");
    let page = sqs::queue_names(&mut conn, "123456789012", "us-east-1", "", "a_1", 2).await.unwrap();
    assert_eq!(page, ["ab", "b"]);
    assert!(sqs::queue_names(&mut conn, "123456789012", "eu-west-1", "", "", 10).await.unwrap().is_empty());
    drop(conn);
    let source = sqs::queue(&mut store.reader().acquire().await.unwrap(), "123456789012", "us-east-1", "b")
        .await
        .unwrap()
        .unwrap();
    let mut tx = store.begin().await.unwrap();
    sqs::update_attributes(&mut tx, source.id, "{}", Some("arn:dlq"), 5).await.unwrap();
    let sources = sqs::dead_letter_sources(&mut tx, "123456789012", "us-east-1", "arn:dlq", "", 10).await.unwrap();
    assert_eq!(sources, ["b"]);
    sqs::delete_queue(&mut tx, &source, 9).await.unwrap();
    assert_eq!(sqs::deleted_at(&mut tx, "123456789012", "us-east-1", "b").await.unwrap(), Some(9));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn single_statement_sends_and_deletes() {
    let (_dir, store) = open().await;
    let q = queue(&store, "q", false).await;
    let bodies = ["a", "b", "c"];
    let rows: Vec<NewMessage<'_>> = bodies
        .iter()
        .map(|b| NewMessage {
            queue_id: q,
            message_id: b,
            body: b.as_bytes(),
            sealed: false,
            md5_body: "",
            attributes: Some("{}"),
            system: "{}",
            sent_ms: 0,
            visible_ms: 0,
            group_id: None,
            dedup_id: None,
            sequence_number: None,
        })
        .collect();
    let mut conn = store.writer().await.unwrap();
    sqs::insert_messages(&mut conn, &rows).await.unwrap();
    sqs::insert_messages(&mut conn, &[]).await.unwrap();
    let claimed = sqs::claim(&mut conn, &claim_at(q, false, 1, 10)).await.unwrap();
    assert_eq!(claimed.iter().map(|m| m.message_id.as_str()).collect::<Vec<_>>(), bodies);
    let receipts: Vec<(i64, i64)> = claimed.iter().map(|m| (m.id, m.receive_count)).collect();
    // A stale receive count deletes nothing; the current one deletes.
    assert_eq!(sqs::delete_received(&mut conn, q, &[(receipts[0].0, 7)]).await.unwrap(), 0);
    assert_eq!(sqs::delete_received(&mut conn, q, &receipts[..2]).await.unwrap(), 2);
    assert_eq!(sqs::delete_received(&mut conn, q + 1, &receipts[2..]).await.unwrap(), 0, "another queue's row stays");
    assert_eq!(sqs::delete_received(&mut conn, q, &[]).await.unwrap(), 0);
    conn.done().await.unwrap();
    assert_eq!(counts(&store, q, 2).await.not_visible, 1);
}
