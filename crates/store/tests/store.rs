//! The store against a real SQLite file or PostgreSQL database (see `common`).

mod common;
use common::open;

use spcred_store::{StoreError, audit, jobs, meta};

#[tokio::test]
async fn reopening_keeps_data_and_does_not_rerun_migrations() {
    let (dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    meta::put(&mut tx, "k", b"v").await.unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    let store = dir.reopen().await.unwrap();
    let mut conn = store.reader().acquire().await.unwrap();
    assert_eq!(meta::get(&mut conn, "k").await.unwrap().as_deref(), Some(&b"v"[..]));
}

#[tokio::test]
async fn a_store_from_a_newer_version_is_refused() {
    let (dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    sqlx::query("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (9999, 'future', 0)")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    let err = dir.reopen().await.unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { found: 9999, .. }), "{err}");
    assert!(err.to_string().contains("upgrade spcred"));
}

#[tokio::test]
async fn the_database_is_in_wal_mode() {
    let (_dir, store) = open().await;
    if store.backend() != spcred_store::Backend::Sqlite {
        return;
    }
    let mut conn = store.reader().acquire().await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn jobs_are_claimed_once_until_their_lease_lapses() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    let due = jobs::enqueue(&mut tx, "t.due", 100, "{}", 0).await.unwrap();
    jobs::enqueue(&mut tx, "t.later", 10_000, "{}", 0).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let claimed = jobs::claim_due(&mut tx, 1_000, 50_000, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![due]);
    // Under lease: nobody else gets it.
    assert!(jobs::claim_due(&mut tx, 1_000, 50_001, 10).await.unwrap().is_empty());
    // The lease lapses (the worker died): it comes back.
    let again = jobs::claim_due(&mut tx, 1_000, 50_000 + jobs::LEASE_MS + 1, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    jobs::retry(&mut tx, due, 5_000, "smtp down").await.unwrap();
    assert!(jobs::claim_due(&mut tx, 1_000, 200_000, 10).await.unwrap().is_empty());
    let retried = jobs::claim_due(&mut tx, 5_000, 200_000, 10).await.unwrap();
    assert_eq!(retried[0].attempts, 1);
    jobs::complete(&mut tx, due).await.unwrap();
    assert_eq!(jobs::count(&mut tx).await.unwrap(), 1);
    assert_eq!(jobs::next_due(&mut tx, 200_000).await.unwrap(), Some(10_000));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn audit_filters_by_principal_operation_and_time() {
    let (_dir, store) = open().await;
    let rec = |t: i64, who: &str, op: &str| audit::Record {
        time_ms: t,
        request_id: format!("r{t}"),
        principal_arn: Some(who.into()),
        source_ip: "127.0.0.1".into(),
        service: "sts".into(),
        operation: op.into(),
        outcome: "Allowed".into(),
        error_code: None,
        region: Some("us-east-1".into()),
    };
    let mut tx = store.begin().await.unwrap();
    audit::append(&mut tx, &[rec(1, "a", "X"), rec(2, "b", "X"), rec(3, "a", "Y")]).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = store.reader().acquire().await.unwrap();
    let f = audit::Filter { principal_arn: Some("a".into()), limit: 100, ..Default::default() };
    assert_eq!(audit::list(&mut conn, &f).await.unwrap().iter().map(|r| r.time_ms).collect::<Vec<_>>(), vec![1, 3]);
    let f = audit::Filter { operation: Some("X".into()), since_ms: Some(2), limit: 100, ..Default::default() };
    assert_eq!(audit::list(&mut conn, &f).await.unwrap().iter().map(|r| r.time_ms).collect::<Vec<_>>(), vec![2]);
    let f = audit::Filter { limit: 2, ..Default::default() };
    assert_eq!(audit::list(&mut conn, &f).await.unwrap().iter().map(|r| r.time_ms).collect::<Vec<_>>(), vec![2, 3]);
}

#[tokio::test]
async fn last_access_is_the_newest_record_per_principal_service_and_operation() {
    let (_dir, store) = open().await;
    let rec = |t: i64, who: &str, service: &str, op: &str, region: &str| audit::Record {
        time_ms: t,
        request_id: format!("r{t}"),
        principal_arn: Some(who.into()),
        source_ip: "127.0.0.1".into(),
        service: service.into(),
        operation: op.into(),
        outcome: "Allowed".into(),
        error_code: None,
        region: Some(region.into()),
    };
    let bob = "arn:aws:iam::123456789012:user/Bob";
    let session = "arn:aws:sts::123456789012:assumed-role/R_1/s";
    let mut tx = store.begin().await.unwrap();
    audit::append(
        &mut tx,
        &[
            rec(1, bob, "ssm", "GetParameter", "us-east-1"),
            rec(5, bob, "ssm", "GetParameter", "eu-west-1"),
            rec(3, bob, "iam", "ListUsers", "us-east-1"),
            rec(4, session, "sts", "GetCallerIdentity", "us-west-2"),
            // `_` is no wildcard: R21's sessions are not R_1's.
            rec(6, "arn:aws:sts::123456789012:assumed-role/R21/s", "sts", "GetCallerIdentity", "us-west-2"),
            rec(7, "arn:aws:iam::123456789012:user/Bobby", "ssm", "GetParameter", "us-east-1"),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut conn = store.reader().acquire().await.unwrap();
    let who = [audit::Who::Exact(bob.into()), audit::Who::Prefix("arn:aws:sts::123456789012:assumed-role/R_1/".into())];
    let mut got = audit::last_accessed(&mut conn, &who, 0).await.unwrap();
    got.sort_by_key(|a| a.time_ms);
    let summary: Vec<(i64, &str, &str, Option<&str>)> =
        got.iter().map(|a| (a.time_ms, a.principal_arn.as_str(), a.operation.as_str(), a.region.as_deref())).collect();
    assert_eq!(
        summary,
        [
            (3, bob, "ListUsers", Some("us-east-1")),
            (4, session, "GetCallerIdentity", Some("us-west-2")),
            (5, bob, "GetParameter", Some("eu-west-1"))
        ]
    );
    // Older than the tracking period: not counted.
    assert_eq!(audit::last_accessed(&mut conn, &who, 5).await.unwrap().len(), 1);
}

#[tokio::test]
async fn sp_grants_are_single_use_and_delivery_records_are_bounded() {
    use spcred_store::sp;
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    let grant = sp::Grant {
        kind: "code".into(),
        app_id: "app".into(),
        selling_partner_id: "A1".into(),
        redirect_uri: Some("https://x.example/cb".into()),
        beta: false,
        expires_ms: 1_000,
        used_ms: None,
        scope: None,
    };
    sp::insert_grant(&mut tx, b"v1", &grant, 0).await.unwrap();
    let first = sp::take_grant(&mut tx, b"v1", "code", 10).await.unwrap().unwrap();
    assert_eq!(first.used_ms, None);
    let second = sp::take_grant(&mut tx, b"v1", "code", 20).await.unwrap().unwrap();
    assert_eq!(second.used_ms, Some(10), "a second take sees the first use");
    assert!(sp::take_grant(&mut tx, b"v1", "state", 30).await.unwrap().is_none(), "kinds do not mix");
    for i in 0..130 {
        let d = sp::Delivery {
            app_id: "app".into(),
            notification_id: format!("n{i}"),
            notification_type: "ORDER_CHANGE".into(),
            destination: "arn:aws:sqs:us-east-1:123456789012:q".into(),
            outcome: "Delivered".into(),
            error: None,
            time_ms: i,
        };
        sp::record_delivery(&mut tx, &d).await.unwrap();
    }
    let kept = sp::deliveries(&mut tx, "app", 1_000).await.unwrap();
    assert_eq!(kept.len(), 100);
    assert_eq!(kept[0].notification_id, "n129");
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn one_stack_operation_at_a_time_and_one_live_stack_per_name() {
    use spcred_store::{Scope, cloudformation as cfn};
    let (_dir, store) = open().await;
    let scope = Scope { account_id: "123456789012", region: "us-east-1" };
    let stack = cfn::Stack {
        stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
        name: "s".into(),
        status: "CREATE_COMPLETE".into(),
        status_reason: None,
        description: None,
        body: vec![1],
        capabilities: "[]".into(),
        tags: "[]".into(),
        disable_rollback: false,
        created_ms: 1,
        updated_ms: None,
        deleted_ms: None,
    };
    let mut tx = store.begin().await.unwrap();
    assert!(cfn::insert_stack(&mut tx, scope, &stack).await.unwrap());
    let twin = cfn::Stack { stack_id: format!("{}-twin", stack.stack_id), ..stack.clone() };
    assert!(!cfn::insert_stack(&mut tx, scope, &twin).await.unwrap(), "a live stack of that name exists");
    // The first update claims the stack; a second that read the same status is refused with
    // the status the first left.
    let id = &stack.stack_id;
    assert_eq!(cfn::transition(&mut tx, id, "CREATE_COMPLETE", "UPDATE_IN_PROGRESS").await.unwrap(), None);
    assert_eq!(
        cfn::transition(&mut tx, id, "CREATE_COMPLETE", "DELETE_IN_PROGRESS").await.unwrap().as_deref(),
        Some("UPDATE_IN_PROGRESS")
    );
    // Deleted, the name is free again and the old stack is still found by its id.
    let deleted = cfn::Stack { status: "DELETE_COMPLETE".into(), deleted_ms: Some(2), ..stack.clone() };
    cfn::update_stack(&mut tx, &deleted).await.unwrap();
    assert!(cfn::insert_stack(&mut tx, scope, &twin).await.unwrap());
    assert_eq!(cfn::stack(&mut tx, scope, "s").await.unwrap().unwrap().stack_id, twin.stack_id);
    assert_eq!(cfn::stack(&mut tx, scope, id).await.unwrap().unwrap().status, "DELETE_COMPLETE");
    // A server that stops mid-operation leaves the live stack busy; the next start marks it
    // failed so it can be deleted, and leaves settled and reviewed stacks alone.
    let review = cfn::Stack {
        stack_id: format!("{}-review", stack.stack_id),
        name: "r".into(),
        status: "REVIEW_IN_PROGRESS".into(),
        ..stack.clone()
    };
    assert!(cfn::insert_stack(&mut tx, scope, &review).await.unwrap());
    assert_eq!(cfn::transition(&mut tx, &twin.stack_id, "CREATE_COMPLETE", "UPDATE_IN_PROGRESS").await.unwrap(), None);
    assert_eq!(cfn::interrupted(&mut tx, 5).await.unwrap(), 1);
    let after = cfn::stack(&mut tx, scope, "s").await.unwrap().unwrap();
    assert_eq!(after.status, "UPDATE_ROLLBACK_FAILED");
    assert!(after.status_reason.unwrap().contains("delete the stack"));
    assert_eq!(cfn::stack(&mut tx, scope, "r").await.unwrap().unwrap().status, "REVIEW_IN_PROGRESS");
    assert_eq!(cfn::stack(&mut tx, scope, id).await.unwrap().unwrap().status, "DELETE_COMPLETE");
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn both_engines_have_the_same_tables_and_columns() {
    let (_dir, store) = open().await;
    if store.backend() != spcred_store::Backend::Postgres {
        return;
    }
    let sqlite_dir = tempfile::tempdir().unwrap();
    let sqlite = spcred_store::Store::open(&sqlite_dir.path().join("spcred.db")).await.unwrap();
    let mut lite = sqlite.read().await.unwrap();
    let mut lite_columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&mut *lite)
    .await
    .unwrap();
    let mut pg = store.read().await.unwrap();
    let mut pg_columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
         WHERE table_schema = 'public'",
    )
    .fetch_all(&mut *pg)
    .await
    .unwrap();
    lite_columns.sort();
    pg_columns.sort();
    assert!(lite_columns.len() > 300, "{}", lite_columns.len());
    assert_eq!(lite_columns, pg_columns);
}

#[tokio::test]
async fn writers_queue_behind_one_another_across_connections() {
    // Two write transactions at once (two nodes, on PostgreSQL): the second waits for the
    // first, so a read-then-write step in each sees the other's result.
    let (_dir, store) = open().await;
    let mut first = store.begin().await.unwrap();
    meta::put(&mut first, "n", b"1").await.unwrap();
    let other = store.clone();
    let second = tokio::spawn(async move {
        let mut tx = other.begin().await.unwrap();
        let seen = meta::get(&mut tx, "n").await.unwrap();
        meta::put(&mut tx, "n", b"2").await.unwrap();
        tx.commit().await.unwrap();
        seen
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!second.is_finished(), "the second writer ran beside the first");
    first.commit().await.unwrap();
    assert_eq!(second.await.unwrap().as_deref(), Some(&b"1"[..]));
    let mut conn = store.read().await.unwrap();
    assert_eq!(meta::get(&mut conn, "n").await.unwrap().as_deref(), Some(&b"2"[..]));
}
