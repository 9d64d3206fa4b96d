//! The resource types a stack can hold, each made, changed and removed through the owning
//! service's own operations, called as the stack's caller: what the caller may not do, the stack
//! may not do either, and every step is in the audit log.

use super::template::{Made, scalar_text};
use aws_core::pipeline::Dispatcher;
use aws_core::service::Ctx;
use serde_json::{Map, Value, json};
use std::io::Write;

/// Every resource type spcred provisions.
pub(crate) const TYPES: [&str; 16] = [
    "AWS::Events::Rule",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::KMS::Alias",
    "AWS::KMS::Key",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup",
    "AWS::SNS::Subscription",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::SSM::Parameter",
];

/// Whether spcred provisions this type.
pub(crate) fn supported(kind: &str) -> bool {
    TYPES.contains(&kind)
}

/// The property that names a resource of this type, when the template may set it; a resource
/// named so cannot be replaced under the same name.
pub(crate) fn name_key(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "AWS::Events::Rule" | "AWS::SSM::Parameter" => "Name",
        "AWS::IAM::ManagedPolicy" => "ManagedPolicyName",
        "AWS::IAM::Role" => "RoleName",
        "AWS::IAM::User" => "UserName",
        "AWS::KMS::Alias" => "AliasName",
        "AWS::Lambda::Function" => "FunctionName",
        "AWS::Logs::LogGroup" => "LogGroupName",
        "AWS::SNS::Topic" => "TopicName",
        "AWS::SQS::Queue" => "QueueName",
        _ => return None,
    })
}

/// Calls the services as the stack's caller.
pub(crate) struct Calls<'a> {
    pub dispatcher: &'a Dispatcher,
    pub ctx: &'a Ctx<'a>,
    pub stack_name: &'a str,
}

/// One resource to make or change: its logical id and its resolved properties.
pub(crate) struct Spec<'a> {
    pub logical_id: &'a str,
    pub props: &'a Map<String, Value>,
}

impl Spec<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.props.get(key)
    }

    fn text(&self, key: &str) -> Option<String> {
        self.get(key).map(scalar_text)
    }

    fn required(&self, key: &str) -> Result<String, String> {
        self.text(key).ok_or_else(|| self.missing(key))
    }

    /// CloudFormation's message for a required property that is not there.
    fn missing(&self, key: &str) -> String {
        format!(
            "Properties validation failed for resource {} with message: #: required key [{key}] not found",
            self.logical_id
        )
    }

    /// A property that holds a JSON document (a policy, a pattern), as the text services take.
    fn document(&self, key: &str) -> Option<String> {
        self.get(key).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// A document the resource cannot be made without.
    fn required_document(&self, key: &str) -> Result<String, String> {
        self.document(key).ok_or_else(|| self.missing(key))
    }

    fn list(&self, key: &str) -> Vec<Value> {
        self.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
    }
}

impl Calls<'_> {
    async fn call(&self, service: &str, operation: &str, input: Value) -> Result<Value, String> {
        self.dispatcher.call(self.ctx, service, operation, input).await.map_err(|e| {
            format!(
                "Resource handler returned message: \"{}\" (Service: {service}, Status Code: {}, Error Code: {})",
                e.message, e.status, e.code
            )
        })
    }

    /// The name CloudFormation gives a resource the template does not name:
    /// `STACK-LOGICALID-RANDOM`, shortened to fit `max`.
    fn generated_name(&self, logical_id: &str, max: usize) -> String {
        let suffix = self.ctx.env.ids.prefixed("", 12);
        let room = max.saturating_sub(suffix.len() + 2);
        let stack: String = self.stack_name.chars().take(room / 2).collect();
        let logical: String = logical_id.chars().take(room - stack.len()).collect();
        format!("{stack}-{logical}-{suffix}")
    }

    /// Fails when the resource a create would make already exists: where the service's create
    /// is idempotent (a topic, a queue) or an upsert (a rule), a stack must not take over what
    /// it did not make, nor delete it later.
    async fn absent(&self, kind: &str, id: &str, service: &str, operation: &str, input: Value) -> Result<(), String> {
        match self.call(service, operation, input).await {
            Ok(_) => Err(format!("Resource of type '{kind}' with identifier '{id}' already exists.")),
            Err(e) if gone(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn name(&self, spec: &Spec<'_>, key: &str, max: usize) -> String {
        spec.text(key).unwrap_or_else(|| self.generated_name(spec.logical_id, max))
    }

    fn arn(&self, service: &str, rest: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{rest}", self.ctx.region, self.ctx.account())
    }

    /// Makes the resource.
    pub(crate) async fn create(&self, kind: &str, spec: &Spec<'_>) -> Result<Made, String> {
        match kind {
            "AWS::SNS::Topic" => self.create_topic(spec).await,
            "AWS::SNS::Subscription" => self.create_subscription(spec).await,
            "AWS::SNS::TopicPolicy" => self.put_topic_policy(spec, None).await,
            "AWS::SQS::Queue" => self.create_queue(spec).await,
            "AWS::SQS::QueuePolicy" => self.put_queue_policy(spec, None).await,
            "AWS::SSM::Parameter" => self.put_parameter(spec, None).await,
            "AWS::KMS::Key" => self.create_key(spec).await,
            "AWS::KMS::Alias" => self.create_alias(spec).await,
            "AWS::IAM::Role" => self.create_principal(spec, Principal::Role).await,
            "AWS::IAM::User" => self.create_principal(spec, Principal::User).await,
            "AWS::IAM::Policy" => self.put_inline_policy(spec, None).await,
            "AWS::IAM::ManagedPolicy" => self.create_managed_policy(spec).await,
            "AWS::Events::Rule" => self.put_rule(spec, None).await,
            "AWS::Lambda::Function" => self.create_function(spec).await,
            "AWS::Lambda::Permission" => self.add_permission(spec).await,
            "AWS::Logs::LogGroup" => self.create_log_group(spec).await,
            other => Err(format!("Unrecognized resource types: [{other}]")),
        }
    }

    /// Changes the resource in place to `spec`; `Ok(None)` when the change needs a new resource.
    pub(crate) async fn update(
        &self,
        kind: &str,
        spec: &Spec<'_>,
        old: &Map<String, Value>,
        made: &Made,
    ) -> Result<Option<Made>, String> {
        let same = |key: &str| spec.get(key) == old.get(key);
        if let Some(key) = name_key(kind)
            && !same(key)
        {
            return Ok(None);
        }
        match kind {
            "AWS::SSM::Parameter" if same("Type") => self.put_parameter(spec, Some(made)).await.map(Some),
            "AWS::Events::Rule" if same("EventBusName") => self.put_rule(spec, Some(made)).await.map(Some),
            "AWS::SNS::TopicPolicy" => self.put_topic_policy(spec, Some(made)).await.map(Some),
            "AWS::SQS::QueuePolicy" => self.put_queue_policy(spec, Some(made)).await.map(Some),
            "AWS::IAM::Policy" => {
                self.delete_inline_policy(old, made).await?;
                self.put_inline_policy(spec, Some(made)).await.map(Some)
            }
            "AWS::IAM::ManagedPolicy" if same("Path") => self.update_managed_policy(spec, old, made).await.map(Some),
            "AWS::IAM::Role" | "AWS::IAM::User" if same("Path") => {
                let principal = if kind == "AWS::IAM::Role" { Principal::Role } else { Principal::User };
                self.update_principal(spec, old, made, principal).await.map(Some)
            }
            "AWS::Lambda::Function" => self.update_function(spec, old, made).await.map(Some),
            "AWS::Logs::LogGroup" if same("KmsKeyId") => {
                self.log_retention(&made.physical_id, spec).await?;
                Ok(Some(made.clone()))
            }
            "AWS::SQS::Queue" if same("FifoQueue") => {
                let mut attributes = queue_attributes(spec);
                for key in QUEUE_ATTRIBUTES {
                    if old.contains_key(*key) && !spec.props.contains_key(*key) {
                        attributes.insert((*key).to_owned(), json!(queue_default(key)));
                    }
                }
                self.call("sqs", "SetQueueAttributes", json!({"QueueUrl": made.physical_id, "Attributes": attributes}))
                    .await?;
                Ok(Some(made.clone()))
            }
            "AWS::KMS::Key" if same("KeyUsage") && same("KeySpec") => self.update_key(spec, old, made).await.map(Some),
            "AWS::KMS::Alias" => {
                let input = json!({"AliasName": made.physical_id, "TargetKeyId": spec.required("TargetKeyId")?});
                self.call("kms", "UpdateAlias", input).await?;
                Ok(Some(made.clone()))
            }
            "AWS::SNS::Topic" if same("FifoTopic") && same("Subscription") => {
                for key in ["DisplayName", "KmsMasterKeyId"] {
                    if !same(key) {
                        let input = json!({"TopicArn": made.physical_id, "AttributeName": key,
                            "AttributeValue": spec.text(key).unwrap_or_default()});
                        self.call("sns", "SetTopicAttributes", input).await?;
                    }
                }
                Ok(Some(made.clone()))
            }
            _ => Ok(None),
        }
    }

    /// Removes the resource. What is already gone counts as removed.
    pub(crate) async fn delete(&self, kind: &str, props: &Map<String, Value>, made: &Made) -> Result<(), String> {
        let id = made.physical_id.as_str();
        let result = match kind {
            "AWS::SNS::Topic" => self.call("sns", "DeleteTopic", json!({"TopicArn": id})).await.map(drop),
            "AWS::SNS::Subscription" => self.call("sns", "Unsubscribe", json!({"SubscriptionArn": id})).await.map(drop),
            "AWS::SNS::TopicPolicy" => self.restore_topic_policies(made, &[]).await,
            "AWS::SQS::Queue" => self.call("sqs", "DeleteQueue", json!({"QueueUrl": id})).await.map(drop),
            "AWS::SQS::QueuePolicy" => self.clear_queue_policies(made, &[]).await,
            "AWS::SSM::Parameter" => self.call("ssm", "DeleteParameter", json!({"Name": id})).await.map(drop),
            "AWS::KMS::Key" => {
                let days = props.get("PendingWindowInDays").map_or_else(|| "30".to_owned(), scalar_text);
                let days: i64 = days.parse().unwrap_or(30);
                self.call("kms", "ScheduleKeyDeletion", json!({"KeyId": id, "PendingWindowInDays": days}))
                    .await
                    .map(drop)
            }
            "AWS::KMS::Alias" => self.call("kms", "DeleteAlias", json!({"AliasName": id})).await.map(drop),
            "AWS::IAM::Role" => self.delete_principal(props, made, Principal::Role).await,
            "AWS::IAM::User" => self.delete_principal(props, made, Principal::User).await,
            "AWS::IAM::Policy" => self.delete_inline_policy(props, made).await,
            "AWS::IAM::ManagedPolicy" => self.delete_managed_policy(props, made).await,
            "AWS::Events::Rule" => self.delete_rule(props, made).await,
            "AWS::Lambda::Function" => {
                self.call("lambda", "DeleteFunction", json!({"FunctionName": id})).await.map(drop)
            }
            "AWS::Lambda::Permission" => {
                let function = memo(made, "FunctionName");
                let input = json!({"FunctionName": function, "StatementId": id});
                self.call("lambda", "RemovePermission", input).await.map(drop)
            }
            "AWS::Logs::LogGroup" => self.call("logs", "DeleteLogGroup", json!({"logGroupName": id})).await.map(drop),
            _ => Ok(()),
        };
        match result {
            Err(e) if gone(&e) => Ok(()),
            other => other,
        }
    }

    async fn create_topic(&self, spec: &Spec<'_>) -> Result<Made, String> {
        let fifo = spec.text("FifoTopic").is_some_and(|f| f == "true");
        let mut name = self.name(spec, "TopicName", if fifo { 251 } else { 256 });
        if fifo && spec.get("TopicName").is_none() {
            name.push_str(".fifo");
        }
        let mut attributes = Map::new();
        for key in ["DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication", "SignatureVersion"] {
            if let Some(v) = spec.text(key) {
                attributes.insert(key.to_owned(), json!(v));
            }
        }
        let arn = self.arn("sns", &name);
        self.absent("AWS::SNS::Topic", &arn, "sns", "GetTopicAttributes", json!({"TopicArn": arn})).await?;
        let mut input = json!({"Name": name, "Attributes": attributes});
        if let Some(tags) = spec.get("Tags") {
            input["Tags"] = tags.clone();
        }
        let arn = string(&self.call("sns", "CreateTopic", input).await?, "TopicArn")?;
        for sub in spec.list("Subscription") {
            let input = json!({"TopicArn": arn, "Protocol": sub.get("Protocol"), "Endpoint": sub.get("Endpoint")});
            self.call("sns", "Subscribe", input).await?;
        }
        Ok(made(&arn, [("TopicArn", json!(arn)), ("TopicName", json!(name))]))
    }

    async fn create_subscription(&self, spec: &Spec<'_>) -> Result<Made, String> {
        let mut attributes = Map::new();
        for key in ["FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "DeliveryPolicy"] {
            if let Some(v) = spec.document(key) {
                attributes.insert(key.to_owned(), json!(v));
            }
        }
        let input = json!({
            "TopicArn": spec.required("TopicArn")?, "Protocol": spec.required("Protocol")?,
            "Endpoint": spec.text("Endpoint"), "Attributes": attributes, "ReturnSubscriptionArn": true,
        });
        let arn = string(&self.call("sns", "Subscribe", input).await?, "SubscriptionArn")?;
        Ok(made(&arn, [("Arn", json!(arn))]))
    }

    /// Sets the policy on each topic, remembering the one it replaces (a change keeps what was
    /// remembered for topics it still holds, and gives the others theirs back).
    async fn put_topic_policy(&self, spec: &Spec<'_>, before: Option<&Made>) -> Result<Made, String> {
        let policy = spec.required_document("PolicyDocument")?;
        let topics: Vec<String> = spec.list("Topics").iter().map(scalar_text).collect();
        let mut previous =
            before.and_then(|m| m.memo.get("Previous")).and_then(Value::as_object).cloned().unwrap_or_default();
        if let Some(before) = before {
            self.restore_topic_policies(before, &topics).await?;
            previous.retain(|topic, _| topics.contains(topic));
        }
        for topic in &topics {
            if !previous.contains_key(topic) {
                let attrs = self.call("sns", "GetTopicAttributes", json!({"TopicArn": topic})).await?;
                previous.insert(topic.clone(), attrs["Attributes"]["Policy"].clone());
            }
            let input = json!({"TopicArn": topic, "AttributeName": "Policy", "AttributeValue": policy});
            self.call("sns", "SetTopicAttributes", input).await?;
        }
        let id = before.map_or_else(|| self.generated_name(spec.logical_id, 128), |m| m.physical_id.clone());
        let mut m = made(&id, [("Id", json!(id))]);
        m.memo.insert("Previous".into(), Value::Object(previous));
        Ok(m)
    }

    async fn restore_topic_policies(&self, made: &Made, keep: &[String]) -> Result<(), String> {
        let previous = made.memo.get("Previous").and_then(Value::as_object).cloned().unwrap_or_default();
        for (topic, policy) in previous.iter().filter(|(t, _)| !keep.contains(t)) {
            let Some(policy) = policy.as_str() else { continue };
            let input = json!({"TopicArn": topic, "AttributeName": "Policy", "AttributeValue": policy});
            match self.call("sns", "SetTopicAttributes", input).await {
                Err(e) if !gone(&e) => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    async fn create_queue(&self, spec: &Spec<'_>) -> Result<Made, String> {
        let fifo = spec.text("FifoQueue").is_some_and(|f| f == "true");
        let mut name = self.name(spec, "QueueName", if fifo { 75 } else { 80 });
        if fifo && spec.get("QueueName").is_none() {
            name.push_str(".fifo");
        }
        self.absent("AWS::SQS::Queue", &name, "sqs", "GetQueueUrl", json!({"QueueName": name})).await?;
        let mut input = json!({"QueueName": name, "Attributes": queue_attributes(spec)});
        if let Some(Value::Array(tags)) = spec.get("Tags") {
            let map: Map<String, Value> =
                tags.iter().map(|t| (scalar_text(&t["Key"]), json!(scalar_text(&t["Value"])))).collect();
            input["tags"] = Value::Object(map);
        }
        let url = string(&self.call("sqs", "CreateQueue", input).await?, "QueueUrl")?;
        let attrs =
            self.call("sqs", "GetQueueAttributes", json!({"QueueUrl": url, "AttributeNames": ["QueueArn"]})).await?;
        let arn = attrs["Attributes"]["QueueArn"].clone();
        Ok(made(&url, [("Arn", arn), ("QueueName", json!(name)), ("QueueUrl", json!(url))]))
    }

    async fn put_queue_policy(&self, spec: &Spec<'_>, before: Option<&Made>) -> Result<Made, String> {
        let policy = spec.required_document("PolicyDocument")?;
        let queues: Vec<String> = spec.list("Queues").iter().map(scalar_text).collect();
        if let Some(before) = before {
            self.clear_queue_policies(before, &queues).await?;
        }
        for queue in &queues {
            let input = json!({"QueueUrl": queue, "Attributes": {"Policy": policy}});
            self.call("sqs", "SetQueueAttributes", input).await?;
        }
        let id = before.map_or_else(|| self.generated_name(spec.logical_id, 128), |m| m.physical_id.clone());
        let mut m = made(&id, [("Id", json!(id))]);
        m.memo.insert("Queues".into(), json!(queues));
        Ok(m)
    }

    async fn clear_queue_policies(&self, made: &Made, keep: &[String]) -> Result<(), String> {
        let queues = made.memo.get("Queues").and_then(Value::as_array).cloned().unwrap_or_default();
        for queue in queues.iter().map(scalar_text).filter(|q| !keep.contains(q)) {
            match self.call("sqs", "SetQueueAttributes", json!({"QueueUrl": queue, "Attributes": {"Policy": ""}})).await
            {
                Err(e) if !gone(&e) => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    async fn put_parameter(&self, spec: &Spec<'_>, before: Option<&Made>) -> Result<Made, String> {
        let kind = spec.required("Type")?;
        if kind != "String" && kind != "StringList" {
            return Err(format!(
                "Properties validation failed for resource {} with message: #/Type: {kind} is not a valid enum value \
                 (CloudFormation creates String and StringList parameters; put a SecureString with ssm put-parameter)",
                spec.logical_id
            ));
        }
        let name = before.map_or_else(|| self.name(spec, "Name", 1011), |m| m.physical_id.clone());
        let value = spec.required("Value")?;
        let mut input = json!({"Name": name, "Type": kind, "Value": value, "Overwrite": before.is_some()});
        for key in ["Description", "AllowedPattern", "Tier", "DataType"] {
            if let Some(v) = spec.text(key) {
                input[key] = json!(v);
            }
        }
        if let Some(p) = spec.document("Policies") {
            input["Policies"] = json!(p);
        }
        if before.is_none()
            && let Some(Value::Object(tags)) = spec.get("Tags")
        {
            input["Tags"] = tags.iter().map(|(k, v)| json!({"Key": k, "Value": scalar_text(v)})).collect();
        }
        self.call("ssm", "PutParameter", input).await?;
        Ok(made(&name, [("Type", json!(kind)), ("Value", json!(value))]))
    }

    async fn create_key(&self, spec: &Spec<'_>) -> Result<Made, String> {
        let mut input = json!({});
        for key in ["Description", "KeyUsage", "KeySpec", "MultiRegion"] {
            if let Some(v) = spec.get(key) {
                input[key] = if key == "MultiRegion" { json!(scalar_text(v) == "true") } else { json!(scalar_text(v)) };
            }
        }
        if let Some(policy) = spec.document("KeyPolicy") {
            input["Policy"] = json!(policy);
        }
        if let Some(Value::Array(tags)) = spec.get("Tags") {
            input["Tags"] = tags
                .iter()
                .map(|t| json!({"TagKey": scalar_text(&t["Key"]), "TagValue": scalar_text(&t["Value"])}))
                .collect();
        }
        let out = self.call("kms", "CreateKey", input).await?;
        let id = string(&out["KeyMetadata"], "KeyId")?;
        let arn = out["KeyMetadata"]["Arn"].clone();
        let m = made(&id, [("Arn", arn), ("KeyId", json!(id))]);
        self.key_switches(spec, None, &id).await?;
        Ok(m)
    }

    async fn key_switches(&self, spec: &Spec<'_>, old: Option<&Map<String, Value>>, id: &str) -> Result<(), String> {
        let flag = |props: Option<&Map<String, Value>>, key: &str, default: bool| {
            props.and_then(|p| p.get(key)).map_or(default, |v| scalar_text(v) == "true")
        };
        let rotation = flag(Some(spec.props), "EnableKeyRotation", false);
        if rotation != flag(old, "EnableKeyRotation", false) {
            let op = if rotation { "EnableKeyRotation" } else { "DisableKeyRotation" };
            self.call("kms", op, json!({"KeyId": id})).await?;
        }
        let enabled = flag(Some(spec.props), "Enabled", true);
        if enabled != flag(old, "Enabled", true) {
            self.call("kms", if enabled { "EnableKey" } else { "DisableKey" }, json!({"KeyId": id})).await?;
        }
        Ok(())
    }

    async fn update_key(&self, spec: &Spec<'_>, old: &Map<String, Value>, made: &Made) -> Result<Made, String> {
        let id = made.physical_id.as_str();
        if spec.get("Description") != old.get("Description") {
            let input = json!({"KeyId": id, "Description": spec.text("Description").unwrap_or_default()});
            self.call("kms", "UpdateKeyDescription", input).await?;
        }
        if spec.get("KeyPolicy") != old.get("KeyPolicy")
            && let Some(policy) = spec.document("KeyPolicy")
        {
            self.call("kms", "PutKeyPolicy", json!({"KeyId": id, "PolicyName": "default", "Policy": policy})).await?;
        }
        self.key_switches(spec, Some(old), id).await?;
        Ok(made.clone())
    }

    async fn create_alias(&self, spec: &Spec<'_>) -> Result<Made, String> {
        let name = spec.required("AliasName")?;
        let input = json!({"AliasName": name, "TargetKeyId": spec.required("TargetKeyId")?});
        self.call("kms", "CreateAlias", input).await?;
        Ok(made(&name, []))
    }

    async fn create_principal(&self, spec: &Spec<'_>, p: Principal) -> Result<Made, String> {
        let name = self.name(spec, p.name_key(), 64);
        let mut input = json!({p.name_key(): name});
        for key in ["Path", "Description", "MaxSessionDuration", "PermissionsBoundary"] {
            if let Some(v) = spec.get(key) {
                input[key] = if key == "MaxSessionDuration" {
                    json!(scalar_text(v).parse::<i64>().unwrap_or(3600))
                } else {
                    json!(scalar_text(v))
                };
            }
        }
        if p == Principal::Role {
            input["AssumeRolePolicyDocument"] = json!(spec.required_document("AssumeRolePolicyDocument")?);
        }
        if let Some(tags) = spec.get("Tags") {
            input["Tags"] = tags.clone();
        }
        let out = self.call("iam", p.create(), input).await?;
        let entity = &out[p.noun()];
        let made = made(&name, [("Arn", entity["Arn"].clone()), (p.id_field(), entity[p.id_field()].clone())]);
        self.attach(p, &name, &Map::new(), spec.props).await?;
        Ok(made)
    }

    /// Brings the managed and inline policies of a role or user from `old` to `new`.
    async fn attach(
        &self,
        p: Principal,
        name: &str,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
    ) -> Result<(), String> {
        let arns = |props: &Map<String, Value>| -> Vec<String> {
            props
                .get("ManagedPolicyArns")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(scalar_text).collect())
                .unwrap_or_default()
        };
        let inline = |props: &Map<String, Value>| -> Vec<(String, String)> {
            props
                .get("Policies")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            (
                                scalar_text(&p["PolicyName"]),
                                match &p["PolicyDocument"] {
                                    Value::String(s) => s.clone(),
                                    other => other.to_string(),
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let key = p.name_key();
        let (old_arns, new_arns) = (arns(old), arns(new));
        for arn in old_arns.iter().filter(|a| !new_arns.contains(a)) {
            self.call("iam", p.detach(), json!({key: name, "PolicyArn": arn})).await?;
        }
        for arn in new_arns.iter().filter(|a| !old_arns.contains(a)) {
            self.call("iam", p.attach(), json!({key: name, "PolicyArn": arn})).await?;
        }
        let (old_inline, new_inline) = (inline(old), inline(new));
        for (policy, _) in old_inline.iter().filter(|(n, _)| !new_inline.iter().any(|(m, _)| m == n)) {
            self.call("iam", p.delete_policy(), json!({key: name, "PolicyName": policy})).await?;
        }
        for (policy, document) in new_inline.iter().filter(|entry| !old_inline.contains(entry)) {
            self.call("iam", p.put_policy(), json!({key: name, "PolicyName": policy, "PolicyDocument": document}))
                .await?;
        }
        Ok(())
    }

    async fn update_principal(
        &self,
        spec: &Spec<'_>,
        old: &Map<String, Value>,
        made: &Made,
        p: Principal,
    ) -> Result<Made, String> {
        let name = made.physical_id.as_str();
        if p == Principal::Role && spec.get("AssumeRolePolicyDocument") != old.get("AssumeRolePolicyDocument") {
            let document = spec.document("AssumeRolePolicyDocument").unwrap_or_default();
            self.call("iam", "UpdateAssumeRolePolicy", json!({"RoleName": name, "PolicyDocument": document})).await?;
        }
        if p == Principal::Role
            && (spec.get("Description") != old.get("Description")
                || spec.get("MaxSessionDuration") != old.get("MaxSessionDuration"))
        {
            let mut input = json!({"RoleName": name, "Description": spec.text("Description").unwrap_or_default()});
            if let Some(d) = spec.text("MaxSessionDuration") {
                input["MaxSessionDuration"] = json!(d.parse::<i64>().unwrap_or(3600));
            }
            self.call("iam", "UpdateRole", input).await?;
        }
        self.attach(p, name, old, spec.props).await?;
        Ok(made.clone())
    }

    async fn delete_principal(&self, props: &Map<String, Value>, made: &Made, p: Principal) -> Result<(), String> {
        let name = made.physical_id.as_str();
        match self.attach(p, name, props, &Map::new()).await {
            Err(e) if !gone(&e) => return Err(e),
            _ => {}
        }
        self.call("iam", p.delete(), json!({p.name_key(): name})).await.map(drop)
    }

    async fn put_inline_policy(&self, spec: &Spec<'_>, before: Option<&Made>) -> Result<Made, String> {
        let policy = spec.required("PolicyName")?;
        let document = spec.required_document("PolicyDocument")?;
        let targets = policy_targets(spec.props);
        if targets.is_empty() {
            return Err(format!(
                "At least one of [Groups,Roles,Users] must be non-empty for resource {}",
                spec.logical_id
            ));
        }
        for (p, name) in targets {
            self.call(
                "iam",
                p.put_policy(),
                json!({p.name_key(): name, "PolicyName": policy, "PolicyDocument": document}),
            )
            .await?;
        }
        let id = before.map_or_else(|| self.generated_name(spec.logical_id, 128), |m| m.physical_id.clone());
        Ok(made(&id, [("Id", json!(id))]))
    }

    async fn delete_inline_policy(&self, props: &Map<String, Value>, _made: &Made) -> Result<(), String> {
        let policy = props.get("PolicyName").map(scalar_text).unwrap_or_default();
        for (p, name) in policy_targets(props) {
            match self.call("iam", p.delete_policy(), json!({p.name_key(): name, "PolicyName": policy})).await {
                Err(e) if !gone(&e) => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    async fn create_managed_policy(&self, spec: &Spec<'_>) -> Result<Made, String> {
        let name = self.name(spec, "ManagedPolicyName", 128);
        let document = spec.required_document("PolicyDocument")?;
        let mut input = json!({"PolicyName": name, "PolicyDocument": document});
        for key in ["Path", "Description"] {
            if let Some(v) = spec.text(key) {
                input[key] = json!(v);
            }
        }
        let out = self.call("iam", "CreatePolicy", input).await?;
        let arn = string(&out["Policy"], "Arn")?;
        self.attach_managed(&arn, &Map::new(), spec.props).await?;
        Ok(made(&arn, [("PolicyArn", json!(arn)), ("PolicyId", out["Policy"]["PolicyId"].clone())]))
    }

    /// Attaches the managed policy to the roles, users and groups of `new` and detaches it from
    /// those only `old` has.
    async fn attach_managed(
        &self,
        arn: &str,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
    ) -> Result<(), String> {
        let (before, after) = (policy_targets(old), policy_targets(new));
        for (p, name) in before.iter().filter(|t| !after.contains(t)) {
            match self.call("iam", p.detach(), json!({p.name_key(): name, "PolicyArn": arn})).await {
                Err(e) if !gone(&e) => return Err(e),
                _ => {}
            }
        }
        for (p, name) in after.iter().filter(|t| !before.contains(t)) {
            self.call("iam", p.attach(), json!({p.name_key(): name, "PolicyArn": arn})).await?;
        }
        Ok(())
    }

    /// The managed policy's versions other than the default, oldest first.
    async fn old_versions(&self, arn: &str) -> Result<Vec<String>, String> {
        let out = self.call("iam", "ListPolicyVersions", json!({"PolicyArn": arn})).await?;
        let mut versions: Vec<String> = out["Versions"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter(|v| v["IsDefaultVersion"] != json!(true))
                    .map(|v| scalar_text(&v["VersionId"]))
                    .collect()
            })
            .unwrap_or_default();
        versions.sort_by_key(|v| v.trim_start_matches('v').parse::<u32>().unwrap_or(0));
        Ok(versions)
    }

    async fn update_managed_policy(
        &self,
        spec: &Spec<'_>,
        old: &Map<String, Value>,
        made: &Made,
    ) -> Result<Made, String> {
        let arn = made.physical_id.as_str();
        if spec.get("PolicyDocument") != old.get("PolicyDocument") {
            // IAM keeps five versions; the oldest goes to make room, as CloudFormation does.
            let versions = self.old_versions(arn).await?;
            if versions.len() >= 4 {
                self.call("iam", "DeletePolicyVersion", json!({"PolicyArn": arn, "VersionId": versions[0]})).await?;
            }
            let document = spec.document("PolicyDocument").unwrap_or_default();
            let input = json!({"PolicyArn": arn, "PolicyDocument": document, "SetAsDefault": true});
            self.call("iam", "CreatePolicyVersion", input).await?;
        }
        self.attach_managed(arn, old, spec.props).await?;
        Ok(made.clone())
    }

    async fn delete_managed_policy(&self, props: &Map<String, Value>, made: &Made) -> Result<(), String> {
        let arn = made.physical_id.as_str();
        self.attach_managed(arn, props, &Map::new()).await?;
        for version in self.old_versions(arn).await? {
            self.call("iam", "DeletePolicyVersion", json!({"PolicyArn": arn, "VersionId": version})).await?;
        }
        self.call("iam", "DeletePolicy", json!({"PolicyArn": arn})).await.map(drop)
    }

    async fn put_rule(&self, spec: &Spec<'_>, before: Option<&Made>) -> Result<Made, String> {
        let name = before.map_or_else(|| self.name(spec, "Name", 64), |m| memo(m, "Name"));
        let bus = spec.text("EventBusName").unwrap_or_else(|| "default".into());
        if before.is_none() {
            self.absent(
                "AWS::Events::Rule",
                &name,
                "events",
                "DescribeRule",
                json!({"Name": name, "EventBusName": bus}),
            )
            .await?;
        }
        let mut input = json!({"Name": name, "EventBusName": bus});
        for key in ["ScheduleExpression", "State", "Description", "RoleArn"] {
            if let Some(v) = spec.text(key) {
                input[key] = json!(v);
            }
        }
        if let Some(pattern) = spec.document("EventPattern") {
            input["EventPattern"] = json!(pattern);
        }
        let arn = string(&self.call("events", "PutRule", input).await?, "RuleArn")?;
        let targets: Vec<Value> = spec.list("Targets");
        if let Some(before) = before {
            let ids: Vec<Value> =
                memo_list(before, "Targets").into_iter().filter(|id| !targets.iter().any(|t| t["Id"] == *id)).collect();
            if !ids.is_empty() {
                self.call("events", "RemoveTargets", json!({"Rule": name, "EventBusName": bus, "Ids": ids})).await?;
            }
        }
        if !targets.is_empty() {
            let out = self
                .call("events", "PutTargets", json!({"Rule": name, "EventBusName": bus, "Targets": targets}))
                .await?;
            if let Some(failed) = out.get("FailedEntries").and_then(Value::as_array).and_then(|f| f.first()) {
                return Err(format!(
                    "Resource handler returned message: \"{}\" (Service: EventBridge, Error Code: {})",
                    scalar_text(&failed["ErrorMessage"]),
                    scalar_text(&failed["ErrorCode"])
                ));
            }
        }
        let physical = if bus == "default" { name.clone() } else { format!("{bus}|{name}") };
        let mut m = made(&physical, [("Arn", json!(arn))]);
        m.memo.insert("Name".into(), json!(name));
        m.memo.insert("Targets".into(), targets.iter().map(|t| t["Id"].clone()).collect());
        Ok(m)
    }

    async fn delete_rule(&self, props: &Map<String, Value>, made: &Made) -> Result<(), String> {
        let name = memo(made, "Name");
        let bus = props.get("EventBusName").map_or_else(|| "default".to_owned(), scalar_text);
        let ids = memo_list(made, "Targets");
        if !ids.is_empty() {
            match self.call("events", "RemoveTargets", json!({"Rule": name, "EventBusName": bus, "Ids": ids})).await {
                Err(e) if !gone(&e) => return Err(e),
                _ => {}
            }
        }
        self.call("events", "DeleteRule", json!({"Name": name, "EventBusName": bus})).await.map(drop)
    }

    fn function_input(spec: &Spec<'_>, name: &str) -> Value {
        let mut input = json!({"FunctionName": name});
        for key in ["Runtime", "Handler", "Role", "Description", "KmsKeyArn"] {
            if let Some(v) = spec.text(key) {
                input[key] = json!(v);
            }
        }
        for key in ["Timeout", "MemorySize"] {
            if let Some(n) = spec.text(key).and_then(|t| t.parse::<i64>().ok()) {
                input[key] = json!(n);
            }
        }
        if let Some(env) = spec.get("Environment") {
            let vars: Map<String, Value> = env["Variables"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), json!(scalar_text(v)))).collect())
                .unwrap_or_default();
            input["Environment"] = json!({"Variables": vars});
        }
        input
    }

    async fn create_function(&self, spec: &Spec<'_>) -> Result<Made, String> {
        let name = self.name(spec, "FunctionName", 64);
        let mut input = Self::function_input(spec, &name);
        input["Code"] = json!({"ZipFile": inline_zip(spec)?});
        if let Some(Value::Array(tags)) = spec.get("Tags") {
            input["Tags"] = tags
                .iter()
                .map(|t| (scalar_text(&t["Key"]), json!(scalar_text(&t["Value"]))))
                .collect::<Map<_, _>>()
                .into();
        }
        if let Some(a) = spec.get("Architectures") {
            input["Architectures"] = a.clone();
        }
        let out = self.call("lambda", "CreateFunction", input).await?;
        Ok(made(&name, [("Arn", out["FunctionArn"].clone())]))
    }

    async fn update_function(&self, spec: &Spec<'_>, old: &Map<String, Value>, made: &Made) -> Result<Made, String> {
        let name = made.physical_id.as_str();
        let mut config = Self::function_input(spec, name);
        if spec.get("Environment").is_none() && old.contains_key("Environment") {
            config["Environment"] = json!({"Variables": {}});
        }
        self.call("lambda", "UpdateFunctionConfiguration", config).await?;
        if spec.get("Code") != old.get("Code") {
            self.call("lambda", "UpdateFunctionCode", json!({"FunctionName": name, "ZipFile": inline_zip(spec)?}))
                .await?;
        }
        Ok(made.clone())
    }

    async fn add_permission(&self, spec: &Spec<'_>) -> Result<Made, String> {
        let function = spec.required("FunctionName")?;
        let statement = self.generated_name(spec.logical_id, 100);
        let mut input = json!({"FunctionName": function, "StatementId": statement,
            "Action": spec.required("Action")?, "Principal": spec.required("Principal")?});
        for key in ["SourceArn", "SourceAccount", "PrincipalOrgID", "FunctionUrlAuthType"] {
            if let Some(v) = spec.text(key) {
                input[key] = json!(v);
            }
        }
        self.call("lambda", "AddPermission", input).await?;
        let mut m = made(&statement, [("Id", json!(statement))]);
        m.memo.insert("FunctionName".into(), json!(function));
        Ok(m)
    }

    async fn create_log_group(&self, spec: &Spec<'_>) -> Result<Made, String> {
        let name = self.name(spec, "LogGroupName", 512);
        let mut input = json!({"logGroupName": name});
        if let Some(k) = spec.text("KmsKeyId") {
            input["kmsKeyId"] = json!(k);
        }
        if let Some(Value::Array(tags)) = spec.get("Tags") {
            input["tags"] = tags
                .iter()
                .map(|t| (scalar_text(&t["Key"]), json!(scalar_text(&t["Value"]))))
                .collect::<Map<_, _>>()
                .into();
        }
        self.call("logs", "CreateLogGroup", input).await?;
        self.log_retention(&name, spec).await?;
        Ok(made(&name, [("Arn", json!(self.arn("logs", &format!("log-group:{name}:*"))))]))
    }

    async fn log_retention(&self, name: &str, spec: &Spec<'_>) -> Result<(), String> {
        match spec.text("RetentionInDays").and_then(|d| d.parse::<i64>().ok()) {
            Some(days) => {
                self.call("logs", "PutRetentionPolicy", json!({"logGroupName": name, "retentionInDays": days})).await
            }
            None => self.call("logs", "DeleteRetentionPolicy", json!({"logGroupName": name})).await,
        }
        .map(drop)
    }
}

/// A role or a user: the same policy operations under two names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Principal {
    Role,
    User,
    Group,
}

impl Principal {
    fn noun(self) -> &'static str {
        match self {
            Principal::Role => "Role",
            Principal::User => "User",
            Principal::Group => "Group",
        }
    }

    fn name_key(self) -> &'static str {
        match self {
            Principal::Role => "RoleName",
            Principal::User => "UserName",
            Principal::Group => "GroupName",
        }
    }

    fn id_field(self) -> &'static str {
        match self {
            Principal::Role => "RoleId",
            Principal::User => "UserId",
            Principal::Group => "GroupId",
        }
    }

    fn create(self) -> &'static str {
        match self {
            Principal::Role => "CreateRole",
            Principal::User => "CreateUser",
            Principal::Group => "CreateGroup",
        }
    }

    fn delete(self) -> &'static str {
        match self {
            Principal::Role => "DeleteRole",
            Principal::User => "DeleteUser",
            Principal::Group => "DeleteGroup",
        }
    }

    fn attach(self) -> &'static str {
        match self {
            Principal::Role => "AttachRolePolicy",
            Principal::User => "AttachUserPolicy",
            Principal::Group => "AttachGroupPolicy",
        }
    }

    fn detach(self) -> &'static str {
        match self {
            Principal::Role => "DetachRolePolicy",
            Principal::User => "DetachUserPolicy",
            Principal::Group => "DetachGroupPolicy",
        }
    }

    fn put_policy(self) -> &'static str {
        match self {
            Principal::Role => "PutRolePolicy",
            Principal::User => "PutUserPolicy",
            Principal::Group => "PutGroupPolicy",
        }
    }

    fn delete_policy(self) -> &'static str {
        match self {
            Principal::Role => "DeleteRolePolicy",
            Principal::User => "DeleteUserPolicy",
            Principal::Group => "DeleteGroupPolicy",
        }
    }
}

/// The roles, users and groups an `AWS::IAM::Policy` is put on.
fn policy_targets(props: &Map<String, Value>) -> Vec<(Principal, String)> {
    let mut out = Vec::new();
    for (key, p) in [("Roles", Principal::Role), ("Users", Principal::User), ("Groups", Principal::Group)] {
        if let Some(Value::Array(names)) = props.get(key) {
            out.extend(names.iter().map(|n| (p, scalar_text(n))));
        }
    }
    out
}

/// The SQS attributes a queue's properties set.
const QUEUE_ATTRIBUTES: &[&str] = &[
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

fn queue_attributes(spec: &Spec<'_>) -> Map<String, Value> {
    QUEUE_ATTRIBUTES.iter().filter_map(|k| spec.document(k).map(|v| ((*k).to_owned(), json!(v)))).collect()
}

/// What SQS sets an attribute back to when a template stops naming it.
fn queue_default(key: &str) -> &'static str {
    match key {
        "DelaySeconds" | "ReceiveMessageWaitTimeSeconds" => "0",
        "MaximumMessageSize" => "262144",
        "MessageRetentionPeriod" => "345600",
        "VisibilityTimeout" => "30",
        "KmsDataKeyReusePeriodSeconds" => "300",
        "SqsManagedSseEnabled" | "ContentBasedDeduplication" => "false",
        _ => "",
    }
}

/// A function's inline `Code.ZipFile` source as the package CloudFormation makes of it: one
/// file, `index.py` (so the handler is `index.NAME`), base64 as Lambda's model takes it.
fn inline_zip(spec: &Spec<'_>) -> Result<String, String> {
    use base64::Engine;
    let code = spec.get("Code").and_then(Value::as_object).cloned().unwrap_or_default();
    if code.contains_key("S3Bucket") || code.contains_key("ImageUri") {
        return Err(format!(
            "Properties validation failed for resource {}: spcred takes a function's code inline, as Code.ZipFile; \
             S3Bucket, S3Key and ImageUri are not supported",
            spec.logical_id
        ));
    }
    let Some(source) = code.get("ZipFile").map(scalar_text) else {
        return Err(format!(
            "Properties validation failed for resource {} with message: #/Code: required key [ZipFile] not found",
            spec.logical_id
        ));
    };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    zip.start_file("index.py", options).map_err(|e| e.to_string())?;
    zip.write_all(source.as_bytes()).map_err(|e| e.to_string())?;
    zip.finish().map_err(|e| e.to_string())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(out.into_inner()))
}

fn made<const N: usize>(physical_id: &str, attributes: [(&str, Value); N]) -> Made {
    Made {
        physical_id: physical_id.to_owned(),
        attributes: attributes.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        memo: Map::new(),
    }
}

fn memo(made: &Made, key: &str) -> String {
    made.memo.get(key).map_or_else(|| made.physical_id.clone(), scalar_text)
}

fn memo_list(made: &Made, key: &str) -> Vec<Value> {
    made.memo.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
}

fn string(out: &Value, key: &str) -> Result<String, String> {
    out.get(key).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| format!("the service did not return {key}"))
}

/// Whether a call failed because the thing is already gone (by the error code the message ends
/// with, see [`Calls::call`]).
fn gone(message: &str) -> bool {
    let code = message.rsplit_once("Error Code: ").map_or("", |(_, c)| c.trim_end_matches(')'));
    code.contains("NotFound") || matches!(code, "NoSuchEntity" | "QueueDoesNotExist")
}
