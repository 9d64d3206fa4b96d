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
use crate::lwa::ACCESS_TOKEN;
use crate::orders::{Pii, Query};
use crate::{GateRefusal, Sandbox};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use spapi::{Access, Operation};
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

impl Op {
    /// Every operation the sandbox serves.
    const ALL: [Op; 17] = [
        Op::GetMarketplaceParticipations,
        Op::GetOrders,
        Op::GetOrder,
        Op::GetOrderBuyerInfo,
        Op::GetOrderAddress,
        Op::GetOrderItems,
        Op::GetOrderItemsBuyerInfo,
        Op::CreateRestrictedDataToken,
        Op::GetSubscription,
        Op::CreateSubscription,
        Op::GetSubscriptionById,
        Op::DeleteSubscriptionById,
        Op::GetDestinations,
        Op::CreateDestination,
        Op::GetDestination,
        Op::DeleteDestination,
        Op::RotateApplicationClientSecret,
    ];

    /// Its entry in the SP-API table: method, path, usage plan, access and roles.
    pub fn operation(self) -> &'static Operation {
        match self {
            Op::GetMarketplaceParticipations => &spapi::GET_MARKETPLACE_PARTICIPATIONS,
            Op::GetOrders => &spapi::GET_ORDERS,
            Op::GetOrder => &spapi::GET_ORDER,
            Op::GetOrderBuyerInfo => &spapi::GET_ORDER_BUYER_INFO,
            Op::GetOrderAddress => &spapi::GET_ORDER_ADDRESS,
            Op::GetOrderItems => &spapi::GET_ORDER_ITEMS,
            Op::GetOrderItemsBuyerInfo => &spapi::GET_ORDER_ITEMS_BUYER_INFO,
            Op::CreateRestrictedDataToken => &spapi::CREATE_RESTRICTED_DATA_TOKEN,
            Op::GetSubscription => &spapi::GET_SUBSCRIPTION,
            Op::CreateSubscription => &spapi::CREATE_SUBSCRIPTION,
            Op::GetSubscriptionById => &spapi::GET_SUBSCRIPTION_BY_ID,
            Op::DeleteSubscriptionById => &spapi::DELETE_SUBSCRIPTION_BY_ID,
            Op::GetDestinations => &spapi::GET_DESTINATIONS,
            Op::CreateDestination => &spapi::CREATE_DESTINATION,
            Op::GetDestination => &spapi::GET_DESTINATION,
            Op::DeleteDestination => &spapi::DELETE_DESTINATION,
            Op::RotateApplicationClientSecret => &spapi::ROTATE_APPLICATION_CLIENT_SECRET,
        }
    }

    /// The `operationId`.
    pub fn name(self) -> &'static str {
        self.operation().name
    }
}

fn decode_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The operation at `method` `path`, with its path parameters (percent-decoded); `Err(true)`
/// when the path exists under another method. Only the operations served here count: the rest of
/// the SP-API table is not found.
pub(crate) fn route(method: &Method, path: &str) -> Result<(Op, Vec<String>), bool> {
    let mut path_known = false;
    for op in Op::ALL {
        let operation = op.operation();
        if let Some(params) = spapi::path_params(operation.template, path) {
            if operation.method == method.as_str() {
                return Ok((op, params.into_iter().map(decode_segment).collect()));
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
        let operation = op.operation();
        match (operation.access, caller.kind) {
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
            (Access::Restricted { .. }, TokenKind::Seller) => Err(ApiError::unauthorized(format!(
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
            (Access::Seller | Access::Elements { .. } | Access::OnRequest, TokenKind::Seller) => {
                let roles = operation.roles;
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
        let plan = op.operation().plan.scaled(caller.rate_scale);
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
    fn every_served_operation_routes_to_its_table_entry() {
        for op in Op::ALL {
            let operation = op.operation();
            assert_eq!(spapi::find(operation.method, operation.template), Some(operation), "{op:?}");
            assert_eq!(
                route(&Method::from_bytes(operation.method.as_bytes()).unwrap(), operation.template).unwrap().0,
                op
            );
        }
        assert_eq!(Op::RotateApplicationClientSecret.operation().plan.header(), "0.0167");
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
