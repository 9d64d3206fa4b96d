//! The Developer Central admin API, nested by the server at `/_spcred/sp` behind the admin
//! token. Errors are the admin API's `{"error": code, "message": text}`.
//!
//! ```text
//! POST /developers                       register (or resubmit) the developer profile, for review
//! GET  /developers                       the profile
//! POST /apps                             create an app client (prints the client secret once)
//! GET  /apps                             every app
//! GET  /apps/{app}                       an app: LWA credentials' ids and expiry dates, notifications
//! POST /apps/{app}/rotate                rotate the client secret (prints it once)
//! PUT  /apps/{app}/notifications         the queues of the application notifications
//! POST /sellers                          create a selling partner with sample orders
//! GET  /sellers, /sellers/{id}           selling partners (and a seller's order ids)
//! PUT  /sellers/{id}/orders/{orderId}    change an order's status (sends ORDER_CHANGE)
//! POST /authorizations                   self-authorization: a refresh token
//! POST /authorizations/revoke            revoke an app's authorizations by a seller
//! ```
//!
//! The reviews (registration, listings, Data Portability onboarding) are in
//! [`reviews_admin`](crate::reviews_admin).

use crate::apps::{ConsoleError, NewApp, Registration};
use crate::{Sandbox, catalog, commit, iso_ms};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use store::sp;

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let status = match self.code {
            "InvalidRequest" => StatusCode::BAD_REQUEST,
            "NotFound" => StatusCode::NOT_FOUND,
            "NoDeveloperProfile" | "DeveloperNotApproved" | "IllegalTransition" => StatusCode::CONFLICT,
            "PayloadTooLarge" => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, axum::Json(json!({"error": self.code, "message": self.message}))).into_response()
    }
}

type Reply = Result<axum::Json<Value>, ConsoleError>;

pub(crate) fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ConsoleError> {
    serde_json::from_slice(body).map_err(|e| ConsoleError::invalid(format!("the request body is not valid: {e}")))
}

pub(crate) fn router(sb: Arc<Sandbox>) -> Router {
    Router::new()
        .route("/developers", post(register).get(developer))
        .route("/apps", post(create_app).get(list_apps))
        .route("/apps/{app}", get(show_app))
        .route("/apps/{app}/rotate", post(rotate))
        .route("/apps/{app}/notifications", put(set_notifications))
        .route("/sellers", post(create_seller).get(list_sellers))
        .route("/sellers/{seller}", get(show_seller))
        .route("/sellers/{seller}/orders/{order}", put(update_order))
        .route("/authorizations", post(authorize))
        .route("/authorizations/revoke", post(revoke))
        .merge(crate::reviews_admin::routes())
        .with_state(sb)
}

async fn register(State(sb): State<Arc<Sandbox>>, body: Bytes) -> Reply {
    let r: Registration = parse(&body)?;
    Ok(axum::Json(sb.register_developer(crate::Dev::Admin, &r).await?))
}

async fn developer(State(sb): State<Arc<Sandbox>>) -> Reply {
    Ok(axum::Json(sb.developer(crate::Dev::Admin).await?))
}

async fn create_app(
    State(sb): State<Arc<Sandbox>>,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<Value>), ConsoleError> {
    let new: NewApp = parse(&body)?;
    let (app, secret) = sb.create_app(crate::Dev::Admin, &new).await?;
    let mut view = sb.app_view(&app).await?;
    view["clientSecret"] = json!(secret.secret.expose());
    Ok((StatusCode::CREATED, axum::Json(view)))
}

async fn list_apps(State(sb): State<Arc<Sandbox>>) -> Reply {
    let apps = sb.apps(crate::Dev::Admin).await?;
    let mut out = Vec::with_capacity(apps.len());
    for app in &apps {
        out.push(sb.app_view(app).await?);
    }
    Ok(axum::Json(json!({"apps": out})))
}

async fn show_app(State(sb): State<Arc<Sandbox>>, Path(key): Path<String>) -> Reply {
    let app = sb.find_app(&key).await?;
    Ok(axum::Json(sb.app_view(&app).await?))
}

async fn rotate(State(sb): State<Arc<Sandbox>>, Path(key): Path<String>) -> Reply {
    let app = sb.find_app(&key).await?;
    let fresh = sb.rotate(&app).await?;
    Ok(axum::Json(json!({
        "applicationId": app.app_id,
        "clientId": app.client_id,
        "clientSecret": fresh.secret.expose(),
        "clientSecretExpiresAt": iso_ms(fresh.expires_ms),
        "previousSecretsExpireBy": iso_ms(sb.now_ms() + crate::apps::OVERLAP_MS),
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Queues {
    #[serde(default)]
    expiry_queue_arn: Option<String>,
    #[serde(default)]
    new_secret_queue_arn: Option<String>,
}

async fn set_notifications(State(sb): State<Arc<Sandbox>>, Path(key): Path<String>, body: Bytes) -> Reply {
    let q: Queues = parse(&body)?;
    let app = sb.find_app(&key).await?;
    sb.set_queues(&app, q.expiry_queue_arn.as_deref(), q.new_secret_queue_arn.as_deref()).await?;
    let app = sb.find_app(&app.app_id).await?;
    Ok(axum::Json(sb.app_view(&app).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewSeller {
    name: String,
    #[serde(default)]
    marketplace_ids: Vec<String>,
    #[serde(default)]
    rate_scale: Option<f64>,
}

fn seller_json(s: &sp::Seller, order_ids: Option<Vec<String>>) -> Value {
    let mut v = json!({
        "sellingPartnerId": s.selling_partner_id,
        "name": s.name,
        "marketplaceIds": crate::orders::participating(s),
        "rateScale": s.rate_scale,
        "createdAt": iso_ms(s.created_ms),
    });
    if let Some(ids) = order_ids {
        v["orderIds"] = json!(ids);
    }
    v
}

async fn create_seller(
    State(sb): State<Arc<Sandbox>>,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<Value>), ConsoleError> {
    let new: NewSeller = parse(&body)?;
    if new.name.trim().is_empty() || new.name.chars().count() > 256 {
        return Err(ConsoleError::invalid("name must be 1 to 256 characters"));
    }
    let ids = if new.marketplace_ids.is_empty() { vec!["ATVPDKIKX0DER".to_owned()] } else { new.marketplace_ids };
    let mut marketplaces = Vec::new();
    for id in &ids {
        let m = catalog::marketplace(id).ok_or_else(|| {
            ConsoleError::invalid(format!("{id:?} is not a marketplace id (e.g. ATVPDKIKX0DER for Amazon.com)"))
        })?;
        if !marketplaces.contains(&m) {
            marketplaces.push(m);
        }
    }
    let scale = new.rate_scale.unwrap_or(1.0);
    if !(1.0..=1_000_000.0).contains(&scale) {
        return Err(ConsoleError::invalid("rateScale must be between 1 and 1000000"));
    }
    let now = sb.now_ms();
    let seller = sp::Seller {
        selling_partner_id: sb.ids().selling_partner_id(),
        name: new.name,
        marketplaces: serde_json::to_string(&marketplaces.iter().map(|m| m.id).collect::<Vec<_>>()).unwrap_or_default(),
        rate_scale: scale,
        created_ms: now,
    };
    let mut tx = sb.begin().await?;
    sp::insert_seller(&mut tx, &seller).await?;
    let orders = sb.generate_orders(&mut tx, &seller.selling_partner_id, &marketplaces, now).await?;
    commit(tx).await?;
    let mut v = seller_json(&seller, None);
    v["sampleOrders"] = json!(orders);
    Ok((StatusCode::CREATED, axum::Json(v)))
}

async fn list_sellers(State(sb): State<Arc<Sandbox>>) -> Reply {
    let mut conn = sb.reader().await?;
    let sellers = sp::sellers(&mut conn).await?;
    Ok(axum::Json(json!({"sellers": sellers.iter().map(|s| seller_json(s, None)).collect::<Vec<_>>()})))
}

async fn show_seller(State(sb): State<Arc<Sandbox>>, Path(id): Path<String>) -> Reply {
    let mut conn = sb.reader().await?;
    let seller =
        sp::seller(&mut conn, &id).await?.ok_or_else(|| ConsoleError::not_found(format!("no selling partner {id}")))?;
    let orders = sp::order_ids(&mut conn, &id, 1000).await?;
    Ok(axum::Json(seller_json(&seller, Some(orders))))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OrderChange {
    order_status: String,
}

async fn update_order(
    State(sb): State<Arc<Sandbox>>,
    Path((seller, order)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let change: OrderChange = parse(&body)?;
    Ok(axum::Json(sb.set_order_status(&seller, &order, &change.order_status).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Pair {
    application_id: String,
    selling_partner_id: String,
}

async fn authorize(State(sb): State<Arc<Sandbox>>, body: Bytes) -> Reply {
    let pair: Pair = parse(&body)?;
    let app = sb.find_app(&pair.application_id).await?;
    let refresh = sb.self_authorize(&app, &pair.selling_partner_id).await?;
    Ok(axum::Json(json!({
        "applicationId": app.app_id,
        "clientId": app.client_id,
        "sellingPartnerId": pair.selling_partner_id,
        "refreshToken": refresh.expose(),
    })))
}

async fn revoke(State(sb): State<Arc<Sandbox>>, body: Bytes) -> Reply {
    let pair: Pair = parse(&body)?;
    let app = sb.find_app(&pair.application_id).await?;
    let revoked = sb.revoke(&app, &pair.selling_partner_id).await?;
    if revoked == 0 {
        return Err(ConsoleError::not_found(format!(
            "{} has no live authorization of {}",
            pair.selling_partner_id, app.app_id
        )));
    }
    Ok(axum::Json(
        json!({"applicationId": app.app_id, "sellingPartnerId": pair.selling_partner_id, "revoked": revoked}),
    ))
}
