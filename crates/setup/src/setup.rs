//! `spcred setup`: each step reads what exists, compares it with what the guides and the blog
//! describe, and creates or corrects only what differs, so a second run changes nothing. A dry
//! run reads the same way and only reports what it would do.

use crate::aws::{AwsError, Clients, absent, failed, missing};
use crate::documents::{self, same_document};
use crate::{
    Account, Credentials, EXPIRY_QUEUE, IAM_POLICY, IAM_ROLE, IAM_USER, NEW_SECRET_QUEUE, RULE, STS_POLICY, Scope,
    TARGET_ID, TOPIC,
};
use aws_sdk_eventbridge::types::{RuleState, Target};
use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_ssm::types::{ParameterMetadata, ParameterStringFilter, ParameterTier, ParameterType};
use crypto::Secret;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// What to provision.
#[derive(Debug)]
pub struct Options {
    /// What to cover.
    pub scope: Scope,
    /// Encrypt the rotation queues with the KMS key (SSE-KMS), granting Amazon its use.
    pub queue_kms: bool,
    /// The LWA credentials to store; absent ones keep what is stored.
    pub credentials: Credentials,
    /// Only report what would change.
    pub dry_run: bool,
}

/// What setup did (or, in a dry run, would do) and what to paste into Developer Central.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// One line per change, in order; empty when everything was already in place.
    pub changes: Vec<String>,
    /// What setup found and left alone on purpose.
    pub notes: Vec<String>,
    /// The role ARN for the app's "IAM ARN" (legacy IAM mode only).
    pub role_arn: Option<String>,
    /// The queue for `APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY` notices.
    pub expiry_queue_arn: String,
    /// The queue for `APPLICATION_OAUTH_CLIENT_NEW_SECRET` notices.
    pub new_secret_queue_arn: String,
    /// The topic the reminders go to.
    pub topic_arn: String,
    /// The queues' URLs, for `spcred agent --rotation-queue-url` (none for a queue a dry run
    /// has yet to create).
    pub queue_urls: Vec<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run { "would make" } else { "made" };
        if self.changes.is_empty() {
            writeln!(f, "no changes: everything is in place")?;
        } else {
            writeln!(f, "{verb} {} change(s):", self.changes.len())?;
            for change in &self.changes {
                writeln!(f, "  + {change}")?;
            }
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        writeln!(f, "\nIn Developer Central (Seller Central > Apps and Services > Develop Apps):")?;
        if let Some(role) = &self.role_arn {
            writeln!(f, "  App registration, IAM ARN:               {role}")?;
        }
        writeln!(f, "  Notifications, client secret expiry:    {}", self.expiry_queue_arn)?;
        writeln!(f, "  Notifications, new client secret:       {}", self.new_secret_queue_arn)?;
        write!(f, "Rotation reminders go to {}", self.topic_arn)?;
        if self.queue_urls.len() == 2 {
            write!(f, "\nFor spcred agent:")?;
            for url in &self.queue_urls {
                write!(f, " --rotation-queue-url {url}")?;
            }
            write!(f, " --rotation-topic-arn {}", self.topic_arn)?;
        }
        Ok(())
    }
}

/// Why setup stopped.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// An AWS call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// Something setup cannot decide for the user.
    #[error("{0}")]
    Refused(String),
}

struct Run<'a> {
    aws: &'a Clients,
    options: &'a Options,
    account: Account,
    changes: Vec<String>,
    notes: Vec<String>,
}

/// Provisions everything `options` asks for; see the module docs.
pub async fn run(aws: &Clients, options: &Options) -> Result<Report, SetupError> {
    let identity = aws.sts.get_caller_identity().send().await.map_err(failed("GetCallerIdentity"))?;
    let account = Account { id: identity.account().unwrap_or_default().to_owned(), region: aws.region.clone() };
    let mut run = Run { aws, options, account, changes: Vec::new(), notes: Vec::new() };
    let key = run.key().await?;
    run.parameters(&key).await?;
    if options.scope.iam {
        run.iam(&key).await?;
    }
    run.topic().await?;
    run.rule().await?;
    run.topic_policy().await?;
    let expiry_queue_url = run.queue(EXPIRY_QUEUE).await?;
    let new_secret_queue_url = run.queue(NEW_SECRET_QUEUE).await?;
    let account = &run.account;
    Ok(Report {
        dry_run: options.dry_run,
        role_arn: options.scope.iam.then(|| account.role_arn()),
        expiry_queue_arn: account.queue_arn(EXPIRY_QUEUE),
        new_secret_queue_arn: account.queue_arn(NEW_SECRET_QUEUE),
        topic_arn: account.topic_arn(),
        queue_urls: expiry_queue_url.into_iter().chain(new_secret_queue_url).collect(),
        changes: run.changes,
        notes: run.notes,
    })
}

/// One parameter as setup wants it.
struct Wanted<'a> {
    name: &'a str,
    description: &'a str,
    value: Option<&'a Secret>,
    advanced: bool,
    source: &'a str,
}

impl Run<'_> {
    /// Records a change; whether to make it (not in a dry run).
    fn change(&mut self, what: impl Into<String>) -> bool {
        self.changes.push(what.into());
        !self.options.dry_run
    }

    /// The KMS key behind the alias, created when missing; its policy grants Amazon the key's
    /// use when the queues are encrypted with it. Returns the alias, which every SecureString
    /// and queue names (it also works before the key exists, in a dry run).
    async fn key(&mut self) -> Result<String, SetupError> {
        let alias = self.options.scope.names.key_alias.clone();
        let policy = documents::key_policy(&self.account.id, self.options.queue_kms).to_string();
        let aliases: Vec<_> = self
            .aws
            .kms
            .list_aliases()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(failed("ListAliases"))?;
        let target = aliases.iter().find(|a| a.alias_name() == Some(alias.as_str())).and_then(|a| a.target_key_id());
        match target {
            None => {
                if self.change(format!("create the KMS key for the LWA credentials, alias {alias}")) {
                    let created = self
                        .aws
                        .kms
                        .create_key()
                        .description("SP-API LWA credentials (spcred setup)")
                        .policy(policy)
                        .send()
                        .await
                        .map_err(failed("CreateKey"))?;
                    let key_id = created.key_metadata().map(|m| m.key_id().to_owned()).unwrap_or_default();
                    self.aws
                        .kms
                        .create_alias()
                        .alias_name(&alias)
                        .target_key_id(key_id)
                        .send()
                        .await
                        .map_err(failed("CreateAlias"))?;
                }
            }
            Some(key_id) => {
                let key_id = key_id.to_owned();
                let held = self
                    .aws
                    .kms
                    .get_key_policy()
                    .key_id(&key_id)
                    .policy_name("default")
                    .send()
                    .await
                    .map_err(failed("GetKeyPolicy"))?;
                let stored = if self.options.queue_kms {
                    let fresh = documents::key_policy(&self.account.id, true);
                    documents::merged(held.policy(), &documents::amazon_key_statement(), &fresh)
                } else {
                    None
                };
                if let Some(stored) = stored
                    && self.change(format!("let Amazon ({}) use {alias} (key policy)", documents::AMAZON_ACCOUNT))
                {
                    self.aws
                        .kms
                        .put_key_policy()
                        .key_id(&key_id)
                        .policy_name("default")
                        .policy(stored.to_string())
                        .send()
                        .await
                        .map_err(failed("PutKeyPolicy"))?;
                }
            }
        }
        Ok(alias)
    }

    async fn parameters(&mut self, key: &str) -> Result<(), SetupError> {
        let names = &self.options.scope.names;
        let given = &self.options.credentials;
        let wanted = [
            Wanted {
                name: &names.parameters.client_id,
                description: "SecureString with LWA ClientIdentifier",
                value: given.client_id.as_ref(),
                advanced: false,
                source: "SPCRED_LWA_CLIENT_ID",
            },
            Wanted {
                name: &names.parameters.client_secret,
                description: "SecureString with LWA ClientSecret",
                value: given.client_secret.as_ref(),
                advanced: true,
                source: "SPCRED_LWA_CLIENT_SECRET",
            },
            Wanted {
                name: &names.parameters.refresh_token,
                description: "SecureString with LWA RefreshToken",
                value: given.refresh_token.as_ref(),
                advanced: false,
                source: "SPCRED_REFRESH_TOKEN",
            },
        ];
        let options = self.options;
        for w in &wanted {
            self.parameter(options, w, key).await?;
        }
        Ok(())
    }

    /// One SecureString: created with its value; rewritten, with the value and description it
    /// holds, when the key, the tier or the policies differ; given a new value when one is given
    /// for the client id or a refresh token. A stored client secret is never replaced: the agent
    /// rotates it, and an old value in the environment must not undo a rotation.
    async fn parameter(&mut self, options: &Options, w: &Wanted<'_>, key: &str) -> Result<(), SetupError> {
        let ssm = &self.aws.ssm;
        let stored = absent(
            ssm.get_parameter().name(w.name).with_decryption(true).send().await.map_err(failed("GetParameter")),
            missing::SSM,
        )?;
        let stored_value = stored.as_ref().and_then(|o| o.parameter()).and_then(|p| p.value()).map(ToOwned::to_owned);
        let policies = documents::no_change_notification();
        let (what, value, description) = match (stored_value, w.value) {
            (None, None) if options.dry_run => {
                (format!("create the SecureString {}", w.name), String::new(), w.description.to_owned())
            }
            (None, None) => {
                return Err(SetupError::Refused(format!(
                    "{} does not exist yet: give its value in {} (or on stdin with --credentials-from-stdin)",
                    w.name, w.source
                )));
            }
            (None, Some(v)) => {
                (format!("create the SecureString {}", w.name), v.expose().to_owned(), w.description.to_owned())
            }
            (Some(held), given) => {
                let meta = describe(self.aws, w.name).await?;
                let held_description = meta.as_ref().and_then(|m| m.description()).unwrap_or(w.description).to_owned();
                match given {
                    Some(v) if v.expose() != held && !w.advanced => {
                        (format!("store the new value of {}", w.name), v.expose().to_owned(), held_description)
                    }
                    Some(v) if v.expose() != held => {
                        self.notes.push(format!(
                            "{} holds another client secret (the agent may have rotated it) and was kept; to store a secret \
                             rotated by hand: spcred rotate --new-secret-from-stdin",
                            w.name
                        ));
                        return Ok(());
                    }
                    _ => {
                        let Some(meta) = meta else {
                            return Err(SetupError::Refused(format!("{} vanished while setup ran", w.name)));
                        };
                        let tier_ok = (meta.tier() == Some(&ParameterTier::Advanced)) == w.advanced;
                        let held_policies: Vec<Value> = meta
                            .policies()
                            .iter()
                            .filter_map(|p| p.policy_text())
                            .filter_map(documents::parse_document)
                            .collect();
                        let policies_ok =
                            if w.advanced { Value::Array(held_policies) == policies } else { held_policies.is_empty() };
                        let key_ok = meta.key_id() == Some(key);
                        let type_ok = meta.r#type() == Some(&ParameterType::SecureString);
                        if tier_ok && policies_ok && key_ok && type_ok {
                            return Ok(());
                        }
                        let extra =
                            if w.advanced { ", Advanced tier, NoChangeNotification after 150 days" } else { "" };
                        (format!("rewrite {} as a SecureString under {key}{extra}", w.name), held, held_description)
                    }
                }
            }
        };
        if !self.change(what) {
            return Ok(());
        }
        let mut put = ssm
            .put_parameter()
            .name(w.name)
            .description(description)
            .value(value)
            .r#type(ParameterType::SecureString)
            .key_id(key)
            .overwrite(true);
        if w.advanced {
            put = put.tier(ParameterTier::Advanced).policies(policies.to_string());
        }
        put.send().await.map_err(failed("PutParameter"))?;
        Ok(())
    }

    /// The guides' steps 2 to 5, and an access key for the user kept as SecureStrings (the
    /// guide's "safe and secure place"), so that the agent in legacy mode and doctor can use it.
    async fn iam(&mut self, key: &str) -> Result<(), SetupError> {
        let (user_arn, role_arn, policy_arn) =
            (self.account.user_arn(), self.account.role_arn(), self.account.policy_arn());
        let iam = &self.aws.iam;
        if absent(iam.get_user().user_name(IAM_USER).send().await.map_err(failed("GetUser")), missing::IAM)?.is_none()
            && self.change(format!("create the IAM user {IAM_USER}"))
        {
            iam.create_user().user_name(IAM_USER).send().await.map_err(failed("CreateUser"))?;
        }
        self.managed_policy(&policy_arn).await?;
        let iam = &self.aws.iam;
        let trust = documents::trust_policy(&user_arn);
        match absent(iam.get_role().role_name(IAM_ROLE).send().await.map_err(failed("GetRole")), missing::IAM)? {
            None => {
                if self.change(format!("create the IAM role {IAM_ROLE} trusting {IAM_USER}")) {
                    iam.create_role()
                        .role_name(IAM_ROLE)
                        .description("Calls the Selling Partner API")
                        .assume_role_policy_document(trust.to_string())
                        .send()
                        .await
                        .map_err(failed("CreateRole"))?;
                }
            }
            Some(role) => {
                let held = role.role().and_then(|r| r.assume_role_policy_document());
                if !same_document(held, &trust) && self.change(format!("let only {IAM_USER} assume {IAM_ROLE}")) {
                    iam.update_assume_role_policy()
                        .role_name(IAM_ROLE)
                        .policy_document(trust.to_string())
                        .send()
                        .await
                        .map_err(failed("UpdateAssumeRolePolicy"))?;
                }
            }
        }
        let attached = absent(
            iam.list_attached_role_policies()
                .role_name(IAM_ROLE)
                .send()
                .await
                .map_err(failed("ListAttachedRolePolicies")),
            missing::IAM,
        )?;
        let is_attached =
            attached.is_some_and(|a| a.attached_policies().iter().any(|p| p.policy_arn() == Some(&policy_arn)));
        if !is_attached && self.change(format!("attach {IAM_POLICY} to {IAM_ROLE}")) {
            iam.attach_role_policy()
                .role_name(IAM_ROLE)
                .policy_arn(&policy_arn)
                .send()
                .await
                .map_err(failed("AttachRolePolicy"))?;
        }
        let sts = documents::sts_policy(&role_arn);
        let held = absent(
            iam.get_user_policy()
                .user_name(IAM_USER)
                .policy_name(STS_POLICY)
                .send()
                .await
                .map_err(failed("GetUserPolicy")),
            missing::IAM,
        )?;
        if !same_document(
            held.as_ref().map(aws_sdk_iam::operation::get_user_policy::GetUserPolicyOutput::policy_document),
            &sts,
        ) && self.change(format!("put the inline policy {STS_POLICY} (sts:AssumeRole on {IAM_ROLE}) on {IAM_USER}"))
        {
            iam.put_user_policy()
                .user_name(IAM_USER)
                .policy_name(STS_POLICY)
                .policy_document(sts.to_string())
                .send()
                .await
                .map_err(failed("PutUserPolicy"))?;
        }
        self.access_key(key).await
    }

    async fn managed_policy(&mut self, policy_arn: &str) -> Result<(), SetupError> {
        let iam = &self.aws.iam;
        let wanted = documents::selling_partner_api_policy();
        let Some(policy) =
            absent(iam.get_policy().policy_arn(policy_arn).send().await.map_err(failed("GetPolicy")), missing::IAM)?
        else {
            if self.change(format!("create the IAM policy {IAM_POLICY} (execute-api:Invoke)")) {
                iam.create_policy()
                    .policy_name(IAM_POLICY)
                    .description("Calls to the Selling Partner API")
                    .policy_document(wanted.to_string())
                    .send()
                    .await
                    .map_err(failed("CreatePolicy"))?;
            }
            return Ok(());
        };
        let version = policy.policy().and_then(|p| p.default_version_id()).unwrap_or("v1").to_owned();
        let held = iam
            .get_policy_version()
            .policy_arn(policy_arn)
            .version_id(version)
            .send()
            .await
            .map_err(failed("GetPolicyVersion"))?;
        if same_document(held.policy_version().and_then(|v| v.document()), &wanted)
            || !self.change(format!("restore the document of {IAM_POLICY} as a new default version"))
        {
            return Ok(());
        }
        // IAM keeps five versions; make room by dropping the oldest one that is not the default.
        let versions =
            iam.list_policy_versions().policy_arn(policy_arn).send().await.map_err(failed("ListPolicyVersions"))?;
        if versions.versions().len() >= 5
            && let Some(oldest) = versions
                .versions()
                .iter()
                .filter(|v| !v.is_default_version())
                .min_by_key(|v| v.create_date().map(aws_sdk_iam::primitives::DateTime::secs))
                .and_then(|v| v.version_id())
        {
            iam.delete_policy_version()
                .policy_arn(policy_arn)
                .version_id(oldest)
                .send()
                .await
                .map_err(failed("DeletePolicyVersion"))?;
        }
        iam.create_policy_version()
            .policy_arn(policy_arn)
            .policy_document(wanted.to_string())
            .set_as_default(true)
            .send()
            .await
            .map_err(failed("CreatePolicyVersion"))?;
        Ok(())
    }

    /// The user's access key is kept when its id is stored and IAM still has it; otherwise a
    /// new one is created and stored (IAM allows two, so an old one is never deleted here).
    async fn access_key(&mut self, key: &str) -> Result<(), SetupError> {
        let names = &self.options.scope.names;
        let (id_name, secret_name) = (names.user_access_key_id.clone(), names.user_secret_access_key.clone());
        let stored = absent(
            self.aws
                .ssm
                .get_parameter()
                .name(&id_name)
                .with_decryption(true)
                .send()
                .await
                .map_err(failed("GetParameter")),
            missing::SSM,
        )?;
        let stored_id = stored.as_ref().and_then(|o| o.parameter()).and_then(|p| p.value()).map(ToOwned::to_owned);
        let keys = absent(
            self.aws.iam.list_access_keys().user_name(IAM_USER).send().await.map_err(failed("ListAccessKeys")),
            missing::IAM,
        )?;
        let held: Vec<String> = keys
            .as_ref()
            .map(|k| k.access_key_metadata().iter().filter_map(|m| m.access_key_id()).map(ToOwned::to_owned).collect())
            .unwrap_or_default();
        if stored_id.as_ref().is_some_and(|id| held.contains(id)) {
            return Ok(());
        }
        if held.len() >= 2 {
            return Err(SetupError::Refused(format!(
                "{IAM_USER} already has two access keys and neither is stored in {id_name}: delete the unused one \
                 (aws iam delete-access-key --user-name {IAM_USER} --access-key-id ...) and run setup again"
            )));
        }
        if !self.change(format!("create an access key for {IAM_USER}, stored in {id_name} and {secret_name}")) {
            return Ok(());
        }
        let created =
            self.aws.iam.create_access_key().user_name(IAM_USER).send().await.map_err(failed("CreateAccessKey"))?;
        let Some(access_key) = created.access_key() else {
            return Err(SetupError::Refused("CreateAccessKey answered without a key".into()));
        };
        for (name, value, description) in [
            (&secret_name, access_key.secret_access_key(), "SecureString with the SP-API IAM user's secret access key"),
            (&id_name, access_key.access_key_id(), "SecureString with the SP-API IAM user's access key id"),
        ] {
            self.aws
                .ssm
                .put_parameter()
                .name(name)
                .description(description)
                .value(value)
                .r#type(ParameterType::SecureString)
                .key_id(key)
                .overwrite(true)
                .send()
                .await
                .map_err(failed("PutParameter"))?;
        }
        Ok(())
    }

    /// The blog's topic and its subscriptions. An e-mail subscription stays pending until its
    /// owner follows the link in the confirmation mail; doctor says so.
    async fn topic(&mut self) -> Result<(), SetupError> {
        let topic_arn = self.account.topic_arn();
        let sns = &self.aws.sns;
        let exists = absent(
            sns.get_topic_attributes().topic_arn(&topic_arn).send().await.map_err(failed("GetTopicAttributes")),
            missing::SNS,
        )?
        .is_some();
        if !exists && self.change(format!("create the SNS topic {TOPIC}")) {
            sns.create_topic().name(TOPIC).send().await.map_err(failed("CreateTopic"))?;
        }
        let held = if exists { subscriptions(self.aws, &topic_arn).await? } else { Vec::new() };
        for (protocol, endpoint) in self.options.scope.subscribers() {
            if held.iter().any(|s| s.protocol == protocol && s.endpoint == endpoint) {
                continue;
            }
            if self.change(format!("subscribe {protocol} {endpoint} to {TOPIC}")) {
                sns.subscribe()
                    .topic_arn(&topic_arn)
                    .protocol(protocol)
                    .endpoint(&endpoint)
                    .send()
                    .await
                    .map_err(failed("Subscribe"))?;
            }
        }
        Ok(())
    }

    /// The blog's rule on the default bus and its target, the topic.
    async fn rule(&mut self) -> Result<(), SetupError> {
        let events = &self.aws.events;
        let pattern = documents::event_pattern(&self.options.scope.names.parameters.client_secret);
        let held =
            absent(events.describe_rule().name(RULE).send().await.map_err(failed("DescribeRule")), missing::EVENTS)?;
        let in_place = held
            .as_ref()
            .is_some_and(|r| same_document(r.event_pattern(), &pattern) && r.state() == Some(&RuleState::Enabled));
        if !in_place
            && self.change(format!(
                "put the EventBridge rule {RULE} (Parameter Store Policy Action on {})",
                self.options.scope.names.parameters.client_secret
            ))
        {
            events
                .put_rule()
                .name(RULE)
                .event_bus_name("default")
                .description("The LWA client secret's Parameter Store policy actions, to the rotation topic")
                .event_pattern(pattern.to_string())
                .state(RuleState::Enabled)
                .send()
                .await
                .map_err(failed("PutRule"))?;
        }
        let topic_arn = self.account.topic_arn();
        let targets = if held.is_some() {
            events
                .list_targets_by_rule()
                .rule(RULE)
                .send()
                .await
                .map_err(failed("ListTargetsByRule"))?
                .targets()
                .to_vec()
        } else {
            Vec::new()
        };
        if !targets.iter().any(|t| t.id() == TARGET_ID && t.arn() == topic_arn)
            && self.change(format!("target {TOPIC} from {RULE}"))
        {
            let target = Target::builder()
                .id(TARGET_ID)
                .arn(&topic_arn)
                .build()
                .map_err(|e| SetupError::Refused(e.to_string()))?;
            let put = events.put_targets().rule(RULE).targets(target).send().await.map_err(failed("PutTargets"))?;
            if let Some(entry) = put.failed_entries().first() {
                return Err(SetupError::Refused(format!(
                    "PutTargets failed: {}: {}",
                    entry.error_code().unwrap_or_default(),
                    entry.error_message().unwrap_or_default()
                )));
            }
        }
        Ok(())
    }

    async fn topic_policy(&mut self) -> Result<(), SetupError> {
        let (topic_arn, rule_arn) = (self.account.topic_arn(), self.account.rule_arn());
        let statement = documents::topic_statement(&topic_arn, &rule_arn);
        let held = absent(
            self.aws
                .sns
                .get_topic_attributes()
                .topic_arn(&topic_arn)
                .send()
                .await
                .map_err(failed("GetTopicAttributes")),
            missing::SNS,
        )?;
        let held_policy = held.as_ref().and_then(|h| h.attributes()).and_then(|a| a.get("Policy")).map(String::as_str);
        if let Some(stored) = documents::merged(held_policy, &statement, &documents::policy_of(&statement))
            && self.change(format!("let {RULE} publish to {TOPIC} (topic policy)"))
        {
            self.aws
                .sns
                .set_topic_attributes()
                .topic_arn(&topic_arn)
                .attribute_name("Policy")
                .attribute_value(stored.to_string())
                .send()
                .await
                .map_err(failed("SetTopicAttributes"))?;
        }
        Ok(())
    }

    /// A queue for SP-API's notices, with the policy that lets Amazon send, SSE-KMS with the
    /// key when asked. Its URL, unless a dry run has yet to create it.
    async fn queue(&mut self, name: &str) -> Result<Option<String>, SetupError> {
        let sqs = &self.aws.sqs;
        let arn = self.account.queue_arn(name);
        let statement = documents::queue_statement(&arn);
        let policy = documents::policy_of(&statement);
        let kms = self.options.queue_kms.then(|| self.options.scope.names.key_alias.clone());
        let Some(url) =
            absent(sqs.get_queue_url().queue_name(name).send().await.map_err(failed("GetQueueUrl")), missing::SQS)?
        else {
            let what = format!(
                "create the SQS queue {name} that Amazon ({}) may send to{}",
                documents::AMAZON_ACCOUNT,
                if kms.is_some() { ", SSE-KMS" } else { "" }
            );
            if self.change(what) {
                let mut create =
                    sqs.create_queue().queue_name(name).attributes(QueueAttributeName::Policy, policy.to_string());
                if let Some(alias) = &kms {
                    create = create.attributes(QueueAttributeName::KmsMasterKeyId, alias);
                }
                let created = create.send().await.map_err(failed("CreateQueue"))?;
                return Ok(created.queue_url().map(ToOwned::to_owned));
            }
            return Ok(None);
        };
        let url = url.queue_url().unwrap_or_default().to_owned();
        let held = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .map_err(failed("GetQueueAttributes"))?;
        let attributes = held.attributes();
        let get =
            |k: QueueAttributeName| attributes.and_then(|a| a.get(&k)).map(String::as_str).filter(|v| !v.is_empty());
        if let Some(stored) = documents::merged(get(QueueAttributeName::Policy), &statement, &policy)
            && self.change(format!("let Amazon ({}) send to {name} (queue policy)", documents::AMAZON_ACCOUNT))
        {
            sqs.set_queue_attributes()
                .queue_url(&url)
                .attributes(QueueAttributeName::Policy, stored.to_string())
                .send()
                .await
                .map_err(failed("SetQueueAttributes"))?;
        }
        if let Some(alias) = kms
            && get(QueueAttributeName::KmsMasterKeyId) != Some(alias.as_str())
            && self.change(format!("encrypt {name} with {alias}"))
        {
            sqs.set_queue_attributes()
                .queue_url(&url)
                .attributes(QueueAttributeName::KmsMasterKeyId, alias)
                .send()
                .await
                .map_err(failed("SetQueueAttributes"))?;
        }
        Ok(Some(url))
    }
}

/// What DescribeParameters says of `name`, if it exists.
pub(crate) async fn describe(aws: &Clients, name: &str) -> Result<Option<ParameterMetadata>, AwsError> {
    let filter = ParameterStringFilter::builder()
        .key("Name")
        .option("Equals")
        .values(name)
        .build()
        .map_err(|e| AwsError { operation: "DescribeParameters", code: None, message: e.to_string() })?;
    let described =
        aws.ssm.describe_parameters().parameter_filters(filter).send().await.map_err(failed("DescribeParameters"))?;
    Ok(described.parameters().iter().find(|p| p.name() == Some(name)).cloned())
}

/// A subscription as doctor and setup compare them.
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub protocol: String,
    pub endpoint: String,
    pub confirmed: bool,
}

/// Every subscription of `topic_arn`, following the pages.
pub(crate) async fn subscriptions(aws: &Clients, topic_arn: &str) -> Result<Vec<Subscription>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = aws
            .sns
            .list_subscriptions_by_topic()
            .topic_arn(topic_arn)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(failed("ListSubscriptionsByTopic"))?;
        out.extend(page.subscriptions().iter().map(|s| Subscription {
            protocol: s.protocol().unwrap_or_default().to_owned(),
            endpoint: s.endpoint().unwrap_or_default().to_owned(),
            confirmed: s.subscription_arn().is_some_and(|a| a.starts_with("arn:")),
        }));
        match page.next_token() {
            Some(next) if !next.is_empty() && out.len() < 10_000 => token = Some(next.to_owned()),
            _ => return Ok(out),
        }
    }
}
