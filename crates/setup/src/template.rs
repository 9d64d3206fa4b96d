//! `spcred setup --cloudformation`: the whole rotation chain as one CloudFormation template, for
//! teams that deploy with CloudFormation on AWS or on `spcred serve`. It holds what setup makes,
//! with the same names and documents, except the SecureStrings (CloudFormation cannot create
//! SecureString parameters): `spcred setup` run after the stack puts them and finds the rest in
//! place.

use crate::documents;
use crate::{
    Account, EXPIRY_QUEUE, IAM_POLICY, IAM_ROLE, IAM_USER, NEW_SECRET_QUEUE, RULE, STS_POLICY, Scope, TARGET_ID, TOPIC,
};
use serde_json::{Map, Value, json};

/// The template for `scope` (`queue_kms`: the queues encrypted with the key, whose policy then
/// lets Amazon use it). ARNs are written with `${AWS::AccountId}` and `${AWS::Region}`, so one
/// template deploys in any account and region.
pub fn rotation_template(scope: &Scope, queue_kms: bool) -> Value {
    let account = Account { id: "${AWS::AccountId}".into(), region: "${AWS::Region}".into() };
    let names = &scope.names;
    let mut resources = Map::new();
    resources.insert(
        "LwaKey".into(),
        json!({"Type": "AWS::KMS::Key", "Properties": {
            "Description": "SP-API LWA credentials (spcred setup)",
            "KeyPolicy": documents::key_policy(&account.id, queue_kms)}}),
    );
    resources.insert(
        "LwaKeyAlias".into(),
        json!({"Type": "AWS::KMS::Alias", "Properties": {"AliasName": names.key_alias, "TargetKeyId": {"Ref": "LwaKey"}}}),
    );
    let subscriptions: Vec<Value> = scope
        .subscribers()
        .into_iter()
        .map(|(protocol, endpoint)| json!({"Protocol": protocol, "Endpoint": endpoint}))
        .collect();
    let mut topic = json!({"TopicName": TOPIC});
    if !subscriptions.is_empty() {
        topic["Subscription"] = Value::Array(subscriptions);
    }
    resources.insert("RotationTopic".into(), json!({"Type": "AWS::SNS::Topic", "Properties": topic}));
    resources.insert(
        "RotationTopicPolicy".into(),
        json!({"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": "RotationTopic"}],
            "PolicyDocument": documents::policy_of(&documents::topic_statement(&account.topic_arn(), &account.rule_arn()))}}),
    );
    resources.insert(
        "RotationRule".into(),
        json!({"Type": "AWS::Events::Rule", "Properties": {
            "Name": RULE, "EventBusName": "default", "State": "ENABLED",
            "EventPattern": documents::event_pattern(&names.parameters.client_secret),
            "Targets": [{"Id": TARGET_ID, "Arn": {"Ref": "RotationTopic"}}]}}),
    );
    for (logical, name) in [("ExpiryQueue", EXPIRY_QUEUE), ("NewSecretQueue", NEW_SECRET_QUEUE)] {
        let mut queue = json!({"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name}});
        if queue_kms {
            queue["Properties"]["KmsMasterKeyId"] = json!(names.key_alias);
            queue["DependsOn"] = json!("LwaKeyAlias");
        }
        resources.insert(logical.into(), queue);
        resources.insert(
            format!("{logical}Policy"),
            json!({"Type": "AWS::SQS::QueuePolicy", "Properties": {
                "Queues": [{"Ref": logical}],
                "PolicyDocument": documents::policy_of(&documents::queue_statement(&account.queue_arn(name)))}}),
        );
    }
    if scope.iam {
        resources.insert(
            "SellingPartnerApiPolicy".into(),
            json!({"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                "ManagedPolicyName": IAM_POLICY, "PolicyDocument": documents::selling_partner_api_policy()}}),
        );
        resources.insert(
            "SellingPartnerApiUser".into(),
            json!({"Type": "AWS::IAM::User", "Properties": {"UserName": IAM_USER, "Policies": [
                {"PolicyName": STS_POLICY, "PolicyDocument": documents::sts_policy(&account.role_arn())}]}}),
        );
        resources.insert(
            "SellingPartnerApiRole".into(),
            json!({"Type": "AWS::IAM::Role", "DependsOn": "SellingPartnerApiUser", "Properties": {
                "RoleName": IAM_ROLE,
                "AssumeRolePolicyDocument": documents::trust_policy(&account.user_arn()),
                "ManagedPolicyArns": [{"Ref": "SellingPartnerApiPolicy"}]}}),
        );
    }
    let mut outputs = json!({
        "TopicArn": {"Description": "The rotation reminders' topic", "Value": {"Ref": "RotationTopic"}},
        "RuleArn": {"Value": {"Fn::GetAtt": ["RotationRule", "Arn"]}},
        "ExpiryQueueArn": {"Description": "Developer Central: APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY",
                           "Value": {"Fn::GetAtt": ["ExpiryQueue", "Arn"]}},
        "NewSecretQueueArn": {"Description": "Developer Central: APPLICATION_OAUTH_CLIENT_NEW_SECRET",
                              "Value": {"Fn::GetAtt": ["NewSecretQueue", "Arn"]}},
        "KeyArn": {"Value": {"Fn::GetAtt": ["LwaKey", "Arn"]}},
    });
    if scope.iam {
        outputs["RoleArn"] =
            json!({"Description": "The app's IAM ARN", "Value": {"Fn::GetAtt": ["SellingPartnerApiRole", "Arn"]}});
    }
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "SP-API LWA credential rotation (spcred setup --cloudformation); put the SecureStrings with spcred setup after deploying",
        "Resources": resources,
        "Outputs": outputs,
    });
    substituted(template)
}

/// Every string that names a pseudo parameter, as `Fn::Sub` of itself.
fn substituted(value: Value) -> Value {
    match value {
        Value::String(s) if s.contains("${AWS::") => json!({"Fn::Sub": s}),
        Value::Array(items) => Value::Array(items.into_iter().map(substituted).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, substituted(v))).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Names;

    #[test]
    fn arns_are_substituted_and_iam_is_optional() {
        let scope =
            Scope { names: Names::under("/my-erp"), iam: false, emails: vec!["a@example.com".into()], phones: vec![] };
        let t = rotation_template(&scope, true);
        let resources = t["Resources"].as_object().unwrap();
        assert!(!resources.contains_key("SellingPartnerApiRole"));
        assert_eq!(
            t["Resources"]["RotationTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Resource"],
            json!({"Fn::Sub": "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:lwa-credential-rotation"})
        );
        assert_eq!(t["Resources"]["ExpiryQueue"]["Properties"]["KmsMasterKeyId"], json!("alias/my-erp-lwa"));
        assert_eq!(t["Resources"]["RotationTopic"]["Properties"]["Subscription"][0]["Protocol"], json!("email"));
        let with_iam = rotation_template(&Scope { iam: true, ..scope }, false);
        assert_eq!(with_iam["Resources"]["SellingPartnerApiRole"]["Properties"]["RoleName"], json!(IAM_ROLE));
        assert!(with_iam["Resources"]["ExpiryQueue"].get("DependsOn").is_none());
    }
}
