//! IAM and STS state against a real SQLite file or PostgreSQL database (see `common`).

mod common;

use spcred_store::iam::{self as db, Owner};
use spcred_store::{SCHEMA_VERSION, Store, access_keys};

const ACCOUNT: &str = "111122223333";

async fn open() -> (common::Fresh, Store) {
    let (dir, store) = common::open().await;
    let mut tx = store.begin().await.unwrap();
    access_keys::create_account(&mut tx, ACCOUNT, 0).await.unwrap();
    db::commit(tx).await.unwrap();
    (dir, store)
}

fn user(id: &str, name: &str, path: &str) -> db::User {
    db::User {
        user_id: id.into(),
        account_id: ACCOUNT.into(),
        user_name: name.into(),
        path: path.into(),
        created_ms: 1,
    }
}

fn key(id: &str, user: Option<&str>, created_ms: i64) -> access_keys::AccessKey {
    access_keys::AccessKey {
        access_key_id: id.into(),
        account_id: ACCOUNT.into(),
        user_name: user.map(str::to_owned),
        secret_sealed: vec![1, 2, 3],
        status: "Active".into(),
        created_ms,
    }
}

#[tokio::test]
async fn the_iam_migration_is_applied() {
    let (_dir, store) = open().await;
    let mut conn = db::reader(&store).await.unwrap();
    let name: String =
        sqlx::query_scalar("SELECT name FROM schema_migrations WHERE version = 2").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(name, "iam");
    let newest: i64 =
        sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(newest, SCHEMA_VERSION);
}

#[tokio::test]
async fn names_are_unique_and_found_in_any_letter_case() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    db::insert_user(&mut tx, &user("AIDA1", "Bob", "/")).await.unwrap();
    tx.commit().await.unwrap();
    // A failed statement ends a PostgreSQL transaction: the duplicate gets one of its own.
    let mut dup = store.begin().await.unwrap();
    assert!(db::insert_user(&mut dup, &user("AIDA2", "BOB", "/")).await.is_err());
    drop(dup);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(db::user_by_name(&mut tx, ACCOUNT, "bOb").await.unwrap().unwrap().user_name, "Bob");
    assert!(db::user_by_name(&mut tx, "444455556666", "Bob").await.unwrap().is_none());
    db::insert_user(&mut tx, &user("AIDA3", "alice", "/team/")).await.unwrap();
    db::insert_user(&mut tx, &user("AIDA4", "Carol", "/team/sub/")).await.unwrap();
    let names = |users: Vec<db::User>| users.into_iter().map(|u| u.user_name).collect::<Vec<_>>();
    assert_eq!(names(db::list_users(&mut tx, ACCOUNT, "/").await.unwrap()), ["alice", "Bob", "Carol"]);
    assert_eq!(names(db::list_users(&mut tx, ACCOUNT, "/team/").await.unwrap()), ["alice", "Carol"]);
    assert_eq!(names(db::list_users(&mut tx, ACCOUNT, "/team/s").await.unwrap()), ["Carol"]);
    assert_eq!(db::count_users(&mut tx, ACCOUNT).await.unwrap(), 3);
}

#[tokio::test]
async fn a_renamed_user_keeps_its_keys_and_loses_nothing_else() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    let bob = user("AIDA1", "Bob", "/");
    db::insert_user(&mut tx, &bob).await.unwrap();
    access_keys::insert(&mut tx, &key("AKIA2", Some("Bob"), 20)).await.unwrap();
    access_keys::insert(&mut tx, &key("AKIA1", Some("Bob"), 10)).await.unwrap();
    access_keys::insert(&mut tx, &key("AKIAROOT", None, 5)).await.unwrap();
    db::update_user(&mut tx, &bob, "Robert", "/renamed/").await.unwrap();
    assert!(db::keys_of(&mut tx, ACCOUNT, Some("Bob")).await.unwrap().is_empty());
    let keys = db::keys_of(&mut tx, ACCOUNT, Some("Robert")).await.unwrap();
    assert_eq!(keys.iter().map(|k| k.access_key_id.as_str()).collect::<Vec<_>>(), ["AKIA1", "AKIA2"]);
    let root = db::keys_of(&mut tx, ACCOUNT, None).await.unwrap();
    assert_eq!(root.len(), 1);
    assert_eq!(db::user_by_id(&mut tx, "AIDA1").await.unwrap().unwrap().path, "/renamed/");
    db::set_key_status(&mut tx, "AKIA1", "Inactive").await.unwrap();
    assert_eq!(db::key_metadata(&mut tx, "AKIA1").await.unwrap().unwrap().status, "Inactive");
    db::delete_key(&mut tx, "AKIA1").await.unwrap();
    assert!(db::key_metadata(&mut tx, "AKIA1").await.unwrap().is_none());
    assert_eq!(db::account_keys(&mut tx, ACCOUNT).await.unwrap().len(), 2);
}

#[tokio::test]
async fn tags_keep_their_first_case_and_place() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    let tag = |k: &str, v: &str| db::Tag { tag_key: k.into(), tag_value: v.into() };
    db::put_tags(&mut tx, Owner::User, "AIDA1", &[tag("team", "a"), tag("env", "prod")]).await.unwrap();
    db::put_tags(&mut tx, Owner::User, "AIDA1", &[tag("TEAM", "b"), tag("cost", "1")]).await.unwrap();
    db::put_tags(&mut tx, Owner::Role, "AIDA1", &[tag("other", "kind")]).await.unwrap();
    let got = db::tags(&mut tx, Owner::User, "AIDA1").await.unwrap();
    assert_eq!(got, vec![tag("team", "b"), tag("env", "prod"), tag("cost", "1")]);
    db::remove_tags(&mut tx, Owner::User, "AIDA1", &["ENV".into(), "absent".into()]).await.unwrap();
    assert_eq!(db::tags(&mut tx, Owner::User, "AIDA1").await.unwrap(), vec![tag("team", "b"), tag("cost", "1")]);
    assert_eq!(db::tags(&mut tx, Owner::Role, "AIDA1").await.unwrap(), vec![tag("other", "kind")]);
}

#[tokio::test]
async fn policy_versions_are_numbered_once_and_one_is_default() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    let policy = db::ManagedPolicy {
        policy_id: "ANPA1".into(),
        account_id: ACCOUNT.into(),
        policy_name: "SellingPartnerAPI".into(),
        path: "/".into(),
        arn: format!("arn:aws:iam::{ACCOUNT}:policy/SellingPartnerAPI"),
        description: None,
        default_version: "v1".into(),
        next_version: 2,
        created_ms: 1,
        updated_ms: 1,
    };
    db::insert_policy(&mut tx, &policy, "doc1").await.unwrap();
    assert!(db::policy_by_name(&mut tx, ACCOUNT, "sellingpartnerapi").await.unwrap().is_some());
    let v2 = db::add_policy_version(&mut tx, &policy, "doc2", true, 5).await.unwrap();
    assert_eq!(v2, "v2");
    assert_eq!(db::default_document(&mut tx, &policy.arn).await.unwrap().as_deref(), Some("doc2"));
    db::delete_policy_version(&mut tx, "ANPA1", "v1").await.unwrap();
    let current = db::policy_by_arn(&mut tx, &policy.arn).await.unwrap().unwrap();
    assert_eq!((current.default_version.as_str(), current.updated_ms), ("v2", 5));
    // v1 is gone but its number is not reused.
    assert_eq!(db::add_policy_version(&mut tx, &current, "doc3", false, 6).await.unwrap(), "v3");
    let versions = db::policy_versions(&mut tx, "ANPA1").await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version_id.as_str()).collect::<Vec<_>>(), ["v2", "v3"]);
    db::set_default_version(&mut tx, "ANPA1", "v3", 7).await.unwrap();
    assert_eq!(db::default_document(&mut tx, &policy.arn).await.unwrap().as_deref(), Some("doc3"));
    db::delete_policy(&mut tx, "ANPA1").await.unwrap();
    assert!(db::policy_versions(&mut tx, "ANPA1").await.unwrap().is_empty());
    assert_eq!(db::count_policies(&mut tx, ACCOUNT).await.unwrap(), 0);
}

#[tokio::test]
async fn attachments_inline_policies_and_memberships() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    let arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    db::attach(&mut tx, ACCOUNT, Owner::User, "AIDA1", arn, 1).await.unwrap();
    db::attach(&mut tx, ACCOUNT, Owner::User, "AIDA1", arn, 2).await.unwrap();
    db::attach(&mut tx, ACCOUNT, Owner::Role, "AROA1", arn, 3).await.unwrap();
    assert_eq!(db::attached(&mut tx, Owner::User, "AIDA1").await.unwrap(), [arn]);
    assert_eq!(db::attachment_counts(&mut tx, ACCOUNT).await.unwrap(), [(arn.to_owned(), 2)]);
    let mut owners = db::attachments_of(&mut tx, ACCOUNT, arn).await.unwrap();
    owners.sort_by_key(|(o, _)| *o == Owner::Role);
    assert_eq!(owners, [(Owner::User, "AIDA1".to_owned()), (Owner::Role, "AROA1".to_owned())]);
    assert!(db::detach(&mut tx, Owner::User, "AIDA1", arn).await.unwrap());
    assert!(!db::detach(&mut tx, Owner::User, "AIDA1", arn).await.unwrap());

    db::put_inline(&mut tx, Owner::Group, "AGPA1", "p", "v1", 1).await.unwrap();
    db::put_inline(&mut tx, Owner::Group, "AGPA1", "p", "v2", 2).await.unwrap();
    let inline = db::inline_policies(&mut tx, Owner::Group, "AGPA1").await.unwrap();
    assert_eq!(inline, [db::InlinePolicy { policy_name: "p".into(), document: "v2".into() }]);
    assert!(db::delete_inline(&mut tx, Owner::Group, "AGPA1", "p").await.unwrap());
    assert!(!db::delete_inline(&mut tx, Owner::Group, "AGPA1", "p").await.unwrap());

    db::insert_user(&mut tx, &user("AIDA1", "Bob", "/")).await.unwrap();
    let group = db::Group {
        group_id: "AGPA1".into(),
        account_id: ACCOUNT.into(),
        group_name: "readers".into(),
        path: "/".into(),
        created_ms: 1,
    };
    db::insert_group(&mut tx, &group).await.unwrap();
    db::add_member(&mut tx, "AGPA1", "AIDA1", 1).await.unwrap();
    db::add_member(&mut tx, "AGPA1", "AIDA1", 2).await.unwrap();
    assert_eq!(db::group_members(&mut tx, "AGPA1").await.unwrap().len(), 1);
    assert_eq!(db::groups_for_user(&mut tx, "AIDA1").await.unwrap(), std::slice::from_ref(&group));
    assert_eq!(db::group_by_id(&mut tx, "AGPA1").await.unwrap(), Some(group));
    db::delete_group(&mut tx, "AGPA1").await.unwrap();
    assert!(db::groups_for_user(&mut tx, "AIDA1").await.unwrap().is_empty());
}

#[tokio::test]
async fn sessions_and_credential_reports() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    let session = |id: &str, expires_ms: i64| db::Session {
        access_key_id: id.into(),
        account_id: ACCOUNT.into(),
        secret_sealed: vec![9],
        token_mac: vec![7; 32],
        kind: "role".into(),
        arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/R/s"),
        user_id: "AROA1:s".into(),
        user_name: None,
        role_id: Some("AROA1".into()),
        role_name: Some("R".into()),
        role_arn: Some(format!("arn:aws:iam::{ACCOUNT}:role/R")),
        session_name: Some("s".into()),
        session_policy: None,
        policy_arns: Some("[\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]".into()),
        issued_ms: 0,
        expires_ms,
    };
    db::insert_session(&mut tx, &session("ASIAOLD", 100)).await.unwrap();
    db::insert_session(&mut tx, &session("ASIANEW", 10_000)).await.unwrap();
    assert_eq!(db::session(&mut tx, "ASIANEW").await.unwrap(), Some(session("ASIANEW", 10_000)));
    assert_eq!(db::delete_sessions_expired_before(&mut tx, 5_000).await.unwrap(), 1);
    assert!(db::session(&mut tx, "ASIAOLD").await.unwrap().is_none());

    assert!(db::credential_report(&mut tx, ACCOUNT).await.unwrap().is_none());
    db::put_credential_report(&mut tx, ACCOUNT, 1, b"a,b\n").await.unwrap();
    db::put_credential_report(&mut tx, ACCOUNT, 2, b"c,d\n").await.unwrap();
    assert_eq!(db::credential_report(&mut tx, ACCOUNT).await.unwrap(), Some((2, b"c,d\n".to_vec())));
}
