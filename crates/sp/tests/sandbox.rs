//! The sandbox end to end, in-process: Developer Central, LWA, consent, the SP-API operations,
//! rotation and its notifications, restricted data tokens, usage plans, legacy IAM mode.

mod common;

use axum::http::StatusCode;
use common::{Env, Gate};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const DTC: &str = "Direct-to-Consumer Shipping";
const ORDERS: &str = "Inventory and Order Tracking";
const MP: &str = "/sellers/v1/marketplaceParticipations";

#[tokio::test]
async fn self_authorization_then_an_hour_of_access() {
    let env = Env::new(None).await;
    let (app, client, secret, seller, refresh, access) = env.authorized(&[ORDERS]).await;
    assert!(access.starts_with("Atza|"));

    let r = env.call("GET", MP, &access, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = &r.json()["payload"][0];
    assert_eq!(p["marketplace"]["id"], "ATVPDKIKX0DER");
    assert_eq!(p["participation"]["isParticipating"], true);
    assert_eq!(r.header("x-amzn-RateLimit-Limit"), Some("0.016"));
    assert_eq!(r.header("x-amzn-RequestId").map(str::len), Some(36));

    env.advance_days(1.0 / 24.0);
    let r = env.call("GET", MP, &access, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.error(),
        (
            "Unauthorized".into(),
            "Access to requested resource is denied.".into(),
            "The access token you provided has expired.".into()
        )
    );
    let again = env.access_token(&client, &secret, &refresh).await;
    assert_eq!(env.call("GET", MP, &again, None).await.status, StatusCode::OK);

    // Revocation ends the refresh token and every access token made from it.
    let r =
        env.admin("POST", "/authorizations/revoke", json!({"applicationId": app, "sellingPartnerId": seller})).await;
    assert_eq!(r.json()["revoked"], 1);
    let r = env.call("GET", MP, &again, None).await;
    assert!(r.error().2.contains("revoked"), "{}", r.text);
    let r = env
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client),
            ("client_secret", &secret),
        ])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "invalid_grant");
    assert!(r.json()["error_description"].as_str().unwrap().contains("User may have revoked"));
}

type TokenCase<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str, &'a str);

#[tokio::test]
#[allow(clippy::too_many_lines)]
async fn the_token_endpoint_speaks_lwa() {
    use base64::Engine as _;
    let env = Env::new(None).await;
    let (_app, client, secret, _seller, refresh, _access) = env.authorized(&[ORDERS]).await;
    let ok = env
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client),
            ("client_secret", &secret),
        ])
        .await;
    assert_eq!(ok.header("cache-control"), Some("no-store"));
    let body = ok.json();
    assert_eq!((body["token_type"].as_str(), body["expires_in"].as_i64()), (Some("bearer"), Some(3600)));
    assert_eq!(body["refresh_token"].as_str(), Some(refresh.as_str()));

    let cases: Vec<TokenCase> = vec![
        (
            vec![("refresh_token", &refresh)],
            400,
            "invalid_request",
            "The request is missing a required parameter : grant_type",
        ),
        (
            vec![("grant_type", "password")],
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server",
        ),
        (
            vec![("grant_type", "refresh_token"), ("client_id", &client), ("client_secret", &secret)],
            400,
            "invalid_request",
            "The request is missing a required parameter : refresh_token",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", &client),
                ("client_secret", "amzn1.oa2-cs.v1.wrong"),
            ],
            401,
            "invalid_client",
            "Client authentication failed",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", "amzn1.application-oa2-client.nope"),
                ("client_secret", &secret),
            ],
            401,
            "invalid_client",
            "Client authentication failed",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", "Atzr|forged"),
                ("client_id", &client),
                ("client_secret", &secret),
            ],
            400,
            "invalid_grant",
            "The request has an invalid grant parameter : refresh_token",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "profile"),
                ("client_id", &client),
                ("client_secret", &secret),
            ],
            400,
            "invalid_scope",
            "An unknown scope was requested",
        ),
    ];
    for (form, status, error, description) in cases {
        let r = env.token(&form).await;
        assert_eq!(r.status.as_u16(), status, "{form:?}: {}", r.text);
        assert_eq!(r.json()["error"], error, "{form:?}");
        assert_eq!(r.json()["error_description"], description, "{form:?}");
    }

    // JSON bodies and HTTP Basic client authentication work too.
    let json_body = json!({"grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications", "client_id": client, "client_secret": secret});
    let r = env
        .send("POST", "/auth/o2/token", &[("content-type", "application/json")], json_body.to_string().into_bytes())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json()["access_token"].as_str().unwrap().starts_with("Atc|"));
    assert_eq!(r.json()["scope"], "sellingpartnerapi::notifications");
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{client}:{secret}")));
    let form = format!(
        "grant_type=refresh_token&refresh_token={}",
        form_urlencoded::byte_serialize(refresh.as_bytes()).collect::<String>()
    );
    let r = env
        .send(
            "POST",
            "/auth/o2/token",
            &[("content-type", "application/x-www-form-urlencoded"), ("authorization", &basic)],
            form.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// Follows the website workflow through its redirects; returns the code and the final query.
async fn consent(env: &Env, app: &str, state: &str) -> HashMap<String, String> {
    let page = env
        .send("GET", &format!("/apps/authorize/consent?application_id={app}&state={state}&version=beta"), &[], vec![])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Demo Store"));
    let seller =
        page.text.split("name=\"selling_partner_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let form = format!("application_id={app}&state={state}&version=beta&selling_partner_id={seller}&decision=confirm");
    let confirmed = env
        .send(
            "POST",
            "/apps/authorize/consent",
            &[("content-type", "application/x-www-form-urlencoded")],
            form.into_bytes(),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::FOUND, "{}", confirmed.text);
    let login = confirmed.header("location").unwrap().to_owned();
    assert!(login.starts_with("https://app.example/login?"), "{login}");
    let q: HashMap<String, String> =
        form_urlencoded::parse(login.split_once('?').unwrap().1.as_bytes()).into_owned().collect();
    assert_eq!(q["selling_partner_id"], seller);
    let callback = q["amazon_callback_uri"].strip_prefix("http://sandbox.test").unwrap().to_owned();
    let back = format!(
        "{callback}?amazon_state={}&state={state}&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback",
        q["amazon_state"]
    );
    let done = env.send("GET", &back, &[], vec![]).await;
    assert_eq!(done.status, StatusCode::FOUND, "{}", done.text);
    let location = done.header("location").unwrap().to_owned();
    assert!(location.starts_with("https://app.example/callback?"), "{location}");
    let q: HashMap<String, String> =
        form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes()).into_owned().collect();
    assert_eq!(q["state"], state);
    assert_eq!(q["selling_partner_id"], seller);
    // The amazon_state was good for one trip.
    assert_eq!(env.send("GET", &back, &[], vec![]).await.status, StatusCode::BAD_REQUEST);
    q
}

#[tokio::test]
async fn the_website_workflow_yields_a_single_use_five_minute_code() {
    let env = Env::new(None).await;
    env.developer().await;
    let (app, client, secret) = env.app(&[ORDERS], None).await;
    env.seller().await;

    let r = env.send("GET", &format!("/apps/authorize/consent?application_id={app}&state=s1"), &[], vec![]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("MD1000"), "{}", r.text);
    let r = env
        .send("GET", &format!("/apps/authorize/consent?application_id={app}&state=s1&version=beta&redirect_uri=https://evil.example/cb"), &[], vec![])
        .await;
    assert!(r.text.contains("MD5101"), "{}", r.text);

    let q = consent(&env, &app, "s1").await;
    let code = q["spapi_oauth_code"].clone();
    let exchange = |code: String| {
        let (client, secret) = (client.clone(), secret.clone());
        let env = &env;
        async move {
            env.token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://app.example/callback"),
                ("client_id", &client),
                ("client_secret", &secret),
            ])
            .await
        }
    };
    let r = exchange(code.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let refresh = r.json()["refresh_token"].as_str().unwrap().to_owned();
    assert!(refresh.starts_with("Atzr|"));
    let access = env.access_token(&client, &secret, &refresh).await;
    assert_eq!(env.call("GET", MP, &access, None).await.status, StatusCode::OK);

    let r = exchange(code).await;
    assert_eq!((r.status, r.json()["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert_eq!(r.json()["error_description"], "The request has an invalid grant parameter : code");

    let late = consent(&env, &app, "s2").await["spapi_oauth_code"].clone();
    env.advance_days(6.0 / 1440.0);
    let r = exchange(late).await;
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.text);

    let wrong_uri = consent(&env, &app, "s3").await["spapi_oauth_code"].clone();
    let r = env
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &wrong_uri),
            ("redirect_uri", "https://app.example/other"),
            ("client_id", &client),
            ("client_secret", &secret),
        ])
        .await;
    assert_eq!(r.json()["error_description"], "The request has an invalid grant parameter : redirect_uri");
}

fn new_secret(notice: &Value) -> (String, String, String) {
    let p = &notice["payload"]["applicationOAuthClientNewSecret"];
    (
        p["newClientSecret"].as_str().unwrap().to_owned(),
        p["newClientSecretExpiryTime"].as_str().unwrap().to_owned(),
        p["oldClientSecretExpiryTime"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn rotation_by_api_notifies_and_overlaps_seven_days() {
    let env = Env::new(None).await;
    let (app, client, secret, _seller, refresh, _access) = env.authorized(&[ORDERS]).await;
    let rotation = env.grantless(&client, &secret, "sellingpartnerapi::client_credential:rotation").await;

    let r = env.call("POST", "/applications/2023-11-30/clientSecret", &rotation, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.error().1,
        "Application is not enrolled for rotation notification. Please update application notification preference in Developer console."
    );
    let queue = "arn:aws:sqs:us-east-1:123456789012:new-secret";
    let r = env.admin("PUT", &format!("/apps/{app}/notifications"), json!({"newSecretQueueArn": queue})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // The 1-per-minute plan has a bucket of one; the failed call above took it.
    env.advance_days(1.0 / 1440.0);
    let r = env.call("POST", "/applications/2023-11-30/clientSecret", &rotation, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(r.header("x-amzn-RateLimit-Limit"), Some("0.0167"));
    let r = env.call("POST", "/applications/2023-11-30/clientSecret", &rotation, None).await;
    assert_eq!((r.status, r.error().0.as_str()), (StatusCode::TOO_MANY_REQUESTS, "QuotaExceeded"));

    env.run_jobs().await;
    let sent = env.take_sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (to, notice) = &sent[0];
    assert_eq!(to, queue);
    assert_eq!(notice["notificationType"], "APPLICATION_OAUTH_CLIENT_NEW_SECRET");
    assert_eq!(notice["notificationVersion"], "1.0");
    assert_eq!(notice["payloadVersion"], "2023-11-30");
    assert_eq!(notice["notificationMetadata"]["applicationId"], app.as_str());
    assert_eq!(notice["payload"]["applicationOAuthClientNewSecret"]["clientId"], client.as_str());
    let (fresh, _new_expiry, _old_expiry) = new_secret(notice);
    assert!(fresh.starts_with("amzn1.oa2-cs.v1."));
    assert_ne!(fresh, secret);

    // The new secret works at once; the old one for 7 days.
    env.access_token(&client, &fresh, &refresh).await;
    env.advance_days(6.0);
    env.access_token(&client, &secret, &refresh).await;
    env.advance_days(2.0);
    let r = env
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client),
            ("client_secret", &secret),
        ])
        .await;
    assert_eq!((r.status, r.json()["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    env.access_token(&client, &fresh, &refresh).await;

    // Developer Central shows ids and dates, never secrets.
    let view = env.admin("GET", &format!("/apps/{app}"), Value::Null).await;
    assert!(!view.text.contains(&fresh) && !view.text.contains(&secret));
    let secrets = view.json()["lwaCredentials"]["clientSecrets"].as_array().unwrap().clone();
    assert_eq!(secrets.iter().map(|s| s["status"].as_str().unwrap()).collect::<Vec<_>>(), vec!["Current", "Expired"]);
}

#[tokio::test]
async fn expiry_notices_go_out_90_30_7_and_1_days_ahead() {
    let env = Env::new(None).await;
    env.developer().await;
    let (app, client, _secret) = env.app(&[ORDERS], None).await;
    let queue = "arn:aws:sqs:us-east-1:123456789012:expiry";
    env.admin("PUT", &format!("/apps/{app}/notifications"), json!({"expiryQueueArn": queue})).await;

    let mut seen = Vec::new();
    for day in [89.0, 90.5, 149.0, 150.5, 172.5, 173.5, 178.5, 179.5, 181.0] {
        let now_day: f64 = seen.last().map_or(0.0, |(d, _): &(f64, usize)| *d);
        env.advance_days(day - now_day);
        env.run_jobs().await;
        seen.push((day, env.take_sent().len()));
    }
    assert_eq!(
        seen.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        vec![0, 1, 0, 1, 0, 1, 0, 1, 0],
        "notices by day: {seen:?}"
    );

    // A fresh app: its first notice after a rotation is the new secret's, not the old one's.
    let (app2, _c, _s) = env.app(&[ORDERS], None).await;
    env.admin("PUT", &format!("/apps/{app2}/notifications"), json!({"expiryQueueArn": queue})).await;
    env.advance_days(10.0);
    env.admin("POST", &format!("/apps/{app2}/rotate"), Value::Null).await;
    env.advance_days(81.0);
    env.run_jobs().await;
    assert!(env.take_sent().is_empty(), "the rotated-away secret's 90-day notice must not go out");
    env.advance_days(10.0);
    env.run_jobs().await;
    let sent = env.take_sent();
    assert_eq!(sent.len(), 1);
    let p = &sent[0].1["payload"]["applicationOAuthClientSecretExpiry"];
    assert_eq!(p["clientSecretExpiryReason"], "PERIODIC_ROTATION");
    assert!(p["clientSecretExpiryTime"].as_str().unwrap().ends_with('Z'));
    let _ = client;
}

#[tokio::test]
async fn a_queue_that_refuses_amazon_gets_nothing_and_the_app_says_why() {
    let env = Env::new(None).await;
    env.developer().await;
    let (app, _client, _secret) = env.app(&[ORDERS], None).await;
    env.admin(
        "PUT",
        &format!("/apps/{app}/notifications"),
        json!({"newSecretQueueArn": "arn:aws:sqs:us-east-1:123456789012:denied"}),
    )
    .await;
    let r = env.admin("POST", &format!("/apps/{app}/rotate"), Value::Null).await;
    assert!(r.json()["clientSecret"].as_str().unwrap().starts_with("amzn1.oa2-cs.v1."));
    env.run_jobs().await;
    assert!(env.take_sent().is_empty());
    let view = env.admin("GET", &format!("/apps/{app}"), Value::Null).await.json();
    let failure = &view["notifications"]["lastFailure"];
    assert_eq!(failure["notificationType"], "APPLICATION_OAUTH_CLIENT_NEW_SECRET");
    assert!(failure["error"].as_str().unwrap().contains("437568002678"), "{failure}");
}

#[tokio::test]
async fn the_address_needs_a_restricted_data_token_for_that_path() {
    let env = Env::new(None).await;
    let (_app, _client, _secret, seller, _refresh, access) = env.authorized(&[ORDERS, DTC]).await;
    let orders = env.order_ids(&seller).await;
    let (one, other) = (&orders[0], &orders[1]);
    let address = format!("/orders/v0/orders/{one}/address");

    let r = env.call("GET", &address, &access, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.error().2.contains("restricted data token"), "{}", r.text);

    let r = env
        .call(
            "POST",
            "/tokens/2021-03-01/restrictedDataToken",
            &access,
            Some(json!({"restrictedResources": [{"method": "GET", "path": address}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["expiresIn"], 3600);
    let rdt = r.json()["restrictedDataToken"].as_str().unwrap().to_owned();
    assert!(rdt.starts_with("Atz.sprdt|"));

    let r = env.call("GET", &address, &rdt, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json()["payload"]["ShippingAddress"]["Name"].is_string());
    let r = env.call("GET", &format!("/orders/v0/orders/{other}/address"), &rdt, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.error().2.contains("does not cover"));

    // Data elements on getOrders: the address in full only with shippingAddress.
    let list = "/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=2000-01-01T00:00:00Z";
    let plain = env.call("GET", list, &access, None).await.json();
    assert!(plain["payload"]["Orders"][0]["ShippingAddress"].get("Name").is_none());
    let r = env
        .call(
            "POST",
            "/tokens/2021-03-01/restrictedDataToken",
            &access,
            Some(json!({"restrictedResources": [{"method": "GET", "path": "/orders/v0/orders", "dataElements": ["shippingAddress"]}]})),
        )
        .await;
    let rdt = r.json()["restrictedDataToken"].as_str().unwrap().to_owned();
    let full = env.call("GET", list, &rdt, None).await.json();
    assert!(full["payload"]["Orders"][0]["ShippingAddress"]["Name"].is_string());
    assert_eq!(
        full["payload"]["Orders"].as_array().unwrap().len(),
        plain["payload"]["Orders"].as_array().unwrap().len()
    );
}

#[tokio::test]
async fn an_app_without_the_restricted_role_gets_no_rdt() {
    let env = Env::new(None).await;
    let (_app, _client, _secret, _seller, _refresh, access) = env.authorized(&[ORDERS]).await;
    let r = env
        .call(
            "POST",
            "/tokens/2021-03-01/restrictedDataToken",
            &access,
            Some(json!({"restrictedResources": [{"method": "GET", "path": "/orders/v0/orders", "dataElements": ["buyerInfo", "shippingAddress"]}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.error(),
        (
            "InvalidInput".into(),
            "Application does not have access to one or more requested data elements: [buyerInfo, shippingAddress]"
                .into(),
            String::new()
        )
    );
}

#[tokio::test]
async fn orders_page_with_next_tokens() {
    let env = Env::new(None).await;
    let (_app, _client, _secret, seller, _refresh, access) = env.authorized(&[ORDERS]).await;
    let mut seen = Vec::new();
    let mut uri =
        "/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=2000-01-01&MaxResultsPerPage=5".to_owned();
    for _ in 0..10 {
        let r = env.call("GET", &uri, &access, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let p = r.json()["payload"].clone();
        seen.extend(p["Orders"].as_array().unwrap().iter().map(|o| o["AmazonOrderId"].as_str().unwrap().to_owned()));
        match p["NextToken"].as_str() {
            Some(t) => {
                uri = format!(
                    "/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&NextToken={}",
                    form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()
                );
            }
            None => break,
        }
    }
    let mut all = env.order_ids(&seller).await;
    all.sort();
    let mut got = seen.clone();
    got.sort();
    assert_eq!(got, all, "every order once");

    let r = env.call("GET", "/orders/v0/orders?CreatedAfter=2000-01-01", &access, None).await;
    assert_eq!((r.status, r.error().0.as_str()), (StatusCode::BAD_REQUEST, "InvalidInput"));
    let r = env.call("GET", &format!("/orders/v0/orders/{}", all[0]), &access, None).await;
    assert_eq!(r.json()["payload"]["AmazonOrderId"], all[0].as_str());
    let r = env.call("GET", &format!("/orders/v0/orders/{}/orderItems", all[0]), &access, None).await;
    assert!(!r.json()["payload"]["OrderItems"].as_array().unwrap().is_empty());
    let r = env.call("GET", "/orders/v0/orders/000-0000000-0000000", &access, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn usage_plans_answer_quota_exceeded() {
    let env = Env::new(None).await;
    let (_app, _client, _secret, _seller, _refresh, access) = env.authorized(&[ORDERS]).await;
    for _ in 0..15 {
        assert_eq!(env.call("GET", MP, &access, None).await.status, StatusCode::OK);
    }
    let r = env.call("GET", MP, &access, None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.error(),
        ("QuotaExceeded".into(), "You exceeded your quota for the requested resource.".into(), String::new())
    );
    assert_eq!(r.header("x-amzn-RateLimit-Limit"), Some("0.016"));
    // 0.016 per second: one more after a minute and a bit.
    env.advance_days(63.0 / 86_400.0);
    assert_eq!(env.call("GET", MP, &access, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn tokens_must_fit_the_operation() {
    let env = Env::new(None).await;
    let (_app, client, secret, _seller, _refresh, access) = env.authorized(&["Pricing"]).await;
    let grantless = env.grantless(&client, &secret, "sellingpartnerapi::notifications").await;
    let r = env.call("GET", MP, &grantless, None).await;
    assert!(r.error().2.contains("grantless"), "{}", r.text);
    let r = env.call("GET", "/notifications/v1/destinations", &access, None).await;
    assert!(r.error().2.contains("grantless operation"), "{}", r.text);
    let r = env.call("POST", "/applications/2023-11-30/clientSecret", &grantless, None).await;
    assert!(r.error().2.contains("client_credential:rotation"), "{}", r.text);
    let r =
        env.call("GET", "/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=2000-01-01", &access, None).await;
    assert!(r.error().2.contains("Inventory and Order Tracking"), "{}", r.text);
    let r = env.call("GET", MP, "Atza|forged", None).await;
    assert_eq!(r.error().2, "The access token you provided is revoked, malformed or invalid.");
    let r = env.send("GET", MP, &[], vec![]).await;
    assert_eq!((r.status, r.error().0.as_str()), (StatusCode::FORBIDDEN, "Unauthorized"));
    let r = env.send("POST", MP, &[], vec![]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = env.send("GET", "/orders/v0/nothing/here/at/all", &[], vec![]).await;
    assert_eq!((r.status, r.error().0.as_str()), (StatusCode::NOT_FOUND, "NotFound"));
}

#[tokio::test]
async fn notifications_destinations_subscriptions_and_order_change() {
    let env = Env::new(None).await;
    let (app, client, secret, seller, _refresh, access) = env.authorized(&[ORDERS]).await;
    let grantless = env.grantless(&client, &secret, "sellingpartnerapi::notifications").await;
    let arn = "arn:aws:sqs:us-east-1:123456789012:orders";
    let spec = json!({"name": "orders", "resourceSpecification": {"sqs": {"arn": arn}}});
    let r = env.call("POST", "/notifications/v1/destinations", &grantless, Some(spec.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let destination = r.json()["payload"]["destinationId"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["payload"]["resource"]["sqs"]["arn"], arn);
    let r = env.call("POST", "/notifications/v1/destinations", &grantless, Some(spec)).await;
    assert_eq!((r.status, r.error().0.as_str()), (StatusCode::CONFLICT, "Conflict"));
    let r = env.call("GET", "/notifications/v1/destinations", &grantless, None).await;
    assert_eq!(r.json()["payload"].as_array().unwrap().len(), 1);

    let sub = json!({"payloadVersion": "1.0", "destinationId": destination});
    let r = env.call("POST", "/notifications/v1/subscriptions/ORDER_CHANGE", &access, Some(sub.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let subscription = r.json()["payload"]["subscriptionId"].as_str().unwrap().to_owned();
    let r = env.call("POST", "/notifications/v1/subscriptions/ORDER_CHANGE", &access, Some(sub)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = env.call("GET", "/notifications/v1/subscriptions/ORDER_CHANGE", &access, None).await;
    assert_eq!(r.json()["payload"]["subscriptionId"], subscription.as_str());
    let r = env
        .call("GET", &format!("/notifications/v1/subscriptions/ORDER_CHANGE/{subscription}"), &grantless, None)
        .await;
    assert_eq!(r.json()["payload"]["destinationId"], destination.as_str());
    let r = env.call("GET", "/notifications/v1/subscriptions/NOT_A_TYPE", &access, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let order = env.order_ids(&seller).await[0].clone();
    let r = env.admin("PUT", &format!("/sellers/{seller}/orders/{order}"), json!({"orderStatus": "Shipped"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    env.run_jobs().await;
    let sent = env.take_sent();
    assert_eq!(sent.len(), 1);
    let n = &sent[0].1;
    assert_eq!(n["NotificationType"], "ORDER_CHANGE");
    assert_eq!(n["NotificationMetadata"]["SubscriptionId"], subscription.as_str());
    assert_eq!(n["NotificationMetadata"]["ApplicationId"], app.as_str());
    let change = &n["Payload"]["OrderChangeNotification"];
    assert_eq!(
        (change["AmazonOrderId"].as_str(), change["SellerId"].as_str()),
        (Some(order.as_str()), Some(seller.as_str()))
    );
    assert_eq!(change["Summary"]["OrderStatus"], "Shipped");

    let r = env.call("DELETE", &format!("/notifications/v1/destinations/{destination}"), &grantless, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = env
        .call("DELETE", &format!("/notifications/v1/subscriptions/ORDER_CHANGE/{subscription}"), &grantless, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = env.call("DELETE", &format!("/notifications/v1/destinations/{destination}"), &grantless, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn developer_central_checks_what_it_is_given() {
    let env = Env::new(None).await;
    let r = env.admin("POST", "/apps", json!({"name": "early", "roles": ["Pricing"]})).await;
    assert_eq!((r.status, r.json()["error"].as_str()), (StatusCode::CONFLICT, Some("NoDeveloperProfile")));
    let restricted = json!({
        "organization": {"name": "Acme"},
        "contact": {"name": "Ana", "email": "ana@acme.example"},
        "dataAccess": "private",
        "useCases": {"roles": ["Tax Invoicing"]},
    });
    let r = env.admin("POST", "/developers", restricted).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["message"].as_str().unwrap().contains("incidentResponsePolicy"));
    let ok = json!({
        "organization": {"name": "Acme"},
        "contact": {"name": "Ana", "email": "ana@acme.example"},
        "dataAccess": "private",
        "useCases": {"roles": ["Pricing"]},
    });
    let r = env.admin("POST", "/developers", ok).await;
    assert_eq!((r.status, r.json()["status"].as_str()), (StatusCode::OK, Some("UnderReview")));
    let early = env.admin("POST", "/apps", json!({"name": "a", "roles": ["Pricing"]})).await;
    assert_eq!((early.status, early.json()["error"].as_str()), (StatusCode::CONFLICT, Some("DeveloperNotApproved")));
    env.approve_registration(&r).await;
    let r = env.admin("POST", "/apps", json!({"name": "a", "roles": ["Tax Invoicing"]})).await;
    assert!(r.json()["message"].as_str().unwrap().contains("not approved for the role Tax Invoicing"));
    let r = env
        .admin("POST", "/apps", json!({"name": "a", "roles": ["Pricing"], "redirectUris": ["https://x.example/#frag"]}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = env
        .admin("POST", "/apps", json!({"name": "a", "roles": ["Pricing"], "iamArn": "arn:aws:iam::123:user/bob"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = env.admin("POST", "/apps", json!({"name": "a", "roles": ["Pricing"]})).await;
    let app = r.json();
    assert_eq!(app["status"], "Draft");
    assert!(app["applicationId"].as_str().unwrap().starts_with("amzn1.sp.solution."));
    let r = env.admin("GET", "/apps/a", Value::Null).await;
    assert_eq!(r.json()["applicationId"], app["applicationId"]);
    assert!(r.json().get("clientSecret").is_none());
    let r = env.admin("POST", "/sellers", json!({"name": "S", "marketplaceIds": ["NOPE"]})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn no_secret_is_stored_in_plain_text() {
    let env = Env::new(None).await;
    let (app, client, secret, _seller, refresh, access) = env.authorized(&[ORDERS]).await;
    env.admin(
        "PUT",
        &format!("/apps/{app}/notifications"),
        json!({"newSecretQueueArn": "arn:aws:sqs:us-east-1:123456789012:q"}),
    )
    .await;
    let rotated = env.admin("POST", &format!("/apps/{app}/rotate"), Value::Null).await.json()["clientSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    let grantless = env.grantless(&client, &secret, "sellingpartnerapi::notifications").await;
    // The outbox still holds the new secret's notification: it must be sealed.
    env.store.close().await;
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(env.dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let haystack = String::from_utf8_lossy(&bytes);
    for (what, s) in [
        ("secret", &secret),
        ("rotated", &rotated),
        ("refresh", &refresh),
        ("access", &access),
        ("grantless", &grantless),
    ] {
        let tail = &s[s.len() - 24..];
        assert!(!haystack.contains(tail), "the {what} token is in the database in plain text");
    }
}

fn signed(method: &str, path: &str, token: &str, key: (&str, &str), session: Option<&str>) -> Vec<(String, String)> {
    let headers = [("host", "sandbox.test"), ("x-amz-access-token", token)];
    let req = sigv4::Request { method, path, query: "", headers: &headers, body: b"" };
    let creds = sigv4::Credentials::new(key.0, key.1, session.map(str::to_owned));
    let added = sigv4::sign(&req, &creds, "us-east-1", "execute-api", jiff::Timestamp::now());
    headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .chain(added.iter().map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

#[tokio::test]
async fn legacy_mode_needs_the_registered_signer_and_iam_allow() {
    let bob = "arn:aws:iam::123456789012:user/bob";
    let role = "arn:aws:iam::123456789012:role/SellingPartnerAPIRole";
    let session = "arn:aws:sts::123456789012:assumed-role/SellingPartnerAPIRole/s1";
    let mut keys = HashMap::new();
    keys.insert("AKIABOB0000000000000".to_owned(), ("bobsecret".to_owned(), bob.to_owned(), None));
    keys.insert(
        "ASIAROLE000000000000".to_owned(),
        ("rolesecret".to_owned(), session.to_owned(), Some(role.to_owned())),
    );
    let gate = Arc::new(Gate { keys, allowed: Mutex::new(vec![session.to_owned()]) });
    let env = Env::new(Some(gate.clone())).await;
    env.developer().await;
    let (app, client, secret) = env.app(&[ORDERS], Some(role)).await;
    let seller = env.seller().await;
    let refresh = env.authorize(&app, &seller).await;
    let access = env.access_token(&client, &secret, &refresh).await;

    let send = |headers: Vec<(String, String)>| {
        let env = &env;
        async move {
            // `Env::send` sets the host itself.
            let h: Vec<(&str, &str)> =
                headers.iter().filter(|(k, _)| k != "host").map(|(k, v)| (k.as_str(), v.as_str())).collect();
            env.send("GET", MP, &h, vec![]).await
        }
    };
    let r = env.call("GET", MP, &access, None).await;
    assert_eq!((r.status, r.error().0.as_str()), (StatusCode::FORBIDDEN, "MissingAuthenticationToken"), "{}", r.text);
    let r = send(signed("GET", MP, &access, ("ASIAROLE000000000000", "rolesecret"), Some("token"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = send(signed("GET", MP, &access, ("ASIAROLE000000000000", "wrong"), Some("token"))).await;
    assert_eq!(r.error().0, "InvalidSignature");
    // Bob signs correctly but the app registers the role, not Bob.
    let r = send(signed("GET", MP, &access, ("AKIABOB0000000000000", "bobsecret"), None)).await;
    assert!(r.error().2.contains("registered IAM ARN"), "{}", r.text);
    // The policy detached: IAM says no.
    gate.allowed.lock().unwrap().clear();
    let r = send(signed("GET", MP, &access, ("ASIAROLE000000000000", "rolesecret"), Some("token"))).await;
    assert!(r.error().2.contains("execute-api:Invoke"), "{}", r.text);
    assert!(r.error().2.contains(
        "arn:aws:execute-api:us-east-1:123456789012:sellingpartnerapi/prod/GET/sellers/v1/marketplaceParticipations"
    ));
}
