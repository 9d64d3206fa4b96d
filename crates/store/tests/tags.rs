//! The tag tables against a real SQLite file or PostgreSQL database (see `common`).

mod common;
use common::open;

use spcred_store::tags::{EVENTS, SNS};

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[tokio::test]
async fn tags_are_set_replaced_removed_and_cleared_per_resource_and_table() {
    let (_dir, store) = open().await;
    let mut tx = store.begin().await.unwrap();
    let (a, b) = ("arn:aws:sns:us-east-1:123456789012:a", "arn:aws:sns:us-east-1:123456789012:b");
    SNS.put(&mut tx, a, &pairs(&[("team", "x"), ("env", "prod")])).await.unwrap();
    SNS.put(&mut tx, a, &pairs(&[("team", "y")])).await.unwrap();
    SNS.put(&mut tx, b, &pairs(&[("other", "1")])).await.unwrap();
    EVENTS.put(&mut tx, a, &pairs(&[("bus", "z")])).await.unwrap();
    assert_eq!(SNS.list(&mut tx, a).await.unwrap(), pairs(&[("env", "prod"), ("team", "y")]));
    assert_eq!(EVENTS.list(&mut tx, a).await.unwrap(), pairs(&[("bus", "z")]));
    SNS.remove(&mut tx, a, &["env".to_owned(), "absent".to_owned()]).await.unwrap();
    assert_eq!(SNS.list(&mut tx, a).await.unwrap(), pairs(&[("team", "y")]));
    SNS.clear(&mut tx, a).await.unwrap();
    assert!(SNS.list(&mut tx, a).await.unwrap().is_empty());
    assert_eq!(SNS.list(&mut tx, b).await.unwrap(), pairs(&[("other", "1")]));
    assert_eq!(EVENTS.list(&mut tx, a).await.unwrap(), pairs(&[("bus", "z")]));
}
