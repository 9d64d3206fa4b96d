//! The SP-API operations: routing by method and path, the access token (`x-amz-access-token`),
//! legacy `SigV4` and IAM, who may call what, usage plans, and the operations themselves.
//!
//! ```text
//! route -> access token -> [legacy: SigV4 + execute-api:Invoke] -> access rules -> usage plan
//!       -> operation -> JSON, x-amzn-RequestId, x-amzn-RateLimit-Limit -> metrics, audit
//! ```

mod notifications;
mod tokens;

use crate::catalog;
use crate::error::ApiError;
use crate::lwa::{ACCESS_TOKEN, SCOPE_NOTIFICATIONS, SCOPE_ROTATION};
use crate::orders::{Pii, Query};
use crate::ratelimit::UsagePlan;
use crate::{GateRefusal, Sandbox};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;
use store::sp;
pub(crate) use tokens::RestrictedResource;

/// The largest request body an operation accepts.
const MAX_BODY: usize = 1024 * 1024;

/// The implemented operations, by their `operationId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    GetMarketplaceParticipations,
    GetOrders,
    GetOrder,
    GetOrderBuyerInfo,
    GetOrderAddress,
    GetOrderItems,
    GetOrderItemsBuyerInfo,
    CreateRestrictedDataToken,
    GetSubscription,
    CreateSubscription,
    GetSubscriptionById,
    DeleteSubscriptionById,
    GetDestinations,
    CreateDestination,
    GetDestination,
    DeleteDestination,
    RotateApplicationClientSecret,
}

/// What a caller must present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// A selling partner's access token, from an app with one of these roles (any role if empty).
    Seller(&'static [&'static str]),
    /// A restricted data token covering the call.
    Restricted,
    /// A grantless token with this scope.
    Grantless(&'static str),
}

const ORDER_ROLES: &[&str] = &[
    catalog::INVENTORY_AND_ORDER_TRACKING,
    catalog::DIRECT_TO_CONSUMER_SHIPPING,
    catalog::TAX_INVOICING,
    catalog::TAX_REMITTANCE,
];

/// (method, path template, operation). `{x}` matches one path segment.
const ROUTES: &[(Method, &str, Op)] = &[
    (Method::GET, "/sellers/v1/marketplaceParticipations", Op::GetMarketplaceParticipations),
    (Method::GET, "/orders/v0/orders", Op::GetOrders),
    (Method::GET, "/orders/v0/orders/{orderId}", Op::GetOrder),
    (Method::GET, "/orders/v0/orders/{orderId}/buyerInfo", Op::GetOrderBuyerInfo),
    (Method::GET, "/orders/v0/orders/{orderId}/address", Op::GetOrderAddress),
    (Method::GET, "/orders/v0/orders/{orderId}/orderItems", Op::GetOrderItems),
    (Method::GET, "/orders/v0/orders/{orderId}/orderItems/buyerInfo", Op::GetOrderItemsBuyerInfo),
    (Method::POST, "/tokens/2021-03-01/restrictedDataToken", Op::CreateRestrictedDataToken),
    (Method::GET, "/notifications/v1/subscriptions/{notificationType}", Op::GetSubscription),
    (Method::POST, "/notifications/v1/subscriptions/{notificationType}", Op::CreateSubscription),
    (Method::GET, "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}", Op::GetSubscriptionById),
    (Method::DELETE, "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}", Op::DeleteSubscriptionById),
    (Method::GET, "/notifications/v1/destinations", Op::GetDestinations),
    (Method::POST, "/notifications/v1/destinations", Op::CreateDestination),
    (Method::GET, "/notifications/v1/destinations/{destinationId}", Op::GetDestination),
    (Method::DELETE, "/notifications/v1/destinations/{destinationId}", Op::DeleteDestination),
    (Method::POST, "/applications/2023-11-30/clientSecret", Op::RotateApplicationClientSecret),
];

impl Op {
    /// The `operationId`.
    pub fn name(self) -> &'static str {
        match self {
            Op::GetMarketplaceParticipations => "getMarketplaceParticipations",
            Op::GetOrders => "getOrders",
            Op::GetOrder => "getOrder",
            Op::GetOrderBuyerInfo => "getOrderBuyerInfo",
            Op::GetOrderAddress => "getOrderAddress",
            Op::GetOrderItems => "getOrderItems",
            Op::GetOrderItemsBuyerInfo => "getOrderItemsBuyerInfo",
            Op::CreateRestrictedDataToken => "createRestrictedDataToken",
            Op::GetSubscription => "getSubscription",
            Op::CreateSubscription => "createSubscription",
            Op::GetSubscriptionById => "getSubscriptionById",
            Op::DeleteSubscriptionById => "deleteSubscriptionById",
            Op::GetDestinations => "getDestinations",
            Op::CreateDestination => "createDestination",
            Op::GetDestination => "getDestination",
            Op::DeleteDestination => "deleteDestination",
            Op::RotateApplicationClientSecret => "rotateApplicationClientSecret",
        }
    }

    /// Amazon's default usage plan.
    pub fn plan(self) -> UsagePlan {
        match self {
            Op::GetMarketplaceParticipations => UsagePlan::new(0.016, 15),
            Op::GetOrders => UsagePlan::new(0.0167, 20),
            Op::GetOrder
            | Op::GetOrderBuyerInfo
            | Op::GetOrderAddress
            | Op::GetOrderItems
            | Op::GetOrderItemsBuyerInfo => UsagePlan::new(0.5, 30),
            Op::CreateRestrictedDataToken => UsagePlan::new(1.0, 10),
            Op::GetSubscription
            | Op::CreateSubscription
            | Op::GetSubscriptionById
            | Op::DeleteSubscriptionById
            | Op::GetDestinations
            | Op::CreateDestination
            | Op::GetDestination
            | Op::DeleteDestination => UsagePlan::new(1.0, 5),
            Op::RotateApplicationClientSecret => UsagePlan::new(0.0167, 1),
        }
    }

    fn access(self) -> Access {
        match self {
            Op::GetMarketplaceParticipations
            | Op::CreateRestrictedDataToken
            | Op::GetSubscription
            | Op::CreateSubscription => Access::Seller(&[]),
            Op::GetOrders | Op::GetOrder | Op::GetOrderItems => Access::Seller(ORDER_ROLES),
            Op::GetOrderBuyerInfo | Op::GetOrderAddress | Op::GetOrderItemsBuyerInfo => Access::Restricted,
            Op::GetSubscriptionById
            | Op::DeleteSubscriptionById
            | Op::GetDestinations
            | Op::CreateDestination
            | Op::GetDestination
            | Op::DeleteDestination => Access::Grantless(SCOPE_NOTIFICATIONS),
            Op::RotateApplicationClientSecret => Access::Grantless(SCOPE_ROTATION),
        }
    }
}

fn decode_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Does `path` match `template`? Returns the values of its `{placeholders}`.
pub(crate) fn match_template(template: &str, path: &str) -> Option<Vec<String>> {
    let t: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut params = Vec::new();
    for (ts, ps) in t.iter().zip(&p) {
        if ts.starts_with('{') && ts.ends_with('}') {
            if ps.is_empty() {
                return None;
            }
            params.push(decode_segment(ps));
        } else if ts != ps {
            return None;
        }
    }
    Some(params)
}

/// The operation at `method` `path`, with its path parameters; `Err(true)` when the path exists
/// under another method.
pub(crate) fn route(method: &Method, path: &str) -> Result<(Op, Vec<String>), bool> {
    let mut path_known = false;
    for (m, template, op) in ROUTES {
        if let Some(params) = match_template(template, path) {
            if m == method {
                return Ok((*op, params));
            }
            path_known = true;
        }
    }
    Err(path_known)
}

/// The kind of access token presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Seller,
    Grantless,
    Restricted,
}

/// Who is calling, as the access token says.
#[derive(Debug)]
pub(crate) struct Caller {
    pub app: sp::App,
    pub kind: TokenKind,
    pub seller: Option<String>,
    pub authorization_id: Option<i64>,
    pub scope: Option<String>,
    pub resources: Vec<RestrictedResource>,
    pub rate_scale: f64,
}

impl Caller {
    fn principal(&self) -> String {
        match &self.seller {
            Some(s) => format!("{}/{s}", self.app.app_id),
            None => self.app.app_id.clone(),
        }
    }

    /// The seller of a seller or restricted data token.
    pub fn seller_id(&self) -> Result<&str, ApiError> {
        self.seller.as_deref().ok_or_else(|| ApiError::unauthorized("The access token has no selling partner."))
    }
}

/// One call, reduced to what operations read.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub method: &'a Method,
    /// The decoded path.
    pub path: String,
    pub params: Vec<String>,
    pub query: Query,
    pub body: &'a [u8],
}

impl Sandbox {
    /// Resolves the `x-amz-access-token`.
    async fn caller(&self, token: Option<&str>) -> Result<Caller, ApiError> {
        let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(ApiError::unauthorized(
                "The request has no access token: send it in the x-amz-access-token header.",
            ));
        };
        let mut conn = self.reader().await?;
        let Some(row) = sp::access_token(&mut conn, &self.verifier(ACCESS_TOKEN, token)).await? else {
            return Err(ApiError::unauthorized("The access token you provided is revoked, malformed or invalid."));
        };
        if row.expires_ms <= self.now_ms() {
            return Err(ApiError::unauthorized("The access token you provided has expired."));
        }
        if row.revoked_ms.is_some() {
            return Err(ApiError::unauthorized(
                "The access token you provided is revoked, malformed or invalid: the selling partner revoked the application's authorization.",
            ));
        }
        let Some(app) = sp::app(&mut conn, &row.app_id).await? else {
            return Err(ApiError::unauthorized("The access token you provided is revoked, malformed or invalid."));
        };
        let kind = match row.kind.as_str() {
            "grantless" => TokenKind::Grantless,
            "rdt" => TokenKind::Restricted,
            "seller" => TokenKind::Seller,
            // A customer's Data Portability token is not a selling partner's.
            _ => return Err(ApiError::unauthorized("The access token you provided is revoked, malformed or invalid.")),
        };
        let resources = match &row.resources {
            Some(json) => serde_json::from_str(json).map_err(|e| {
                tracing::error!(error = %e, "a stored restricted data token does not parse");
                ApiError::internal()
            })?,
            None => Vec::new(),
        };
        Ok(Caller {
            app,
            kind,
            seller: row.selling_partner_id,
            authorization_id: row.authorization_id,
            scope: row.scope,
            resources,
            rate_scale: row.rate_scale,
        })
    }

    /// Legacy IAM mode: the call must be signed by the app's registered IAM entity, which IAM
    /// must allow to invoke it.
    async fn legacy_check(
        &self,
        app: &sp::App,
        request: &sigv4::Request<'_>,
        source_ip: IpAddr,
    ) -> Result<(), ApiError> {
        let Some(gate) = &self.deps.gate else {
            return Ok(());
        };
        let auth = match sigv4::parse(request) {
            Ok(a) => a,
            Err(e) if e.kind() == sigv4::ErrorKind::MissingAuthenticationToken => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "MissingAuthenticationToken",
                    crate::error::ACCESS_DENIED,
                    "This server runs in legacy IAM mode: sign the request with AWS Signature Version 4 (service execute-api).",
                ));
            }
            Err(e) => return Err(ApiError::new(StatusCode::FORBIDDEN, "InvalidSignature", e.to_string(), "")),
        };
        if auth.scope.service != "execute-api" {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "InvalidSignature",
                "Credential should be scoped to correct service: 'execute-api'. ",
                "",
            ));
        }
        let Some(registered) = &app.iam_arn else {
            return Err(ApiError::unauthorized(
                "The application has no IAM ARN registered; legacy IAM mode needs one (spcred sp app create --iam-arn).",
            ));
        };
        match gate.check(request, &auth, source_ip, registered).await {
            Ok(()) => Ok(()),
            Err(GateRefusal::InvalidToken) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Unauthorized",
                "The security token included in the request is invalid.",
                "",
            )),
            Err(GateRefusal::ExpiredToken) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Unauthorized",
                "The security token included in the request is expired",
                "",
            )),
            Err(GateRefusal::InvalidSignature(why)) => {
                Err(ApiError::new(StatusCode::FORBIDDEN, "InvalidSignature", why, ""))
            }
            Err(GateRefusal::NotRegistered { signer }) => Err(ApiError::unauthorized(format!(
                "The request is signed by {signer}, but the application's registered IAM ARN is {registered}."
            ))),
            Err(GateRefusal::Denied(why)) => Err(ApiError::unauthorized(why)),
            Err(GateRefusal::Internal) => Err(ApiError::internal()),
        }
    }

    /// Checks that `caller` may call `op`.
    fn check_access(op: Op, caller: &Caller, call: &Call<'_>) -> Result<(), ApiError> {
        match (op.access(), caller.kind) {
            (Access::Grantless(scope), TokenKind::Grantless) => {
                if caller.scope.as_deref() == Some(scope) {
                    Ok(())
                } else {
                    Err(ApiError::unauthorized(format!(
                        "The access token's scope is {}; this operation needs scope {scope}.",
                        caller.scope.as_deref().unwrap_or("none")
                    )))
                }
            }
            (Access::Grantless(scope), _) => Err(ApiError::unauthorized(format!(
                "{} is a grantless operation: call it with an access token from the client_credentials grant with scope {scope}.",
                op.name()
            ))),
            (_, TokenKind::Grantless) => Err(ApiError::unauthorized(format!(
                "The access token you provided is grantless (client_credentials); {} needs the access token of a selling partner who authorized the application.",
                op.name()
            ))),
            (Access::Restricted, TokenKind::Seller) => Err(ApiError::unauthorized(format!(
                "{} returns restricted data: call it with a restricted data token (createRestrictedDataToken) for {} {}.",
                op.name(),
                call.method,
                call.path
            ))),
            (_, TokenKind::Restricted) => {
                if op == Op::CreateRestrictedDataToken
                    || !tokens::covers(&caller.resources, call.method.as_str(), &call.path)
                {
                    Err(ApiError::unauthorized(format!(
                        "The restricted data token you provided does not cover {} {}.",
                        call.method, call.path
                    )))
                } else {
                    Ok(())
                }
            }
            (Access::Seller(roles), TokenKind::Seller) => {
                let app_roles = crate::apps::stored_list(&caller.app.roles);
                if roles.is_empty() && !app_roles.is_empty() || roles.iter().any(|r| app_roles.iter().any(|a| a == r)) {
                    Ok(())
                } else if roles.is_empty() {
                    Err(ApiError::unauthorized("The application has no SP-API role."))
                } else {
                    Err(ApiError::unauthorized(format!(
                        "The application does not have a role that {} needs: one of {}.",
                        op.name(),
                        roles.join(", ")
                    )))
                }
            }
        }
    }

    /// Which restricted data elements `caller` may see on this call.
    fn pii(caller: &Caller, call: &Call<'_>) -> Pii {
        if caller.kind != TokenKind::Restricted {
            return Pii::default();
        }
        tokens::data_elements(&caller.resources, call.method.as_str(), &call.path)
    }

    async fn run(&self, op: Op, caller: &Caller, call: &Call<'_>) -> Result<(StatusCode, Option<Value>), ApiError> {
        let ok = |v: Value| Ok((StatusCode::OK, Some(v)));
        let order_id = || call.params.first().map(String::as_str).unwrap_or_default();
        match op {
            Op::GetMarketplaceParticipations => ok(self.marketplace_participations(caller.seller_id()?).await?),
            Op::GetOrders => {
                let seller = self.seller_row(caller.seller_id()?).await?;
                ok(self.get_orders(&seller, &call.query, Self::pii(caller, call)).await?)
            }
            Op::GetOrder => ok(self.get_order(caller.seller_id()?, order_id(), Self::pii(caller, call)).await?),
            Op::GetOrderItems => {
                ok(self.get_order_items(caller.seller_id()?, order_id(), Self::pii(caller, call)).await?)
            }
            Op::GetOrderAddress => ok(self.get_order_address(caller.seller_id()?, order_id()).await?),
            Op::GetOrderBuyerInfo => ok(self.get_order_buyer_info(caller.seller_id()?, order_id()).await?),
            Op::GetOrderItemsBuyerInfo => ok(self.get_order_items_buyer_info(caller.seller_id()?, order_id()).await?),
            Op::CreateRestrictedDataToken => ok(self.create_rdt(caller, call.body).await?),
            Op::GetSubscription
            | Op::CreateSubscription
            | Op::GetSubscriptionById
            | Op::DeleteSubscriptionById
            | Op::GetDestinations
            | Op::CreateDestination
            | Op::GetDestination
            | Op::DeleteDestination => ok(self.notifications(op, caller, call).await?),
            Op::RotateApplicationClientSecret => {
                if caller.app.new_secret_queue_arn.is_none() {
                    return Err(ApiError::invalid_input(
                        "Application is not enrolled for rotation notification. Please update application notification preference in Developer console.",
                        "",
                    ));
                }
                self.rotate(&caller.app).await.map_err(|e| {
                    tracing::error!(code = e.code, "rotation failed");
                    ApiError::internal()
                })?;
                Ok((StatusCode::NO_CONTENT, None))
            }
        }
    }

    async fn seller_row(&self, seller_id: &str) -> Result<sp::Seller, ApiError> {
        let mut conn = self.reader().await?;
        sp::seller(&mut conn, seller_id)
            .await?
            .ok_or_else(|| ApiError::unauthorized("The selling partner no longer exists."))
    }

    async fn marketplace_participations(&self, seller_id: &str) -> Result<Value, ApiError> {
        let seller = self.seller_row(seller_id).await?;
        let payload: Vec<Value> = crate::orders::participating(&seller)
            .iter()
            .filter_map(|id| catalog::marketplace(id))
            .map(|m| {
                json!({
                    "marketplace": {
                        "id": m.id,
                        "countryCode": m.country_code,
                        "name": m.name,
                        "defaultCurrencyCode": m.currency,
                        "defaultLanguageCode": m.language,
                        "domainName": m.domain,
                    },
                    "participation": {"isParticipating": true, "hasSuspendedListings": false},
                    "storeName": seller.name,
                })
            })
            .collect();
        Ok(json!({"payload": payload}))
    }

    /// Everything between the route and the response.
    async fn call(
        &self,
        op: Op,
        call: &Call<'_>,
        request: &sigv4::Request<'_>,
        source_ip: IpAddr,
    ) -> (Result<(StatusCode, Option<Value>), ApiError>, Option<String>, Option<String>) {
        let caller = match self.caller(request.header("x-amz-access-token")).await {
            Ok(c) => c,
            Err(e) => return (Err(e), None, None),
        };
        let principal = Some(caller.principal());
        if let Err(e) = self.legacy_check(&caller.app, request, source_ip).await {
            return (Err(e), None, principal);
        }
        if let Err(e) = Self::check_access(op, &caller, call) {
            return (Err(e), None, principal);
        }
        let plan = op.plan().scaled(caller.rate_scale);
        let bucket_owner = caller.seller.as_deref().unwrap_or("-");
        if !self.limiter.take(&caller.app.app_id, bucket_owner, op.name(), plan, self.now_ms()) {
            let e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "QuotaExceeded",
                "You exceeded your quota for the requested resource.",
                "",
            );
            return (Err(e), Some(plan.header()), principal);
        }
        (self.run(op, &caller, call).await, Some(plan.header()), principal)
    }
}

/// Any SP-API path.
pub(crate) async fn handle(State(sb): State<Arc<Sandbox>>, request: axum::extract::Request) -> Response {
    let started = Instant::now();
    let request_id = sb.ids().uuid();
    let (parts, body) = request.into_parts();
    let peer_ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let raw_path = parts.uri.path().to_owned();
    let (op, params) = match route(&parts.method, &raw_path) {
        Ok(r) => r,
        Err(path_known) => {
            let e = if path_known {
                ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    format!("{} is not supported on {raw_path}.", parts.method),
                    "",
                )
            } else {
                ApiError::not_found(format!("No SP-API operation at {raw_path}."))
            };
            return respond(&request_id, Err(e), None);
        }
    };
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        let e = ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            "The request size exceeded the maximum accepted size.",
            "",
        );
        return respond(&request_id, Err(e), None);
    };
    let headers: Vec<(&str, &str)> =
        parts.headers.iter().filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v))).collect();
    let raw_query = parts.uri.query().unwrap_or("");
    let signed = sigv4::Request {
        method: parts.method.as_str(),
        path: &raw_path,
        query: raw_query,
        headers: &headers,
        body: &body,
    };
    let call = Call {
        method: &parts.method,
        path: decode_segment(&raw_path),
        params,
        query: Query::parse(raw_query),
        body: &body,
    };
    let (result, rate_limit, principal) = sb.call(op, &call, &signed, peer_ip).await;
    let status = match &result {
        Ok((s, _)) => *s,
        Err(e) => e.status,
    };
    metrics::counter!("spcred_spapi_requests_total", "operation" => op.name(), "status" => status.as_u16().to_string())
        .increment(1);
    metrics::histogram!("spcred_spapi_request_duration_seconds", "operation" => op.name())
        .record(started.elapsed().as_secs_f64());
    let (outcome, error_code) = match &result {
        Ok(_) => ("Allowed", None),
        Err(e) if e.status == StatusCode::FORBIDDEN => ("Denied", Some(e.code.to_owned())),
        Err(e) => ("Error", Some(e.code.to_owned())),
    };
    let record = store::audit::Record {
        time_ms: sb.now_ms(),
        request_id: request_id.clone(),
        principal_arn: principal,
        source_ip: peer_ip.to_string(),
        service: "sellingpartnerapi".into(),
        operation: op.name().into(),
        outcome: outcome.into(),
        error_code,
        region: None,
    };
    if sb.audit(record).await.is_err() {
        return respond(&request_id, Err(ApiError::internal()), None);
    }
    respond(&request_id, result, rate_limit)
}

fn respond(
    request_id: &str,
    result: Result<(StatusCode, Option<Value>), ApiError>,
    rate_limit: Option<String>,
) -> Response {
    let mut response = match result {
        Ok((status, Some(body))) => (status, axum::Json(body)).into_response(),
        Ok((status, None)) => status.into_response(),
        Err(e) => {
            if e.status.is_server_error() {
                tracing::error!(request_id, code = e.code, "SP-API call failed on the server side");
            }
            (e.status, axum::Json(e.body())).into_response()
        }
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", v);
    }
    if let Some(limit) = rate_limit.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert("x-amzn-RateLimit-Limit", limit);
    }
    if !headers.contains_key(header::CONTENT_TYPE) && response.status() != StatusCode::NO_CONTENT {
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_paths_and_methods() {
        assert_eq!(
            route(&Method::GET, "/orders/v0/orders/123-1234567-1234567/address"),
            Ok((Op::GetOrderAddress, vec!["123-1234567-1234567".into()]))
        );
        assert_eq!(
            route(&Method::GET, "/orders/v0/orders/1/orderItems/buyerInfo").unwrap().0,
            Op::GetOrderItemsBuyerInfo
        );
        assert_eq!(
            route(&Method::DELETE, "/notifications/v1/subscriptions/ORDER_CHANGE/abc").unwrap(),
            (Op::DeleteSubscriptionById, vec!["ORDER_CHANGE".into(), "abc".into()])
        );
        assert_eq!(route(&Method::POST, "/sellers/v1/marketplaceParticipations"), Err(true));
        assert_eq!(route(&Method::GET, "/orders/v0/orders//address"), Err(false));
        assert_eq!(route(&Method::GET, "/orders/v9/orders"), Err(false));
        assert_eq!(route(&Method::GET, "/orders/v0/orders/a%2Fb").unwrap().1, vec!["a/b".to_owned()]);
    }

    #[test]
    fn every_operation_has_a_route_and_a_plan() {
        for (_, _, op) in ROUTES {
            assert!(op.plan().rate > 0.0 && op.plan().burst >= 1, "{op:?}");
            assert!(!op.name().is_empty());
        }
        assert_eq!(Op::RotateApplicationClientSecret.plan().header(), "0.0167");
    }

    proptest::proptest! {
        #[test]
        fn any_path_routes_or_not_without_panicking(path in "/[a-zA-Z0-9/%{}._-]{0,120}", post in proptest::bool::ANY) {
            let method = if post { Method::POST } else { Method::GET };
            if let Ok((op, params)) = route(&method, &path) {
                proptest::prop_assert!(params.len() <= 2, "{op:?}");
            }
        }
    }

    #[test]
    fn resource_arns_name_method_and_path() {
        assert_eq!(
            crate::execute_api_arn("us-east-1", "123456789012", "GET", "/sellers/v1/marketplaceParticipations"),
            "arn:aws:execute-api:us-east-1:123456789012:sellingpartnerapi/prod/GET/sellers/v1/marketplaceParticipations"
        );
    }
}
