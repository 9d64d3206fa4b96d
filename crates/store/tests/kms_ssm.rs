//! The KMS and SSM repositories against a real SQLite file or PostgreSQL database (see `common`).

mod common;
use common::open;

use spcred_store::Scope;
use spcred_store::ssm;
use spcred_store::{jobs, kms, tags};

fn key(id: &str) -> kms::Key {
    kms::Key {
        key_id: id.into(),
        account_id: "111122223333".into(),
        region: "us-east-1".into(),
        arn: format!("arn:aws:kms:us-east-1:111122223333:key/{id}"),
        description: String::new(),
        key_usage: "ENCRYPT_DECRYPT".into(),
        key_spec: "SYMMETRIC_DEFAULT".into(),
        key_state: "Enabled".into(),
        key_manager: "CUSTOMER".into(),
        origin: "AWS_KMS".into(),
        policy: "{}".into(),
        created_ms: 1,
        deletion_ms: None,
        pending_window_days: None,
        rotation_period_days: None,
        next_rotation_ms: None,
        current_version: 1,
    }
}

#[tokio::test]
async fn deleting_a_key_takes_its_material_aliases_and_tags() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    kms::insert_key(&mut tx, &key("k1")).await.unwrap();
    kms::insert_material(
        &mut tx,
        &kms::Material {
            key_id: "k1".into(),
            version: 1,
            material_sealed: vec![1, 2, 3],
            material_id: "m".into(),
            created_ms: 1,
            rotation_type: None,
        },
    )
    .await
    .unwrap();
    let alias = kms::Alias { alias_name: "alias/a".into(), target_key_id: "k1".into(), created_ms: 1, updated_ms: 1 };
    kms::insert_alias(&mut tx, "111122223333", "us-east-1", &alias).await.unwrap();
    let tag = |v: &str| vec![("env".to_owned(), v.to_owned())];
    tags::KMS.put(&mut tx, "k1", &tag("prod")).await.unwrap();
    tags::KMS.put(&mut tx, "k1", &tag("dev")).await.unwrap();
    assert_eq!(tags::KMS.list(&mut tx, "k1").await.unwrap(), tag("dev"));
    assert!(kms::delete_key(&mut tx, "k1").await.unwrap());
    assert!(kms::get_material(&mut tx, "k1", 1).await.unwrap().is_none());
    assert!(kms::get_alias(&mut tx, "111122223333", "us-east-1", "alias/a").await.unwrap().is_none());
    assert!(tags::KMS.list(&mut tx, "k1").await.unwrap().is_empty());
    assert!(!kms::delete_key(&mut tx, "k1").await.unwrap());
}

#[tokio::test]
async fn keys_list_in_pages_and_stay_in_their_account_and_region() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    for id in ["a", "b", "c"] {
        kms::insert_key(&mut tx, &key(id)).await.unwrap();
    }
    let mut other = key("d");
    other.region = "eu-west-1".into();
    other.arn = "arn:aws:kms:eu-west-1:111122223333:key/d".into();
    kms::insert_key(&mut tx, &other).await.unwrap();
    let page = kms::list_keys(&mut tx, "111122223333", "us-east-1", "", 2).await.unwrap();
    assert_eq!(page.iter().map(|k| k.key_id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    let page = kms::list_keys(&mut tx, "111122223333", "us-east-1", "b", 2).await.unwrap();
    assert_eq!(page.iter().map(|k| k.key_id.as_str()).collect::<Vec<_>>(), ["c"]);
    assert!(kms::get_key(&mut tx, "111122223333", "us-east-1", "d").await.unwrap().is_none());
    assert!(kms::get_key_by_id(&mut tx, "d").await.unwrap().is_some());
}

fn version(name: &str, version: i64) -> ssm::Version {
    ssm::Version {
        name: name.into(),
        version,
        kind: "String".into(),
        value: Some(format!("v{version}")),
        ciphertext: None,
        key_id: None,
        kms_key_id: None,
        description: None,
        allowed_pattern: None,
        data_type: "text".into(),
        tier: "Standard".into(),
        policies: "[]".into(),
        modified_ms: version,
        modified_user: "arn:aws:iam::111122223333:root".into(),
    }
}

const SCOPE: Scope<'static> = Scope { account_id: "111122223333", region: "us-east-1" };

#[tokio::test]
async fn versions_labels_and_deletion() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    ssm::put_version(&mut tx, SCOPE, &version("/app/a", 1)).await.unwrap();
    ssm::put_version(&mut tx, SCOPE, &version("/app/a", 2)).await.unwrap();
    ssm::put_version(&mut tx, SCOPE, &version("/app/b/c", 1)).await.unwrap();
    ssm::put_version(&mut tx, SCOPE, &version("/apq", 1)).await.unwrap();
    assert_eq!(ssm::current(&mut tx, SCOPE, "/app/a").await.unwrap().unwrap().value.as_deref(), Some("v2"));
    assert_eq!(ssm::version(&mut tx, SCOPE, "/app/a", 1).await.unwrap().unwrap().value.as_deref(), Some("v1"));
    assert_eq!(ssm::version_span(&mut tx, SCOPE, "/app/a").await.unwrap(), (Some(1), 2));
    let under = ssm::list_current(&mut tx, SCOPE, "/app/", Some("/app0")).await.unwrap();
    assert_eq!(under.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["/app/a", "/app/b/c"]);

    ssm::set_label(&mut tx, SCOPE, "/app/a", "prod", 1).await.unwrap();
    ssm::set_label(&mut tx, SCOPE, "/app/a", "prod", 2).await.unwrap();
    assert_eq!(ssm::labels(&mut tx, SCOPE, "/app/a").await.unwrap(), vec![("prod".to_owned(), 2)]);
    assert!(!ssm::remove_label(&mut tx, SCOPE, "/app/a", "prod", 1).await.unwrap());
    assert!(ssm::remove_label(&mut tx, SCOPE, "/app/a", "prod", 2).await.unwrap());

    ssm::put_tag(&mut tx, SCOPE, "/app/a", "team", "erp").await.unwrap();
    assert!(ssm::delete(&mut tx, SCOPE, "/app/a").await.unwrap());
    assert!(ssm::history(&mut tx, SCOPE, "/app/a").await.unwrap().is_empty());
    assert!(ssm::tags(&mut tx, SCOPE, "/app/a").await.unwrap().is_empty());
    assert_eq!(ssm::count(&mut tx, SCOPE, "Standard").await.unwrap(), 2);
}

#[tokio::test]
async fn policies_are_replaced_and_updated() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    ssm::put_version(&mut tx, SCOPE, &version("/p", 1)).await.unwrap();
    let policy = |idx, kind: &str| ssm::Policy {
        name: "/p".into(),
        idx,
        kind: kind.into(),
        text: "{}".into(),
        status: "Pending".into(),
        due_ms: Some(100),
    };
    ssm::replace_policies(&mut tx, SCOPE, "/p", &[policy(0, "Expiration"), policy(1, "NoChangeNotification")])
        .await
        .unwrap();
    ssm::update_policy(&mut tx, SCOPE, "/p", 1, "Finished", None).await.unwrap();
    let p = ssm::policy(&mut tx, SCOPE, "/p", 1).await.unwrap().unwrap();
    assert_eq!((p.status.as_str(), p.due_ms), ("Finished", None));
    ssm::replace_policies(&mut tx, SCOPE, "/p", &[policy(0, "NoChangeNotification")]).await.unwrap();
    assert_eq!(ssm::policies(&mut tx, SCOPE, "/p").await.unwrap().len(), 1);
}

#[tokio::test]
async fn jobs_of_a_kind_are_listed_oldest_first() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    jobs::enqueue(&mut tx, "a", 5, "1", 0).await.unwrap();
    jobs::enqueue(&mut tx, "b", 5, "2", 0).await.unwrap();
    jobs::enqueue(&mut tx, "a", 1, "3", 0).await.unwrap();
    let listed = jobs::list(&mut tx, "a", 10).await.unwrap();
    assert_eq!(listed.iter().map(|j| j.payload.as_str()).collect::<Vec<_>>(), ["1", "3"]);
}

#[tokio::test]
async fn a_migration_numbered_below_the_newest_is_still_applied() {
    // A store written before KMS and SSM landed, by a build that already had SQS (migration 5).
    let (dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    for table in ["kms_tags", "kms_aliases", "kms_key_material", "kms_keys"] {
        sqlx::query(&format!("DROP TABLE {table}")).execute(&mut *tx).await.unwrap();
    }
    sqlx::query("DELETE FROM schema_migrations WHERE version = 3").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    let store = dir.reopen().await.unwrap();
    let mut conn = store.reader().acquire().await.unwrap();
    assert!(kms::get_key_by_id(&mut conn, "any").await.unwrap().is_none());
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert!(versions.contains(&3));
}

#[tokio::test]
async fn service_settings_are_kept_per_account_and_region() {
    let (_dir, store) = open().await;
    let east = Scope { account_id: "111122223333", region: "us-east-1" };
    let west = Scope { account_id: "111122223333", region: "us-west-2" };
    let id = "/ssm/parameter-store/default-parameter-tier";
    let mut tx = store.begin().await.unwrap();
    spcred_store::access_keys::create_account(&mut tx, "111122223333", 42).await.unwrap();
    assert!(ssm::setting(&mut tx, east, id).await.unwrap().is_none());
    let customized = ssm::Setting {
        value: "Standard".into(),
        status: "Customized".into(),
        modified_ms: 5,
        modified_user: "u".into(),
    };
    ssm::put_setting(&mut tx, east, id, &customized).await.unwrap();
    let reset = ssm::Setting { value: "Intelligent-Tiering".into(), status: "Default".into(), ..customized.clone() };
    ssm::put_setting(&mut tx, east, id, &reset).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = store.reader().acquire().await.unwrap();
    let got = ssm::setting(&mut conn, east, id).await.unwrap().unwrap();
    assert_eq!((got.value.as_str(), got.status.as_str(), got.modified_ms), ("Intelligent-Tiering", "Default", 5));
    assert!(ssm::setting(&mut conn, west, id).await.unwrap().is_none());
    assert_eq!(ssm::account_created_ms(&mut conn, "111122223333").await.unwrap(), Some(42));
    assert_eq!(ssm::account_created_ms(&mut conn, "999999999999").await.unwrap(), None);
}
