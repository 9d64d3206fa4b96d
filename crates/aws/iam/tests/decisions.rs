//! Decisions against a real store: who may do what, as IAM decides it.

use aws_core::authz::authorize;
use aws_core::{Authorization, Caller, CallerKind, Check, CommonError, Ctx, Env};
use policy::ResourceMode;
use std::net::IpAddr;
use std::sync::Arc;
use store::iam::{self as db, Owner};

const ACCOUNT: &str = "111122223333";
const NOW_MS: i64 = 1_700_000_000_000;

struct World {
    _dir: tempfile::TempDir,
    env: Env,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::open(&dir.path().join("t.db")).await.unwrap();
    let rng: Arc<dyn crypto::Random> = Arc::new(crypto::SystemRandom);
    let master = crypto::MasterKey::generate(rng.as_ref());
    let env = Env::new(store, Arc::new(store::SystemClock), rng, &master, "us-east-1".into());
    env.wire::<dyn aws_core::authz::Identities>(Arc::new(spcred_iam::IamIdentities));
    let mut tx = env.store.begin().await.unwrap();
    store::access_keys::create_account(&mut tx, ACCOUNT, 0).await.unwrap();
    db::commit(tx).await.unwrap();
    World { _dir: dir, env }
}

fn allow(action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
    )
}

fn deny(action: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"{action}","Resource":"*"}}]}}"#)
}

impl World {
    async fn user(&self, name: &str, inline: &[String]) -> Caller {
        let user = db::User {
            user_id: format!("AIDA{}", name.to_ascii_uppercase()),
            account_id: ACCOUNT.into(),
            user_name: name.into(),
            path: "/".into(),
            created_ms: 0,
        };
        let mut tx = self.env.store.begin().await.unwrap();
        db::insert_user(&mut tx, &user).await.unwrap();
        for (i, doc) in inline.iter().enumerate() {
            db::put_inline(&mut tx, Owner::User, &user.user_id, &format!("p{i}"), doc, 0).await.unwrap();
        }
        db::commit(tx).await.unwrap();
        Caller {
            account_id: ACCOUNT.into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
            user_id: user.user_id,
            kind: CallerKind::User { name: name.into() },
            access_key_id: Some(format!("AKIA{}", name.to_ascii_uppercase())),
            token_issued_ms: None,
        }
    }

    /// A role with one inline policy, and a session of it with optional session policy.
    async fn session(&self, role: &str, inline: &str, session_policy: Option<&str>) -> Caller {
        let role_id = format!("AROA{}", role.to_ascii_uppercase());
        let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/{role}");
        let key = format!("ASIA{}", role.to_ascii_uppercase());
        let mut tx = self.env.store.begin().await.unwrap();
        db::insert_role(
            &mut tx,
            &db::Role {
                role_id: role_id.clone(),
                account_id: ACCOUNT.into(),
                role_name: role.into(),
                path: "/".into(),
                trust_policy: "{}".into(),
                description: None,
                max_session_secs: 3600,
                created_ms: 0,
                last_used_ms: None,
                last_used_region: None,
            },
        )
        .await
        .unwrap();
        db::put_inline(&mut tx, Owner::Role, &role_id, "p", inline, 0).await.unwrap();
        db::insert_session(
            &mut tx,
            &db::Session {
                access_key_id: key.clone(),
                account_id: ACCOUNT.into(),
                secret_sealed: vec![],
                token_mac: vec![],
                kind: "role".into(),
                arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/s"),
                user_id: format!("{role_id}:s"),
                user_name: None,
                role_id: Some(role_id.clone()),
                role_name: Some(role.into()),
                role_arn: Some(role_arn.clone()),
                session_name: Some("s".into()),
                session_policy: session_policy.map(str::to_owned),
                policy_arns: None,
                issued_ms: NOW_MS,
                expires_ms: NOW_MS + 3_600_000,
            },
        )
        .await
        .unwrap();
        db::commit(tx).await.unwrap();
        Caller {
            account_id: ACCOUNT.into(),
            arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/s"),
            user_id: format!("{role_id}:s"),
            kind: CallerKind::AssumedRole { role_name: role.into(), role_arn, session_name: "s".into() },
            access_key_id: Some(key),
            token_issued_ms: Some(NOW_MS),
        }
    }

    async fn decide(&self, caller: &Caller, check: Check) -> Result<(), CommonError> {
        self.decide_from(caller, check, "10.0.0.1", false).await
    }

    async fn decide_from(&self, caller: &Caller, check: Check, ip: &str, secure: bool) -> Result<(), CommonError> {
        let ctx = Ctx {
            env: &self.env,
            request_id: "r",
            caller,
            region: "us-east-1",
            source_ip: ip.parse::<IpAddr>().unwrap(),
            host: "localhost",
            secure,
            protocol: wire::Protocol::Query,
            now_ms: NOW_MS,
        };
        authorize(&ctx, &Authorization::one(check)).await
    }
}

fn root() -> Caller {
    Caller::root(ACCOUNT, None)
}

const QUEUE: &str = "arn:aws:sqs:us-east-1:111122223333:notifications";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn queue_policy(effect: &str, principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Principal":{principal},"Action":"sqs:SendMessage","Resource":"{QUEUE}"}}]}}"#
    )
}

#[tokio::test]
async fn root_may_do_anything_a_resource_policy_does_not_deny() {
    let w = world().await;
    assert!(w.decide(&root(), Check::new("iam:CreateUser", "arn:aws:iam::111122223333:user/x")).await.is_ok());
    let denying = queue_policy("Deny", r#""*""#);
    let err = w
        .decide(&root(), Check::new("sqs:SendMessage", QUEUE).with_resource_policy(denying, ResourceMode::Optional))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        CommonError::AccessDenied(format!(
            "User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: sqs:SendMessage on resource: {QUEUE}"
        ))
    );
}

#[tokio::test]
async fn a_key_policy_without_the_account_statement_locks_root_out() {
    let w = world().await;
    let only_alice = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/alice"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    let check = |doc: &str| Check::new("kms:Decrypt", KEY).with_resource_policy(doc.to_owned(), ResourceMode::Required);
    assert!(w.decide(&root(), check(&only_alice)).await.is_err());
    let with_account = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    assert!(w.decide(&root(), check(&with_account)).await.is_ok());
    // Through the account statement, users need their own permission too; named, they do not.
    let alice = w.user("alice", &[]).await;
    let bob = w.user("bob", &[allow("kms:Decrypt", "*")]).await;
    assert!(w.decide(&alice, check(&with_account)).await.is_err());
    assert!(w.decide(&bob, check(&with_account)).await.is_ok());
    assert!(w.decide(&alice, check(&only_alice)).await.is_ok());
    assert!(w.decide(&bob, check(&only_alice)).await.is_err());
}

#[tokio::test]
async fn users_need_an_allow_and_an_explicit_deny_wins() {
    let w = world().await;
    let check = || Check::new("iam:ListUsers", format!("arn:aws:iam::{ACCOUNT}:user/"));
    let nobody = w.user("nobody", &[]).await;
    assert!(matches!(w.decide(&nobody, check()).await, Err(CommonError::AccessDenied(_))));
    let reader = w.user("reader", &[allow("iam:List*", "*")]).await;
    assert!(w.decide(&reader, check()).await.is_ok());
    // A group's deny beats the user's allow.
    let mut tx = w.env.store.begin().await.unwrap();
    let group = db::Group {
        group_id: "AGPANOLISTING".into(),
        account_id: ACCOUNT.into(),
        group_name: "no-listing".into(),
        path: "/".into(),
        created_ms: 0,
    };
    db::insert_group(&mut tx, &group).await.unwrap();
    db::put_inline(&mut tx, Owner::Group, &group.group_id, "d", &deny("iam:ListUsers"), 0).await.unwrap();
    db::add_member(&mut tx, &group.group_id, &reader.user_id, 0).await.unwrap();
    db::commit(tx).await.unwrap();
    // Cached for a few seconds unless IAM says it changed something.
    assert!(w.decide(&reader, check()).await.is_ok());
    w.env.iam_changed();
    assert!(w.decide(&reader, check()).await.is_err());
}

#[tokio::test]
async fn attached_managed_policies_count_aws_and_customer_ones() {
    let w = world().await;
    let user = w.user("managed", &[]).await;
    let mut tx = w.env.store.begin().await.unwrap();
    db::attach(&mut tx, ACCOUNT, Owner::User, &user.user_id, "arn:aws:iam::aws:policy/IAMReadOnlyAccess", 0)
        .await
        .unwrap();
    db::commit(tx).await.unwrap();
    assert!(w.decide(&user, Check::new("iam:GetRole", "arn:aws:iam::111122223333:role/r")).await.is_ok());
    assert!(w.decide(&user, Check::new("iam:DeleteRole", "arn:aws:iam::111122223333:role/r")).await.is_err());
}

#[tokio::test]
async fn role_sessions_are_limited_by_their_session_policies() {
    let w = world().await;
    let full = w.session("full", &allow("sqs:*", "*"), None).await;
    let narrow = w.session("narrow", &allow("sqs:*", "*"), Some(&allow("sqs:SendMessage", "*"))).await;
    assert!(w.decide(&full, Check::new("sqs:DeleteQueue", QUEUE)).await.is_ok());
    assert!(w.decide(&narrow, Check::new("sqs:SendMessage", QUEUE)).await.is_ok());
    assert!(w.decide(&narrow, Check::new("sqs:DeleteQueue", QUEUE)).await.is_err());
}

#[tokio::test]
async fn service_principals_and_other_accounts_are_decided_by_the_resource_policy_alone() {
    let w = world().await;
    let events = Caller::service("events.amazonaws.com", ACCOUNT);
    let check = |doc: String| Check::new("sqs:SendMessage", QUEUE).with_resource_policy(doc, ResourceMode::Optional);
    assert!(w.decide(&events, Check::new("sqs:SendMessage", QUEUE)).await.is_err());
    assert!(w.decide(&events, check(queue_policy("Allow", r#"{"Service":"events.amazonaws.com"}"#))).await.is_ok());
    assert!(w.decide(&events, check(queue_policy("Allow", r#"{"Service":"sns.amazonaws.com"}"#))).await.is_err());
    // Amazon's SP-API account sending notifications to a seller's queue.
    let amazon = Caller::root("437568002678", None);
    let grant = queue_policy("Allow", r#"{"AWS":"arn:aws:iam::437568002678:root"}"#);
    assert!(w.decide(&amazon, check(grant)).await.is_ok());
    assert!(w.decide(&amazon, check(queue_policy("Allow", &format!(r#"{{"AWS":"{ACCOUNT}"}}"#)))).await.is_err());
    assert!(w.decide(&amazon, Check::new("sqs:SendMessage", QUEUE)).await.is_err());
}

#[tokio::test]
async fn global_condition_keys_are_filled() {
    let w = world().await;
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*",
        "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Bool":{"aws:SecureTransport":"true"},
        "StringEquals":{"aws:RequestedRegion":"us-east-1","aws:username":"${aws:username}","aws:PrincipalType":"User"}}}]}"#;
    let user = w.user("cond", &[doc.to_owned()]).await;
    let check = || Check::new("ssm:GetParameter", "arn:aws:ssm:us-east-1:111122223333:parameter/p");
    assert!(w.decide_from(&user, check(), "10.1.2.3", true).await.is_ok());
    assert!(w.decide_from(&user, check(), "192.168.0.1", true).await.is_err());
    assert!(w.decide_from(&user, check(), "10.1.2.3", false).await.is_err());
    // The check's own keys take part too.
    let tagged = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",
        "Condition":{"StringEquals":{"kms:EncryptionContext:app":"sp-api"}}}]}"#;
    let kms_user = w.user("kmsuser", &[tagged.to_owned()]).await;
    let ok = Check::new("kms:Decrypt", KEY).with_condition("kms:EncryptionContext:app", vec!["sp-api".into()]);
    let other = Check::new("kms:Decrypt", KEY).with_condition("kms:EncryptionContext:app", vec!["other".into()]);
    assert!(w.decide(&kms_user, ok).await.is_ok());
    assert!(w.decide(&kms_user, other).await.is_err());
}

#[tokio::test]
async fn get_caller_identity_is_never_denied_and_session_tokens_cannot_call_iam() {
    let w = world().await;
    let user = w.user("denied", &[deny("*")]).await;
    assert!(w.decide(&user, Check::new("sts:GetCallerIdentity", "*")).await.is_ok());
    let mut token_user = w.user("tokened", &[allow("*", "*")]).await;
    token_user.access_key_id = Some("ASIATOKENED".into());
    token_user.token_issued_ms = Some(NOW_MS);
    assert_eq!(w.decide(&token_user, Check::new("iam:ListUsers", "*")).await, Err(CommonError::InvalidClientTokenId));
    assert!(w.decide(&token_user, Check::new("sqs:ListQueues", "*")).await.is_ok());
}

#[tokio::test]
async fn unsigned_callers_get_only_what_a_resource_policy_gives_everyone() {
    let w = world().await;
    let anonymous = Caller::anonymous();
    let check = |doc: String| Check::new("sqs:SendMessage", QUEUE).with_resource_policy(doc, ResourceMode::Optional);
    assert!(w.decide(&anonymous, Check::new("sqs:SendMessage", QUEUE)).await.is_err());
    assert!(w.decide(&anonymous, check(queue_policy("Allow", &format!(r#"{{"AWS":"{ACCOUNT}"}}"#)))).await.is_err());
    assert!(w.decide(&anonymous, check(queue_policy("Allow", r#""*""#))).await.is_ok());
}

#[tokio::test]
async fn eventbridge_publishes_only_for_the_rule_a_topic_names() {
    let w = world().await;
    let topic = format!("arn:aws:sns:us-east-1:{ACCOUNT}:lwa-credential-rotation");
    let rule = format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/My-ERP-Rotate");
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"events.amazonaws.com"}},"Action":"sns:Publish","Resource":"{topic}","Condition":{{"ArnEquals":{{"aws:SourceArn":"{rule}"}}}}}}]}}"#
    );
    let events = Caller::service("events.amazonaws.com", ACCOUNT);
    let publish = |source: &str| {
        Check::new("SNS:Publish", &topic)
            .with_condition("aws:SourceArn", vec![source.to_owned()])
            .with_resource_policy(policy.clone(), ResourceMode::Optional)
    };
    assert!(w.decide(&events, publish(&rule)).await.is_ok());
    assert!(w.decide(&events, publish(&format!("{rule}-other"))).await.is_err());
}
