//! The request pipeline shared by every AWS-compatible service.

use crate::auth::{self, Authenticated};
use crate::authz;
use crate::caller::Caller;
use crate::env::Env;
use crate::error::{CommonError, Flavor, ServiceError};
use crate::service::{Ctx, OpOf, Operation, Request as _, Service};
use serde_json::Value;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// An HTTP request, reduced to what the AWS protocols use.
#[derive(Debug, Clone)]
pub struct AwsRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The raw path, as sent.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Header names and values as sent (values that are not UTF-8 are dropped by the server).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The peer address.
    pub source_ip: IpAddr,
    /// Whether the connection was TLS.
    pub secure: bool,
}

/// The response to write back.
#[derive(Debug, Clone)]
pub struct AwsResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers, `x-amzn-RequestId` always among them.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// A failure ready for the protocol encoder.
#[derive(Debug)]
struct Failure {
    code: String,
    message: String,
    status: u16,
    sender_fault: bool,
    query_code: Option<String>,
    /// The status in awsQuery, which awsQueryCompatible JSON services (SQS) keep.
    query_status: u16,
}

impl Failure {
    fn common(e: &CommonError, flavor: Flavor) -> Self {
        let (code, status, message) = e.render(flavor);
        // awsQueryCompatible JSON services (SQS) tell their clients the awsQuery spelling too.
        let (query_code, query_status, _) = e.render(Flavor::Query);
        Self {
            code: code.to_owned(),
            message,
            status,
            sender_fault: status < 500,
            query_code: Some(query_code.to_owned()),
            query_status,
        }
    }

    fn service(e: &dyn ServiceError) -> Self {
        Self {
            code: e.code().to_owned(),
            message: e.to_string(),
            status: e.status(),
            sender_fault: e.sender_fault(),
            query_code: e.query_code().map(str::to_owned),
            query_status: e.status(),
        }
    }
}

/// Where a call's input is, after detection.
enum Input<'a> {
    /// An awsJson body.
    Json(&'a [u8]),
    /// awsQuery parameters (the path may hold more, e.g. SQS's queue URL).
    Query(&'a [(String, String)]),
    /// A restJson request.
    Rest(wire::RestRequest<'a>),
}

/// One incoming call, after detection.
struct Call<'a> {
    operation: &'a str,
    input: Input<'a>,
    path: &'a str,
    /// The model the call is decoded and answered with.
    model: &'static wire::ServiceModel,
    flavor: Flavor,
}

/// The object-safe face of a [`Service`], so the dispatcher can hold them all.
#[async_trait::async_trait]
trait Endpoint: Send + Sync {
    fn signing_name(&self) -> &'static str;
    fn model(&self) -> &'static wire::ServiceModel;
    fn flavor(&self) -> Flavor;
    fn query_model(&self) -> Option<&'static wire::ServiceModel>;
    fn knows(&self, operation: &str) -> bool;
    fn allows_anonymous(&self, operation: &str) -> bool;
    async fn run(&self, ctx: &Ctx<'_>, call: &Call<'_>) -> Result<Value, Failure>;
    /// Validates, authorizes and executes an operation whose input is already decoded.
    async fn decided(
        &self,
        ctx: &Ctx<'_>,
        operation: &str,
        input: Value,
        model: &'static wire::ServiceModel,
        flavor: Flavor,
    ) -> Result<Value, Failure>;
}

#[async_trait::async_trait]
impl<S: Service> Endpoint for S {
    fn signing_name(&self) -> &'static str {
        Service::signing_name(self)
    }

    fn model(&self) -> &'static wire::ServiceModel {
        Service::model(self)
    }

    fn flavor(&self) -> Flavor {
        Service::flavor(self)
    }

    fn query_model(&self) -> Option<&'static wire::ServiceModel> {
        Service::query_model(self)
    }

    fn knows(&self, operation: &str) -> bool {
        OpOf::<S>::from_name(operation).is_some()
    }

    fn allows_anonymous(&self, operation: &str) -> bool {
        OpOf::<S>::from_name(operation).is_some_and(|op| Service::allows_anonymous(self, op))
    }

    async fn run(&self, ctx: &Ctx<'_>, call: &Call<'_>) -> Result<Value, Failure> {
        let flavor = call.flavor;
        let common = |e: CommonError| Failure::common(&e, flavor);
        let op = OpOf::<S>::from_name(call.operation)
            .ok_or_else(|| common(CommonError::UnknownOperation(call.operation.into())))?;
        let model = call.model;
        let input = match &call.input {
            Input::Query(params) => {
                let from_path = self.path_parameters(ctx, op, call.path).map_err(|e| Failure::service(&e))?;
                if from_path.is_empty() {
                    wire::decode_query(model, op.name(), params)
                } else {
                    let all: Vec<(String, String)> = params.iter().cloned().chain(from_path).collect();
                    wire::decode_query(model, op.name(), &all)
                }
            }
            Input::Json(body) => wire::decode_json(model, op.name(), body),
            Input::Rest(req) => wire::decode_rest_json(model, op.name(), req),
        }
        .map_err(|e| common(CommonError::MalformedInput(e.to_string())))?;
        self.decided(ctx, op.name(), input, model, flavor).await
    }

    async fn decided(
        &self,
        ctx: &Ctx<'_>,
        operation: &str,
        input: Value,
        model: &'static wire::ServiceModel,
        flavor: Flavor,
    ) -> Result<Value, Failure> {
        let common = |e: CommonError| Failure::common(&e, flavor);
        let op =
            OpOf::<S>::from_name(operation).ok_or_else(|| common(CommonError::UnknownOperation(operation.into())))?;
        let violations = wire::validate(model, op.name(), &input);
        if let Some(message) = wire::validation_message(&violations) {
            match self.invalid_input(op, &input, &violations) {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(Failure::service(&e)),
                None => return Err(common(CommonError::Validation(message))),
            }
        }
        let request = S::Request::decode(op, input).map_err(common)?;
        let authorization = self.authorize(ctx, &request).await.map_err(|e| Failure::service(&e))?;
        authz::authorize(ctx, &authorization).await.map_err(|e| {
            let mut failure = common(e.clone());
            // SNS, for one, calls a denial AuthorizationError.
            if let (CommonError::AccessDenied(_), Some(code)) = (&e, Service::denial_code(self)) {
                code.clone_into(&mut failure.code);
                failure.query_code = Some(code.to_owned());
            }
            failure
        })?;
        self.execute(ctx, request).await.map_err(|e| Failure::service(&e))
    }
}

/// Routes AWS requests to the registered services and runs the pipeline.
pub struct Dispatcher {
    env: Arc<Env>,
    endpoints: Vec<Arc<dyn Endpoint>>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("services", &self.endpoints.iter().map(|e| e.signing_name()).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What the router found before authentication.
enum Route<'a> {
    Json { endpoint: &'a Arc<dyn Endpoint>, operation: String },
    Query { endpoint: &'a Arc<dyn Endpoint>, operation: String, params: Vec<(String, String)> },
    Rest { endpoint: &'a Arc<dyn Endpoint>, operation: String, labels: Vec<(String, String)> },
    Fail(Flavor, CommonError),
}

impl Dispatcher {
    /// A dispatcher with no services.
    pub fn new(env: Arc<Env>) -> Self {
        Self { env, endpoints: Vec::new() }
    }

    /// Adds a service.
    pub fn register<S: Service>(&mut self, service: S) {
        self.endpoints.push(Arc::new(service));
    }

    /// The shared environment.
    pub fn env(&self) -> &Arc<Env> {
        &self.env
    }

    fn route(&self, parts: &wire::RequestParts<'_>, scope_service: Option<&str>) -> Route<'_> {
        match wire::detect(parts) {
            wire::Detected::Json { target_prefix, operation, .. } => {
                let Some(endpoint) = self
                    .endpoints
                    .iter()
                    .find(|e| e.model().metadata().target_prefix.as_deref() == Some(target_prefix.as_str()))
                else {
                    return Route::Fail(
                        Flavor::Json,
                        CommonError::UnknownOperation(format!("{target_prefix}.{operation}")),
                    );
                };
                if !endpoint.knows(&operation) {
                    return Route::Fail(endpoint.flavor(), CommonError::UnknownOperation(String::new()));
                }
                Route::Json { endpoint, operation }
            }
            wire::Detected::Query { action, version, params } => {
                // The signature's scope names the service; unsigned requests are placed by the
                // API version, or failing that by which service has the action.
                let endpoint = scope_service
                    .and_then(|s| self.endpoints.iter().find(|e| e.signing_name() == s))
                    .or_else(|| {
                        version
                            .as_deref()
                            .and_then(|v| self.endpoints.iter().find(|e| e.model().metadata().api_version == v))
                    })
                    .or_else(|| self.endpoints.iter().find(|e| e.knows(&action)));
                let Some(endpoint) = endpoint else {
                    return Route::Fail(Flavor::Query, unknown_action(&action, version.as_deref()));
                };
                if !endpoint.knows(&action) {
                    return Route::Fail(endpoint.flavor(), unknown_action(&action, version.as_deref()));
                }
                Route::Query { endpoint, operation: action, params }
            }
            wire::Detected::Malformed(e) => Route::Fail(Flavor::Query, CommonError::MalformedInput(e.to_string())),
            wire::Detected::Unknown => self.rest_route(parts, scope_service),
        }
    }

    /// A restJson service's operation, found by method and path (among the services the
    /// signature's scope names, or all of them when unsigned).
    fn rest_route(&self, parts: &wire::RequestParts<'_>, scope_service: Option<&str>) -> Route<'_> {
        let mut rest = self
            .endpoints
            .iter()
            .filter(|e| e.model().metadata().protocol == wire::Protocol::RestJson)
            .filter(|e| scope_service.is_none_or(|s| s == e.signing_name()))
            .peekable();
        let Some(first) = rest.peek().copied() else {
            return Route::Fail(Flavor::Query, CommonError::MissingAction);
        };
        for endpoint in rest {
            if let Some(found) = wire::match_rest(endpoint.model(), parts.method, parts.path) {
                if !endpoint.knows(&found.operation) {
                    return Route::Fail(endpoint.flavor(), CommonError::UnknownOperation(String::new()));
                }
                return Route::Rest { endpoint, operation: found.operation, labels: found.labels };
            }
        }
        // AWS answers a path no operation has with UnknownOperationException.
        if scope_service.is_some() {
            return Route::Fail(first.flavor(), CommonError::UnknownOperation(String::new()));
        }
        Route::Fail(Flavor::Query, CommonError::MissingAction)
    }

    /// No signature at all, to an operation AWS serves unsigned: the caller is anonymous.
    fn anonymous(
        &self,
        e: CommonError,
        endpoint: &dyn Endpoint,
        operation: &str,
    ) -> Result<Authenticated, CommonError> {
        match e {
            CommonError::MissingAuthenticationToken if endpoint.allows_anonymous(operation) => {
                Ok(Authenticated { caller: Caller::anonymous(), region: self.env.default_region.clone() })
            }
            other => Err(other),
        }
    }

    /// Handles one request, start to finish. Never fails: every outcome is an AWS response.
    pub async fn handle(&self, request: AwsRequest) -> AwsResponse {
        let request_id = self.env.ids.uuid();
        let span = tracing::info_span!("aws", request_id = %request_id, service = tracing::field::Empty, operation = tracing::field::Empty);
        self.handle_in_span(request, request_id).instrument(span).await
    }

    async fn handle_in_span(&self, request: AwsRequest, request_id: String) -> AwsResponse {
        let started = Instant::now();
        let headers: Vec<(&str, &str)> = request.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let parts = wire::RequestParts {
            method: &request.method,
            path: &request.path,
            query: &request.query,
            headers: &headers,
            body: &request.body,
        };
        let sig_request = sigv4::Request {
            method: &request.method,
            path: &request.path,
            query: &request.query,
            headers: &headers,
            body: &request.body,
        };
        let parsed = sigv4::parse(&sig_request);
        let scope_service = parsed.as_ref().ok().map(|a| a.scope.service.clone());
        let (endpoint, operation, params, labels) = match self.route(&parts, scope_service.as_deref()) {
            Route::Json { endpoint, operation } => (endpoint, operation, None, None),
            Route::Query { endpoint, operation, params } => (endpoint, operation, Some(params), None),
            Route::Rest { endpoint, operation, labels } => (endpoint, operation, None, Some(labels)),
            Route::Fail(flavor, e) => {
                return encode_failure(None, flavor, &Failure::common(&e, flavor), &request_id);
            }
        };
        let service = endpoint.signing_name();
        tracing::Span::current().record("service", service).record("operation", operation.as_str());
        let (model, flavor) = call_model(endpoint.as_ref(), params.is_some());
        let protocol = model.metadata().protocol;
        let now_ms = self.env.now_ms();

        let authenticated = auth::authenticate(&self.env, &sig_request, parsed, service)
            .await
            .or_else(|e| self.anonymous(e, endpoint.as_ref(), &operation));
        let (result, principal, signed_region) = match authenticated {
            Err(e) => (Err(Failure::common(&e, flavor)), None, None),
            Ok(Authenticated { caller, region }) => {
                let host = request
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("host"))
                    .map_or("", |(_, v)| v.as_str());
                let ctx = Ctx {
                    env: &self.env,
                    request_id: &request_id,
                    caller: &caller,
                    region: &region,
                    source_ip: request.source_ip,
                    host,
                    secure: request.secure,
                    protocol,
                    now_ms,
                };
                let input = call_input(params.as_deref(), labels.as_deref(), &request, &headers);
                let call = Call { operation: &operation, input, path: &request.path, model, flavor };
                (endpoint.run(&ctx, &call).await, Some(caller.arn.clone()), Some(region.clone()))
            }
        };

        let record =
            record(&result, now_ms, &request_id, principal, request.source_ip, service, &operation, signed_region);
        // The record must be durable before the caller hears back: an acknowledged request is
        // never missing from the audit log.
        let audit_failed = self.env.audit.record(record).await.is_err();
        let response = if audit_failed {
            encode_failure(Some(model), flavor, &Failure::common(&CommonError::Internal, flavor), &request_id)
        } else {
            match result {
                Ok(output) => encode_success(model, &operation, &output, &request_id),
                Err(failure) => {
                    if failure.status >= 500 {
                        tracing::error!(code = %failure.code, "request failed on the server side");
                    }
                    encode_failure(Some(model), flavor, &failure, &request_id)
                }
            }
        };
        let status = response.status.to_string();
        metrics::counter!("spcred_requests_total", "service" => service, "operation" => operation.clone(), "status" => status.clone())
            .increment(1);
        metrics::histogram!("spcred_request_duration_seconds", "service" => service, "operation" => operation, "status" => status)
            .record(started.elapsed().as_secs_f64());
        response
    }

    /// Runs `operation` of the service signed as `service` for `ctx`'s caller, as if the caller
    /// had sent it: validated against the service's model, authorized, executed and audited.
    /// CloudFormation provisions a stack's resources this way, each step as its caller.
    pub async fn call(&self, ctx: &Ctx<'_>, service: &str, operation: &str, input: Value) -> Result<Value, CallError> {
        let Some(endpoint) = self.endpoints.iter().find(|e| e.signing_name() == service) else {
            return Err(CallError {
                code: "InternalFailure".into(),
                message: format!("no service {service}"),
                status: 500,
            });
        };
        let (model, flavor) = (endpoint.model(), endpoint.flavor());
        let request_id = self.env.ids.uuid();
        let inner = Ctx { request_id: &request_id, protocol: model.metadata().protocol, ..*ctx };
        let result = endpoint.decided(&inner, operation, input, model, flavor).await;
        let principal = Some(ctx.caller.arn.clone());
        let region = Some(ctx.region.to_owned());
        let record = record(&result, ctx.now_ms, &request_id, principal, ctx.source_ip, service, operation, region);
        if self.env.audit.record(record).await.is_err() {
            return Err(CallError {
                code: "InternalFailure".into(),
                message: "the audit log refused".into(),
                status: 500,
            });
        }
        result.map_err(|f| CallError { code: f.code, message: f.message, status: f.status })
    }
}

/// Why a [`Dispatcher::call`] failed: the error the service would have answered.
#[derive(Debug, Clone)]
pub struct CallError {
    /// The error code, e.g. `AccessDenied`.
    pub code: String,
    /// The message.
    pub message: String,
    /// The HTTP status it would have had.
    pub status: u16,
}

/// The audit record of one call.
#[allow(clippy::too_many_arguments)]
fn record(
    result: &Result<Value, Failure>,
    now_ms: i64,
    request_id: &str,
    principal: Option<String>,
    source_ip: IpAddr,
    service: &str,
    operation: &str,
    region: Option<String>,
) -> store::audit::Record {
    let (outcome, error_code) = outcome(result);
    store::audit::Record {
        time_ms: now_ms,
        request_id: request_id.to_owned(),
        principal_arn: principal,
        source_ip: source_ip.to_string(),
        service: service.to_owned(),
        operation: operation.to_owned(),
        outcome: outcome.to_owned(),
        error_code,
        region,
    }
}

/// Where the call's input is: awsQuery parameters, a restJson request, or an awsJson body.
fn call_input<'a>(
    params: Option<&'a [(String, String)]>,
    labels: Option<&'a [(String, String)]>,
    request: &'a AwsRequest,
    headers: &'a [(&'a str, &'a str)],
) -> Input<'a> {
    match (params, labels) {
        (Some(params), _) => Input::Query(params),
        (None, Some(labels)) => {
            Input::Rest(wire::RestRequest { labels, query: &request.query, headers, body: &request.body })
        }
        (None, None) => Input::Json(&request.body),
    }
}

/// The model a call is decoded and answered with, and how its common errors are spelled: a JSON
/// service that also takes awsQuery (SQS) answers awsQuery calls from its awsQuery model.
fn call_model(endpoint: &dyn Endpoint, query: bool) -> (&'static wire::ServiceModel, Flavor) {
    match endpoint.query_model().filter(|_| query) {
        Some(model) => (model, Flavor::Query),
        None => (endpoint.model(), endpoint.flavor()),
    }
}

fn unknown_action(action: &str, version: Option<&str>) -> CommonError {
    CommonError::UnknownOperation(match version {
        Some(v) => format!("Could not find operation {action} for version {v}"),
        None => format!("Could not find operation {action}"),
    })
}

fn encode_success(model: &wire::ServiceModel, operation: &str, output: &Value, request_id: &str) -> AwsResponse {
    let body = match model.metadata().protocol {
        wire::Protocol::Query => wire::encode_query(model, operation, output, request_id).into_bytes(),
        wire::Protocol::Json1_0 | wire::Protocol::Json1_1 => wire::encode_json(model, operation, output),
        wire::Protocol::RestJson => {
            let rest = wire::encode_rest_json(model, operation, output);
            let mut headers = vec![("x-amzn-RequestId".to_owned(), request_id.to_owned())];
            headers.extend(rest.headers);
            return AwsResponse { status: rest.status, headers, body: rest.body };
        }
    };
    AwsResponse {
        status: 200,
        headers: vec![
            ("x-amzn-RequestId".into(), request_id.into()),
            ("content-type".into(), model.metadata().protocol.content_type().into()),
        ],
        body,
    }
}

/// Models for failures that happen before a service is known: only their protocol matters.
static GENERIC_QUERY: std::sync::LazyLock<wire::ServiceModel> = std::sync::LazyLock::new(|| generic_model("query"));
static GENERIC_JSON: std::sync::LazyLock<wire::ServiceModel> = std::sync::LazyLock::new(|| generic_model("json"));

fn generic_model(protocol: &str) -> wire::ServiceModel {
    let json = serde_json::json!({
        "metadata": {"protocol": protocol, "jsonVersion": "1.1", "apiVersion": "", "endpointPrefix": "", "signatureVersion": "v4"},
        "operations": {},
        "shapes": {},
    });
    wire::ServiceModel::from_json(&json.to_string()).expect("a model with no operations is valid")
}

/// How the audit log names a request's result: `Allowed`, `Denied` or `Error`, with the code.
fn outcome(result: &Result<Value, Failure>) -> (&'static str, Option<String>) {
    match result {
        Ok(_) => ("Allowed", None),
        Err(f) if f.status == 403 || f.code.starts_with("AccessDenied") => ("Denied", Some(f.code.clone())),
        Err(f) => ("Error", Some(f.code.clone())),
    }
}

fn encode_failure(
    model: Option<&wire::ServiceModel>,
    flavor: Flavor,
    failure: &Failure,
    request_id: &str,
) -> AwsResponse {
    let model = match (model, flavor) {
        (Some(model), _) => model,
        (None, Flavor::Query) => &GENERIC_QUERY,
        (None, Flavor::Json) => &GENERIC_JSON,
    };
    let mut headers = vec![("x-amzn-RequestId".to_owned(), request_id.to_owned())];
    let status = if model.metadata().aws_query_compatible { failure.query_status } else { failure.status };
    let bytes = if model.metadata().protocol == wire::Protocol::Query {
        // A service whose JSON codes differ from its awsQuery ones (SQS) answers awsQuery with the latter.
        let code = failure.query_code.as_deref().unwrap_or(&failure.code);
        let body = wire::ErrorBody::new(code, &failure.message, failure.sender_fault, request_id);
        headers.push(("content-type".into(), "text/xml".into()));
        wire::encode_query_error(model, &body).into_bytes()
    } else {
        let body = wire::ErrorBody::new(&failure.code, &failure.message, failure.sender_fault, request_id);
        let encoded = wire::encode_json_error(model, &body, failure.query_code.as_deref());
        headers.push(("content-type".into(), model.metadata().protocol.content_type().into()));
        headers.extend(encoded.headers);
        encoded.body
    };
    AwsResponse { status, headers, body: bytes }
}
