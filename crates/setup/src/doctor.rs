//! `spcred doctor`: one check per link of the chain, each passed, warned, failed or skipped, with
//! the command that fixes it. Resource policies are evaluated with IAM's own logic (the policy
//! crate) for the principal AWS would see: EventBridge publishing for the rule, Amazon's account
//! sending to the queues.

use crate::aws::{AwsError, Clients, absent, failed, missing};
use crate::documents::{self, AMAZON_ACCOUNT};
use crate::setup::{describe, subscriptions};
use crate::{
    Account, EXPIRY_QUEUE, IAM_POLICY, IAM_ROLE, IAM_USER, NEW_SECRET_QUEUE, RULE, SECRET_LIFETIME_DAYS, STS_POLICY,
    Scope, TOPIC,
};
use agent::lwa::{Grant, Lwa as LwaEndpoint};
use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_ssm::types::{ParameterMetadata, ParameterTier, ParameterType};
use crypto::Secret;
use policy::{
    Context, Decision, Input, Policy, PolicyKind, Principal, PrincipalKind, Request, ResourceMode, ResourcePolicy,
    Source, SourceType,
};
use serde::Serialize;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What to check.
#[derive(Debug, Clone)]
pub struct Options {
    /// What to check; the subscribers named must be subscribed and confirmed.
    pub scope: Scope,
    /// The SP-API endpoint the sellers' tokens are tried against.
    pub sp_endpoint: String,
    /// The LWA token endpoint.
    pub lwa_endpoint: String,
}

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// In order.
    Pass,
    /// In order for now; act soon.
    Warn,
    /// Broken.
    Fail,
    /// Not applicable.
    Skip,
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// A stable name (`sns-subscriptions`, `parameter:/my-erp/lwa/clientsecret`, ...).
    pub name: String,
    /// The outcome.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about a warning or a failure.
    pub fix: Option<String>,
}

/// Every check, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Whether no check failed.
    pub ok: bool,
    /// The checks.
    pub checks: Vec<Check>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            let tag = match c.status {
                Status::Pass => "PASS",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
                Status::Skip => "SKIP",
            };
            write!(f, "{tag}  {}: {}", c.name, c.detail)?;
            if let Some(fix) = &c.fix {
                write!(f, " -- fix: {fix}")?;
            }
            writeln!(f)?;
        }
        let failed = self.checks.iter().filter(|c| c.status == Status::Fail).count();
        let warned = self.checks.iter().filter(|c| c.status == Status::Warn).count();
        write!(f, "{} checks: {failed} failed, {warned} warnings", self.checks.len())
    }
}

struct Doctor<'a> {
    aws: &'a Clients,
    http: &'a reqwest::Client,
    options: &'a Options,
    account: Account,
    /// The server's clock, in seconds: ages are measured against it, not ours.
    now: i64,
    checks: Vec<Check>,
}

/// Runs every check.
pub async fn run(aws: &Clients, http: &reqwest::Client, options: &Options) -> Report {
    let mut checks = Vec::new();
    let identity = match aws.sts.get_caller_identity().send().await.map_err(failed("GetCallerIdentity")) {
        Ok(identity) => identity,
        Err(e) => {
            checks.push(fail(
                "aws-credentials",
                e.to_string(),
                "configure AWS credentials (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and a region",
            ));
            return Report { ok: false, checks };
        }
    };
    checks.push(pass("aws-credentials", format!("the AWS keys work, as {}", identity.arn().unwrap_or_default())));
    let account = Account { id: identity.account().unwrap_or_default().to_owned(), region: aws.region.clone() };
    let now = server_now(aws).await;
    let mut d = Doctor { aws, http, options, account, now, checks };
    if options.scope.iam {
        d.iam().await;
    } else {
        d.checks.push(Check {
            name: "iam".into(),
            status: Status::Skip,
            detail: "IAM not checked: SP-API has needed no IAM since 2 October 2023 (--iam checks the legacy setup)"
                .into(),
            fix: None,
        });
    }
    let secret = d.parameters().await;
    d.rule().await;
    d.topic_policy().await;
    d.subscriptions().await;
    for name in [EXPIRY_QUEUE, NEW_SECRET_QUEUE] {
        d.queue(name).await;
    }
    d.lwa(secret).await;
    d.logs().await;
    let ok = !d.checks.iter().any(|c| c.status == Status::Fail);
    Report { ok, checks: d.checks }
}

/// At most this many log groups are searched for secrets.
const LOG_GROUPS_CHECKED: usize = 200;
/// What LWA credentials begin with, and what each is.
const SECRET_SHAPES: [(&str, &str); 3] =
    [("Atza|", "an LWA access token"), ("Atzr|", "an LWA refresh token"), ("amzn1.oa2-cs.v1.", "an LWA client secret")];

fn pass(name: &str, detail: impl Into<String>) -> Check {
    Check { name: name.into(), status: Status::Pass, detail: detail.into(), fix: None }
}

fn fail(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check { name: name.into(), status: Status::Fail, detail: detail.into(), fix: Some(fix.into()) }
}

/// The server's clock. STS states a fresh session's expiry on its own clock, which is the one
/// that ages keys and parameters (and may be virtual, in spcred's test mode). Our clock when
/// the caller may not get a session token (a role session).
async fn server_now(aws: &Clients) -> i64 {
    const SECONDS: i32 = 900;
    let session = aws.sts.get_session_token().duration_seconds(SECONDS).send().await;
    match session.ok().and_then(|s| s.credentials().map(|c| c.expiration().secs())) {
        Some(expiration) => expiration - i64::from(SECONDS),
        None => {
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        }
    }
}

/// Whether the resource policy `doc` lets `principal` do `action` on `resource`.
fn resource_allows(
    doc: Option<&str>,
    kind: PolicyKind,
    mode: ResourceMode,
    principal: &Principal,
    action: &str,
    resource: &str,
    context: &Context,
) -> Result<bool, String> {
    let Some(doc) = doc.filter(|d| !d.is_empty()) else {
        return Ok(false);
    };
    let policy = Policy::parse(doc, kind).map_err(|e| format!("the policy does not parse: {e}"))?;
    let source = Source { policy: &policy, id: "resource", source_type: SourceType::Resource };
    let input = Input {
        identity: &[],
        boundary: None,
        resource: Some(ResourcePolicy { source, mode }),
        session: None,
        identity_applies: false,
    };
    Ok(policy::decide(&input, &Request { principal, action, resource, context }) == Decision::Allowed)
}

fn amazon() -> Principal {
    Principal {
        arn: documents::amazon_principal(),
        account: AMAZON_ACCOUNT.into(),
        kind: PrincipalKind::Root,
        userid: AMAZON_ACCOUNT.into(),
        username: None,
        tags: Vec::new(),
    }
}

/// EventBridge, as a topic policy sees it publishing for a rule.
fn eventbridge() -> Principal {
    const SERVICE: &str = "events.amazonaws.com";
    Principal {
        arn: SERVICE.into(),
        account: String::new(),
        kind: PrincipalKind::Service(SERVICE.into()),
        userid: SERVICE.into(),
        username: None,
        tags: Vec::new(),
    }
}

fn days(seconds: i64) -> i64 {
    seconds.div_euclid(86_400)
}

impl Doctor<'_> {
    /// The LWA token endpoint doctor exchanges with.
    fn lwa_endpoint(&self) -> LwaEndpoint {
        LwaEndpoint::new(self.http.clone(), self.options.lwa_endpoint.clone())
    }

    fn push(&mut self, check: Check) {
        self.checks.push(check);
    }

    async fn simulate(&self, source_arn: &str, action: &str, resource: &str) -> Result<String, AwsError> {
        let out = self
            .aws
            .iam
            .simulate_principal_policy()
            .policy_source_arn(source_arn)
            .action_names(action)
            .resource_arns(resource)
            .send()
            .await
            .map_err(failed("SimulatePrincipalPolicy"))?;
        Ok(out.evaluation_results().first().map(|r| r.eval_decision().as_str().to_owned()).unwrap_or_default())
    }

    async fn iam(&mut self) {
        let (user_arn, role_arn, policy_arn) =
            (self.account.user_arn(), self.account.role_arn(), self.account.policy_arn());
        let sts_fix = format!(
            "aws iam put-user-policy --user-name {IAM_USER} --policy-name {STS_POLICY} --policy-document '{}'",
            documents::sts_policy(&role_arn)
        );
        let check = match self.simulate(&user_arn, "sts:AssumeRole", &role_arn).await {
            Ok(d) if d == "allowed" => pass(
                "iam-user-may-assume-role",
                format!("simulation: {IAM_USER} may call sts:AssumeRole on {IAM_ROLE}"),
            ),
            Ok(d) => fail(
                "iam-user-may-assume-role",
                format!("simulation: sts:AssumeRole on {IAM_ROLE} is {d} for {IAM_USER}"),
                sts_fix,
            ),
            Err(e) => fail("iam-user-may-assume-role", e.to_string(), format!("run spcred setup --iam, or {sts_fix}")),
        };
        self.push(check);
        let check = self.assume_role(&role_arn).await;
        self.push(check);
        let invoke = format!("arn:aws:execute-api:{}:{}:*", self.account.region, self.account.id);
        let attach_fix = format!("aws iam attach-role-policy --role-name {IAM_ROLE} --policy-arn {policy_arn}");
        let check = match self.simulate(&role_arn, "execute-api:Invoke", &invoke).await {
            Ok(d) if d == "allowed" => {
                pass("iam-role-may-invoke", format!("simulation: {IAM_ROLE} may call execute-api:Invoke"))
            }
            Ok(d) => fail(
                "iam-role-may-invoke",
                format!("simulation: execute-api:Invoke is {d} for {IAM_ROLE} (is {IAM_POLICY} attached?)"),
                attach_fix,
            ),
            Err(e) => fail("iam-role-may-invoke", e.to_string(), format!("run spcred setup --iam, or {attach_fix}")),
        };
        self.push(check);
        let check = self.access_keys().await;
        self.push(check);
    }

    /// A real AssumeRole with the user's stored keys, as the app in legacy mode makes it.
    async fn assume_role(&self, role_arn: &str) -> Check {
        const NAME: &str = "iam-assume-role";
        let names = &self.options.scope.names;
        let (id, secret) =
            match (self.secure(&names.user_access_key_id).await, self.secure(&names.user_secret_access_key).await) {
                (Ok(Some(id)), Ok(Some(secret))) => (id, secret),
                (Err(e), _) | (_, Err(e)) => {
                    return fail(NAME, e.to_string(), "grant ssm:GetParameter and kms:Decrypt to the caller");
                }
                _ => {
                    return fail(
                        NAME,
                        format!(
                            "{IAM_USER}'s access key is not stored in {} and {}",
                            names.user_access_key_id, names.user_secret_access_key
                        ),
                        "run spcred setup --iam",
                    );
                }
            };
        let sts = self.aws.sts_as(id.expose(), secret.expose());
        match sts.assume_role().role_arn(role_arn).role_session_name("spcred-doctor").duration_seconds(900).send().await
        {
            Ok(_) => pass(NAME, format!("{IAM_USER} assumed {IAM_ROLE} with its stored access key")),
            Err(e) => fail(
                NAME,
                failed("AssumeRole")(e).to_string(),
                format!(
                    "aws iam update-assume-role-policy --role-name {IAM_ROLE} --policy-document '{}'",
                    documents::trust_policy(&self.account.user_arn())
                ),
            ),
        }
    }

    async fn access_keys(&self) -> Check {
        const NAME: &str = "iam-access-keys";
        let listed =
            match self.aws.iam.list_access_keys().user_name(IAM_USER).send().await.map_err(failed("ListAccessKeys")) {
                Ok(l) => l,
                Err(e) => return fail(NAME, e.to_string(), "run spcred setup --iam"),
            };
        let keys = listed.access_key_metadata();
        let rotate = format!(
            "aws iam create-access-key --user-name {IAM_USER}, store it in {}/{}, then aws iam delete-access-key --user-name {IAM_USER} --access-key-id <the old one>",
            self.options.scope.names.user_access_key_id, self.options.scope.names.user_secret_access_key
        );
        if keys.len() > 2 {
            return fail(NAME, format!("{IAM_USER} has {} access keys; IAM allows two", keys.len()), rotate);
        }
        let old: Vec<String> = keys
            .iter()
            .filter_map(|k| {
                let age = days(self.now - k.create_date()?.secs());
                (age >= 90).then(|| format!("{} is {age} days old", k.access_key_id().unwrap_or_default()))
            })
            .collect();
        if old.is_empty() {
            pass(NAME, format!("{IAM_USER} has {} access key(s), none 90 days old", keys.len()))
        } else {
            fail(NAME, format!("{}: rotate access keys every 90 days", old.join(", ")), rotate)
        }
    }

    /// A SecureString's decrypted value, `None` when it does not exist.
    async fn secure(&self, name: &str) -> Result<Option<Secret>, AwsError> {
        let got = absent(
            self.aws.ssm.get_parameter().name(name).with_decryption(true).send().await.map_err(failed("GetParameter")),
            missing::SSM,
        )?;
        Ok(got.and_then(|g| g.parameter().and_then(|p| p.value()).map(Secret::new)))
    }

    /// The three parameters; returns the LWA credentials and the secret's last change (seconds).
    async fn parameters(&mut self) -> Option<Lwa> {
        let names = self.options.scope.names.clone();
        let client_id = self.parameter(&names.parameters.client_id, false).await;
        let client_secret = self.parameter(&names.parameters.client_secret, true).await;
        let mut sellers = Vec::new();
        if let Some((token, _)) = self.parameter(&names.parameters.refresh_token, false).await {
            sellers.push(("the refresh token".to_owned(), names.parameters.refresh_token.clone(), token));
        }
        let (Some((client_id, _)), Some((client_secret, expiry))) = (client_id, client_secret) else {
            return None;
        };
        match self.seller_tokens().await {
            Ok(more) => sellers.extend(more),
            Err(e) => {
                self.push(fail(
                    "sellers",
                    e.to_string(),
                    "grant ssm:GetParametersByPath and kms:Decrypt to the caller",
                ));
            }
        }
        Some(Lwa { client_id, client_secret, expiry, sellers })
    }

    /// One parameter: exists, is a SecureString, decrypts; the secret also sits on the Advanced
    /// tier with the blog's policy. The refresh token may be absent when sellers have their own.
    async fn parameter(&mut self, name: &str, is_secret: bool) -> Option<(Secret, Expiry)> {
        let check_name = format!("parameter:{name}");
        let setup_fix =
            "give the value in SPCRED_LWA_CLIENT_ID/SPCRED_LWA_CLIENT_SECRET/SPCRED_REFRESH_TOKEN and run spcred setup";
        let got =
            self.aws.ssm.get_parameter().name(name).with_decryption(true).send().await.map_err(failed("GetParameter"));
        let parameter = match absent(got, missing::SSM) {
            Ok(Some(p)) => p.parameter.unwrap_or_else(|| aws_sdk_ssm::types::Parameter::builder().build()),
            Ok(None) if name == self.options.scope.names.parameters.refresh_token => {
                self.push(Check {
                    name: check_name,
                    status: Status::Skip,
                    detail: format!(
                        "no single refresh token; sellers' tokens are read under {}",
                        self.options.scope.names.parameters.sellers_prefix
                    ),
                    fix: None,
                });
                return None;
            }
            Ok(None) => {
                self.push(fail(&check_name, format!("{name} does not exist"), setup_fix));
                return None;
            }
            Err(e) => {
                self.push(fail(
                    &check_name,
                    e.to_string(),
                    "grant ssm:GetParameter and kms:Decrypt on the key to the caller",
                ));
                return None;
            }
        };
        let value = parameter.value().unwrap_or_default();
        let changed = parameter.last_modified_date().map_or(self.now, aws_sdk_ssm::primitives::DateTime::secs);
        let mut expiry = Expiry { at: changed + SECRET_LIFETIME_DAYS * 86_400, recorded: false };
        if parameter.r#type() != Some(&ParameterType::SecureString) {
            self.push(fail(&check_name, format!("{name} is not a SecureString"), setup_fix));
            return None;
        }
        if value.is_empty() {
            self.push(fail(&check_name, format!("{name} decrypted to nothing"), setup_fix));
            return None;
        }
        if !is_secret {
            self.push(pass(&check_name, format!("{name} decrypts")));
            return Some((Secret::new(value), expiry));
        }
        let meta = match describe(self.aws, name).await {
            Ok(m) => m,
            Err(e) => {
                self.push(fail(&check_name, e.to_string(), "grant ssm:DescribeParameters to the caller"));
                return Some((Secret::new(value), expiry));
            }
        };
        if let Some(at) = meta.as_ref().and_then(|m| m.description()).and_then(recorded_expiry) {
            expiry = Expiry { at, recorded: true };
        }
        let wanted = documents::no_change_notification();
        let held: Vec<_> = meta
            .iter()
            .flat_map(ParameterMetadata::policies)
            .filter_map(|p| p.policy_text())
            .filter_map(documents::parse_document)
            .collect();
        let rewrite = "run spcred setup (it rewrites the parameter with the value it holds)";
        if meta.as_ref().and_then(ParameterMetadata::tier) != Some(&ParameterTier::Advanced) {
            let problem =
                format!("{name} is not on the Advanced tier, so it cannot carry the NoChangeNotification policy");
            self.push(fail(&check_name, problem, rewrite));
        } else if serde_json::Value::Array(held) != wanted {
            self.push(fail(&check_name, format!("{name} lacks the NoChangeNotification policy (150 days)"), rewrite));
        } else {
            self.push(pass(
                &check_name,
                format!("{name} decrypts, Advanced tier, NoChangeNotification after 150 days"),
            ));
        }
        Some((Secret::new(value), expiry))
    }

    async fn seller_tokens(&self) -> Result<Vec<(String, String, Secret)>, AwsError> {
        let prefix = self.options.scope.names.parameters.sellers_prefix.clone();
        let pages: Vec<_> = self
            .aws
            .ssm
            .get_parameters_by_path()
            .path(&prefix)
            .recursive(true)
            .with_decryption(true)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(failed("GetParametersByPath"))?;
        let mut out = Vec::new();
        for p in pages
            .iter()
            .flat_map(aws_sdk_ssm::operation::get_parameters_by_path::GetParametersByPathOutput::parameters)
            .take(1000)
        {
            let name = p.name().unwrap_or_default();
            if let Some(seller) = self.options.scope.names.parameters.seller_of(name) {
                out.push((format!("seller {seller}"), name.to_owned(), Secret::new(p.value().unwrap_or_default())));
            }
        }
        Ok(out)
    }

    async fn rule(&mut self) {
        const NAME: &str = "events-rule";
        let events = &self.aws.events;
        let topic_arn = self.account.topic_arn();
        let setup_fix = "run spcred setup".to_owned();
        let rule = match absent(
            events.describe_rule().name(RULE).send().await.map_err(failed("DescribeRule")),
            missing::EVENTS,
        ) {
            Ok(Some(r)) => r,
            Ok(None) => return self.push(fail(NAME, format!("the rule {RULE} does not exist"), setup_fix)),
            Err(e) => return self.push(fail(NAME, e.to_string(), "grant events:DescribeRule to the caller")),
        };
        if rule.state().map(aws_sdk_eventbridge::types::RuleState::as_str) != Some("ENABLED") {
            return self.push(fail(
                NAME,
                format!("{RULE} is disabled"),
                format!("aws events enable-rule --name {RULE}"),
            ));
        }
        let event = documents::sample_policy_action(
            &self.account.id,
            &self.account.region,
            &self.options.scope.names.parameters.client_secret,
        );
        let matched = events
            .test_event_pattern()
            .event_pattern(rule.event_pattern().unwrap_or_default())
            .event(event.to_string())
            .send()
            .await
            .map_err(failed("TestEventPattern"));
        match matched {
            Ok(m) if m.result() => {}
            Ok(_) => {
                return self.push(fail(
                    NAME,
                    format!(
                        "{RULE} does not match the Parameter Store Policy Action of {}",
                        self.options.scope.names.parameters.client_secret
                    ),
                    setup_fix,
                ));
            }
            Err(e) => return self.push(fail(NAME, e.to_string(), setup_fix)),
        }
        let targets = match events.list_targets_by_rule().rule(RULE).send().await.map_err(failed("ListTargetsByRule")) {
            Ok(t) => t,
            Err(e) => return self.push(fail(NAME, e.to_string(), setup_fix)),
        };
        if targets.targets().iter().any(|t| t.arn() == topic_arn) {
            self.push(pass(NAME, format!("{RULE} routes the secret's policy actions to {TOPIC}")));
        } else {
            self.push(fail(
                NAME,
                format!("{RULE} has no target {TOPIC}"),
                format!("aws events put-targets --rule {RULE} --targets Id={},Arn={topic_arn}", crate::TARGET_ID),
            ));
        }
    }

    async fn topic_policy(&mut self) {
        const NAME: &str = "sns-topic-policy";
        let (topic_arn, rule_arn) = (self.account.topic_arn(), self.account.rule_arn());
        let fix = format!(
            "spcred setup (adds the statement, keeping the others), or replace the policy: aws sns set-topic-attributes \
             --topic-arn {topic_arn} --attribute-name Policy --attribute-value '{}'",
            documents::policy_of(&documents::topic_statement(&topic_arn, &rule_arn))
        );
        let got = self
            .aws
            .sns
            .get_topic_attributes()
            .topic_arn(&topic_arn)
            .send()
            .await
            .map_err(failed("GetTopicAttributes"));
        let attributes = match absent(got, missing::SNS) {
            Ok(Some(a)) => a.attributes.unwrap_or_default(),
            Ok(None) => return self.push(fail(NAME, format!("the topic {TOPIC} does not exist"), "run spcred setup")),
            Err(e) => return self.push(fail(NAME, e.to_string(), "grant sns:GetTopicAttributes to the caller")),
        };
        let events = eventbridge();
        let mut context = Context::for_principal(&events);
        context.set("aws:SourceArn", rule_arn.clone());
        context.set("aws:SourceAccount", self.account.id.clone());
        let policy = attributes.get("Policy").map(String::as_str);
        match resource_allows(
            policy,
            PolicyKind::Resource,
            ResourceMode::Optional,
            &events,
            "sns:Publish",
            &topic_arn,
            &context,
        ) {
            Ok(true) => self.push(pass(NAME, format!("EventBridge may publish to {TOPIC} for {RULE}"))),
            Ok(false) => {
                self.push(fail(
                    NAME,
                    format!("the policy of {TOPIC} does not let EventBridge publish for {RULE}"),
                    fix,
                ));
            }
            Err(e) => self.push(fail(NAME, e, fix)),
        }
    }

    async fn subscriptions(&mut self) {
        const NAME: &str = "sns-subscriptions";
        let topic_arn = self.account.topic_arn();
        let held = match subscriptions(self.aws, &topic_arn).await {
            Ok(h) => h,
            Err(e) => return self.push(fail(NAME, e.to_string(), "run spcred setup")),
        };
        let wanted = self.options.scope.subscribers();
        let mut problems = Vec::new();
        let mut fixes = Vec::new();
        for (protocol, endpoint) in &wanted {
            match held.iter().find(|s| s.protocol == *protocol && s.endpoint == *endpoint) {
                None => {
                    problems.push(format!("{protocol} {endpoint} is not subscribed"));
                    fixes.push(format!(
                        "aws sns subscribe --topic-arn {topic_arn} --protocol {protocol} --notification-endpoint {endpoint}"
                    ));
                }
                Some(s) if !s.confirmed => {
                    problems.push(format!("{protocol} {endpoint} has not confirmed"));
                    fixes.push(format!("follow the link in the confirmation message sent to {endpoint}"));
                }
                Some(_) => {}
            }
        }
        if wanted.is_empty() {
            for s in held.iter().filter(|s| !s.confirmed) {
                problems.push(format!("{} {} has not confirmed", s.protocol, s.endpoint));
                fixes.push(format!("follow the link in the confirmation message sent to {}", s.endpoint));
            }
            if held.is_empty() {
                problems.push(format!("nobody is subscribed to {TOPIC}"));
                fixes.push("spcred setup --email ADDRESS --sms +NUMBER".into());
            }
        }
        if problems.is_empty() {
            let list: Vec<String> = held.iter().map(|s| format!("{} {}", s.protocol, s.endpoint)).collect();
            self.push(pass(NAME, format!("confirmed: {}", list.join(", "))));
        } else {
            self.push(fail(NAME, problems.join("; "), fixes.join("; ")));
        }
    }

    /// Log groups that hold text shaped like LWA credentials: the rotation blog's function prints
    /// the LWA answer (an access token), and logs are read by more people than secrets are. The
    /// tokens themselves are never shown, only where they are.
    async fn logs(&mut self) {
        const NAME: &str = "log-secrets";
        let mut groups = Vec::new();
        let mut token = None;
        loop {
            let page = self.aws.logs.describe_log_groups().set_next_token(token).send().await;
            let page = match page.map_err(failed("DescribeLogGroups")) {
                Ok(p) => p,
                Err(e) => {
                    let detail = format!("log groups not checked: {e}");
                    return self.push(Check { name: NAME.into(), status: Status::Skip, detail, fix: None });
                }
            };
            groups.extend(page.log_groups().iter().filter_map(|g| g.log_group_name().map(str::to_owned)));
            token = page.next_token().map(str::to_owned);
            if token.is_none() || groups.len() >= LOG_GROUPS_CHECKED {
                break;
            }
        }
        let mut found = Vec::new();
        for group in groups.iter().take(LOG_GROUPS_CHECKED) {
            for (prefix, what) in SECRET_SHAPES {
                let hits = self
                    .aws
                    .logs
                    .filter_log_events()
                    .log_group_name(group)
                    .filter_pattern(format!("\"{prefix}\""))
                    .limit(1)
                    .send()
                    .await;
                if let Ok(hits) = hits
                    && let Some(event) = hits.events().first()
                {
                    let stream = event.log_stream_name().unwrap_or("?");
                    found.push((group.clone(), format!("{group} (stream {stream}) holds what looks like {what}")));
                }
            }
        }
        if found.is_empty() {
            let detail =
                format!("no LWA token or client secret in {} log group(s)", groups.len().min(LOG_GROUPS_CHECKED));
            return self.push(pass(NAME, detail));
        }
        let mut fixes: Vec<String> = found
            .iter()
            .map(|(group, _)| format!("aws logs put-retention-policy --log-group-name {group} --retention-in-days 1"))
            .collect();
        fixes.dedup();
        fixes.insert(0, "stop printing LWA answers and secrets (the rotation blog's function prints its token)".into());
        let detail: Vec<String> = found.into_iter().map(|(_, d)| d).collect();
        self.push(Check {
            name: NAME.into(),
            status: Status::Warn,
            detail: detail.join("; "),
            fix: Some(fixes.join("; ")),
        });
    }

    async fn queue(&mut self, name: &str) {
        let check = format!("sqs-queue:{name}");
        let sqs = &self.aws.sqs;
        let arn = self.account.queue_arn(name);
        let fix = "run spcred setup";
        let url = match absent(
            sqs.get_queue_url().queue_name(name).send().await.map_err(failed("GetQueueUrl")),
            missing::SQS,
        ) {
            Ok(Some(u)) => u.queue_url().unwrap_or_default().to_owned(),
            Ok(None) => return self.push(fail(&check, format!("the queue {name} does not exist"), fix)),
            Err(e) => return self.push(fail(&check, e.to_string(), fix)),
        };
        let got = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .map_err(failed("GetQueueAttributes"));
        let attributes = match got {
            Ok(a) => a.attributes.unwrap_or_default(),
            Err(e) => return self.push(fail(&check, e.to_string(), "grant sqs:GetQueueAttributes to the caller")),
        };
        let amazon = amazon();
        let context = Context::for_principal(&amazon);
        let policy = attributes.get(&QueueAttributeName::Policy).map(String::as_str);
        let policy_fix = format!(
            "spcred setup (adds the statement, keeping the others), or replace the policy: aws sqs set-queue-attributes \
             --queue-url {url} --attributes '{}'",
            serde_json::json!({"Policy": documents::policy_of(&documents::queue_statement(&arn)).to_string()})
        );
        match resource_allows(
            policy,
            PolicyKind::Resource,
            ResourceMode::Optional,
            &amazon,
            "sqs:SendMessage",
            &arn,
            &context,
        ) {
            Ok(true) => {}
            Ok(false) => {
                return self.push(fail(
                    &check,
                    format!("the policy of {name} does not let Amazon ({AMAZON_ACCOUNT}) send: SP-API cannot deliver the notices"),
                    policy_fix,
                ));
            }
            Err(e) => return self.push(fail(&check, e, policy_fix)),
        }
        let Some(key) = attributes.get(&QueueAttributeName::KmsMasterKeyId).filter(|k| !k.is_empty()) else {
            return self.push(pass(&check, format!("Amazon ({AMAZON_ACCOUNT}) may send to {name}")));
        };
        // GetKeyPolicy takes no alias, the queue may name one.
        let kms = &self.aws.kms;
        let held = match kms.describe_key().key_id(key).send().await.map_err(failed("DescribeKey")) {
            Ok(d) => {
                let key_id = d.key_metadata().map(|m| m.key_id().to_owned()).unwrap_or_default();
                kms.get_key_policy().key_id(key_id).policy_name("default").send().await.map_err(failed("GetKeyPolicy"))
            }
            Err(e) => Err(e),
        };
        let doc = match held {
            Ok(h) => h.policy,
            Err(e) => {
                return self.push(fail(
                    &check,
                    format!("{name} is encrypted with {key}: {e}"),
                    "grant kms:DescribeKey and kms:GetKeyPolicy to the caller",
                ));
            }
        };
        for action in ["kms:GenerateDataKey", "kms:Decrypt"] {
            let allowed = resource_allows(
                doc.as_deref(),
                PolicyKind::KeyPolicy,
                ResourceMode::Required,
                &amazon,
                action,
                "*",
                &context,
            );
            if allowed != Ok(true) {
                return self.push(fail(
                    &check,
                    format!("{name} is encrypted with {key}, whose policy does not let Amazon ({AMAZON_ACCOUNT}) use it ({action})"),
                    "run spcred setup --queue-kms (it grants Amazon kms:GenerateDataKey and kms:Decrypt in the key policy)",
                ));
            }
        }
        self.push(pass(&check, format!("Amazon ({AMAZON_ACCOUNT}) may send to {name} and use its key {key}")));
    }

    async fn lwa(&mut self, lwa: Option<Lwa>) {
        let Some(lwa) = lwa else {
            self.push(fail(
                "lwa-credentials",
                "the LWA client id or secret cannot be read",
                "see the parameter checks above",
            ));
            return;
        };
        let endpoint = self.options.lwa_endpoint.clone();
        // The rotation scope is one every app may ask for: it proves the id and secret without a seller.
        let grant = Grant::ClientCredentials(agent::SCOPE_ROTATION);
        let exchanged = self.lwa_endpoint().exchange(&lwa.client_id, &lwa.client_secret, grant).await;
        let rotate_fix = "rotate the client secret: spcred agent rotates it by itself; by hand, rotate it in Developer Central \
                          and store it with spcred rotate --new-secret-from-stdin";
        match exchanged {
            Ok(_) => self
                .push(pass("lwa-credentials", format!("LWA issues tokens for the client id and secret ({endpoint})"))),
            Err(e) => self.push(fail("lwa-credentials", e.to_string(), rotate_fix)),
        }
        // Whole days or part of one: a secret that dies in 24.9 days has 25 days left.
        let left = days(lwa.expiry.at - self.now + 86_399);
        let detail = if lwa.expiry.recorded {
            format!("{left} days until the client secret expires (as recorded by the agent)")
        } else {
            format!("{left} days until the client secret expires (180 days after it was stored)")
        };
        let check = if left <= 0 {
            fail("client-secret-expiry", detail, rotate_fix)
        } else if left < 30 {
            Check { name: "client-secret-expiry".into(), status: Status::Warn, detail, fix: Some(rotate_fix.into()) }
        } else {
            pass("client-secret-expiry", detail)
        };
        self.push(check);
        if lwa.sellers.is_empty() {
            self.push(fail(
                "sellers",
                format!(
                    "no refresh token in {} or under {}",
                    self.options.scope.names.parameters.refresh_token,
                    self.options.scope.names.parameters.sellers_prefix
                ),
                "store a seller's refresh token: SPCRED_REFRESH_TOKEN=... spcred setup",
            ));
        }
        for (who, parameter, token) in &lwa.sellers {
            let check = self.seller(&lwa, who, parameter, token).await;
            self.push(check);
        }
    }

    /// A seller's refresh token exchanges, and SP-API accepts the access token.
    async fn seller(&self, lwa: &Lwa, who: &str, parameter: &str, token: &Secret) -> Check {
        let name = format!("refresh-token:{parameter}");
        let fix = "the seller must authorize the app again; store the new refresh token in the parameter";
        let grant = Grant::RefreshToken(token);
        let access = match self.lwa_endpoint().exchange(&lwa.client_id, &lwa.client_secret, grant).await {
            Ok(issued) => issued.access_token,
            Err(e) => return fail(&name, format!("{who}: {e}"), fix),
        };
        let url = format!("{}/sellers/v1/marketplaceParticipations", self.options.sp_endpoint.trim_end_matches('/'));
        let called = self
            .http
            .get(&url)
            .header("x-amz-access-token", access.expose())
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        match called {
            Ok(r) if r.status().is_success() => {
                pass(&name, format!("{who}: the token works (getMarketplaceParticipations)"))
            }
            // SP-API counts calls against the seller's usage plan only once it knows the token.
            Ok(r) if r.status().as_u16() == 429 => {
                pass(&name, format!("{who}: the token works (getMarketplaceParticipations is throttled, HTTP 429)"))
            }
            Ok(r) => {
                let status = r.status().as_u16();
                let body = r.text().await.unwrap_or_default();
                let (detail, fix) = refusal(status, &body).unwrap_or((String::new(), fix));
                fail(&name, format!("{who}: getMarketplaceParticipations answered HTTP {status}{detail}"), fix)
            }
            Err(e) => fail(&name, format!("{who}: SP-API is unreachable: {}", e.without_url()), "check --sp-endpoint"),
        }
    }
}

/// A 403 that names a missing role: the role, not the seller's authorization, needs fixing. Its
/// SP-API error details (after `: `) and the fix.
fn refusal(status: u16, body: &str) -> Option<(String, &'static str)> {
    let body: serde_json::Value = serde_json::from_str(body).ok()?;
    let details = body["errors"][0]["details"].as_str()?;
    (status == 403 && details.contains("role")).then(|| {
        (
            format!(": {details}"),
            "give the app the role in Developer Central (an app needs at least one), then have the seller authorize it for the role",
        )
    })
}

/// When the client secret expires, in seconds: as the agent recorded it when it stored the
/// secret, else 180 days after the parameter's last change.
#[derive(Debug, Clone, Copy)]
struct Expiry {
    at: i64,
    recorded: bool,
}

/// The expiry `spcred agent` writes into the description of a secret it stores, in seconds.
fn recorded_expiry(description: &str) -> Option<i64> {
    agent::rotation::recorded_expiry(description).map(jiff::Timestamp::as_second)
}

/// The LWA credentials as stored.
struct Lwa {
    client_id: Secret,
    client_secret: Secret,
    /// When the secret expires.
    expiry: Expiry,
    /// (who, parameter, refresh token).
    sellers: Vec<(String, String, Secret)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_for_a_missing_role_names_the_role_not_the_authorization() {
        let no_role = r#"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The application has no SP-API role."}]}"#;
        let (detail, fix) = refusal(403, no_role).unwrap();
        assert_eq!(detail, ": The application has no SP-API role.");
        assert!(fix.contains("role") && !fix.contains("again"));
        let revoked = r#"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided is revoked."}]}"#;
        assert_eq!(refusal(403, revoked), None);
        assert_eq!(refusal(500, "not json"), None);
    }

    #[test]
    fn amazon_may_send_only_where_the_policy_says_so() {
        let arn = "arn:aws:sqs:us-east-1:111122223333:lwa-client-secret-new";
        let amazon = amazon();
        let ctx = Context::for_principal(&amazon);
        let good = documents::policy_of(&documents::queue_statement(arn)).to_string();
        let allows = |doc: &str| {
            resource_allows(
                Some(doc),
                PolicyKind::Resource,
                ResourceMode::Optional,
                &amazon,
                "sqs:SendMessage",
                arn,
                &ctx,
            )
        };
        assert_eq!(allows(&good), Ok(true));
        assert_eq!(allows(&good.replace("437568002678", "111122223333")), Ok(false));
        assert_eq!(allows(&good.replace("lwa-client-secret-new", "other")), Ok(false));
        assert!(allows("{\"Statement\": 3}").is_err());
        assert_eq!(
            resource_allows(None, PolicyKind::Resource, ResourceMode::Optional, &amazon, "sqs:SendMessage", arn, &ctx),
            Ok(false)
        );
    }

    #[test]
    fn eventbridge_may_publish_for_the_rule_only() {
        let account = Account { id: "111122223333".into(), region: "us-east-2".into() };
        let doc =
            documents::policy_of(&documents::topic_statement(&account.topic_arn(), &account.rule_arn())).to_string();
        let events = eventbridge();
        let mut ctx = Context::for_principal(&events);
        ctx.set("aws:SourceArn", account.rule_arn());
        let allows = |ctx: &Context| {
            resource_allows(
                Some(&doc),
                PolicyKind::Resource,
                ResourceMode::Optional,
                &events,
                "sns:Publish",
                &account.topic_arn(),
                ctx,
            )
        };
        assert_eq!(allows(&ctx), Ok(true));
        ctx.set("aws:SourceArn", "arn:aws:events:us-east-2:111122223333:rule/Other");
        assert_eq!(allows(&ctx), Ok(false));
    }

    #[test]
    fn the_key_policy_grant_is_what_makes_encrypted_queues_work() {
        let amazon = amazon();
        let ctx = Context::for_principal(&amazon);
        for (granted, expected) in [(true, Ok(true)), (false, Ok(false))] {
            let doc = documents::key_policy("111122223333", granted).to_string();
            for action in ["kms:GenerateDataKey", "kms:Decrypt"] {
                assert_eq!(
                    resource_allows(
                        Some(&doc),
                        PolicyKind::KeyPolicy,
                        ResourceMode::Required,
                        &amazon,
                        action,
                        "*",
                        &ctx
                    ),
                    expected
                );
            }
        }
    }

    #[test]
    fn the_agents_recorded_expiry_is_read() {
        let t: jiff::Timestamp = "2027-05-21T00:00:00Z".parse().unwrap();
        let written = "LWA client secret; expires 2027-05-21T00:00:00Z; stored by spcred agent (notification n-1)";
        assert_eq!(recorded_expiry(written), Some(t.as_second()));
        assert_eq!(recorded_expiry("SecureString with LWA ClientSecret"), None);
        assert_eq!(recorded_expiry("x; expires never; y"), None);
    }

    #[test]
    fn the_report_is_one_line_per_check_and_fails_on_any_failure() {
        let report = Report {
            ok: false,
            checks: vec![
                pass("aws-credentials", "the AWS keys work"),
                fail("sns-subscriptions", "email a@example.com is not subscribed", "aws sns subscribe ..."),
            ],
        };
        let text = report.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "PASS  aws-credentials: the AWS keys work");
        assert_eq!(
            lines[1],
            "FAIL  sns-subscriptions: email a@example.com is not subscribed -- fix: aws sns subscribe ..."
        );
        assert_eq!(lines[2], "2 checks: 1 failed, 0 warnings");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["checks"][1]["status"], "fail");
    }
}
