"""AWS CloudFormation with the AWS CLI and boto3: the rotation blog's EventBridge template deployed
with `aws cloudformation deploy`, templates in YAML and JSON with parameters, conditions,
intrinsic functions and outputs, updates in place and by replacement, rollback that leaves
nothing behind, and every step decided as the caller."""
import json
import sys

import pytest
from botocore.exceptions import ClientError

from sinks import wait_for
from test_rotation_reminder import check_reminder, put_secret, reminders, the_topic

# The blog's template, as it prints it; the target is the topic the blog created before.
BLOG_TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Description: CloudFormation template for EventBridge rule 'ssm-parameter-store'
Resources:
  EventRule0:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: default
      EventPattern:
        source:
          - aws.ssm
        detail-type:
          - Parameter Store Policy Action
        detail:
          parameter-name:
            - "/my-erp/lwa/clientsecret"
      Name: My-ERP-Rotate
      State: ENABLED
      Targets:
        - Id: my-sns-target-to-multi-email-and-sms
          Arn: >-
            {topic}
"""


def stack(s, name):
    return s.aws("cloudformation", "describe-stacks", "--stack-name", name)["Stacks"][0]


def deploy(s, template, name, *args):
    """`aws cloudformation deploy`, which prints its progress as text; returns what it printed."""
    p = s.aws("cloudformation", "deploy", "--template-file", str(template), "--stack-name", name, *args, check=False)
    assert p.returncode == 0, p.stderr
    return p.stdout + p.stderr


def events(s, name):
    return s.aws("cloudformation", "describe-stack-events", "--stack-name", name)["StackEvents"]


def test_the_blogs_template_deployed_routes_the_day_150_reminder(fresh_server, tmp_path, smtp_sink, sms_sink):
    s = fresh_server(["--smtp-url", smtp_sink.url, "--sms-url", sms_sink.url("/Messages.json")])
    key_id = s.aws("kms", "create-key", "--description", "LWA credentials")["KeyMetadata"]["KeyId"]
    put_secret(s, tmp_path, key_id)
    topic = the_topic(s, smtp_sink)

    template = tmp_path / "eventbridge-rule.yaml"
    template.write_text(BLOG_TEMPLATE.format(topic=topic))
    checked = s.aws("cloudformation", "validate-template", "--template-body", f"file://{template}")
    assert checked["Description"] == "CloudFormation template for EventBridge rule 'ssm-parameter-store'"
    out = deploy(s, template, "ssm-parameter-store")
    assert "Successfully created/updated stack - ssm-parameter-store" in out
    created = stack(s, "ssm-parameter-store")
    assert created["StackStatus"] == "CREATE_COMPLETE"
    assert created["StackId"].startswith(f"arn:aws:cloudformation:us-east-1:{topic.split(':')[4]}:stack/ssm-parameter-store/")
    resources = s.aws("cloudformation", "list-stack-resources", "--stack-name", "ssm-parameter-store")["StackResourceSummaries"]
    assert [(r["LogicalResourceId"], r["PhysicalResourceId"], r["ResourceType"], r["ResourceStatus"]) for r in resources] == [
        ("EventRule0", "My-ERP-Rotate", "AWS::Events::Rule", "CREATE_COMPLETE")]
    statuses = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events(s, "ssm-parameter-store"))]
    assert statuses == [
        ("ssm-parameter-store", "REVIEW_IN_PROGRESS"), ("ssm-parameter-store", "CREATE_IN_PROGRESS"),
        ("EventRule0", "CREATE_IN_PROGRESS"), ("EventRule0", "CREATE_COMPLETE"),
        ("ssm-parameter-store", "CREATE_COMPLETE")]
    targets = s.aws("events", "list-targets-by-rule", "--rule", "My-ERP-Rotate")["Targets"]
    assert targets == [{"Id": "my-sns-target-to-multi-email-and-sms", "Arn": topic}]
    # Deploying the same template again changes nothing, as the CLI says.
    unchanged = deploy(s, template, "ssm-parameter-store", "--no-fail-on-empty-changeset")
    assert "No changes to deploy. Stack ssm-parameter-store is up to date" in unchanged

    # The topic lets the rule publish (the blog's topic policy), then day 150 comes.
    rule_arn = s.aws("events", "describe-rule", "--name", "My-ERP-Rotate")["Arn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": topic,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
    s.aws("sns", "set-topic-attributes", "--topic-arn", topic, "--attribute-name", "Policy", "--attribute-value", json.dumps(policy))
    s.advance(days=149)
    assert reminders(smtp_sink) == []
    s.advance(days=1, seconds=60)
    mail = wait_for(lambda: reminders(smtp_sink), what="the reminder e-mail")
    texts = wait_for(lambda: sms_sink.forms(), what="the reminder text")
    assert len(mail) == 1 and len(texts) == 1
    check_reminder(mail[0], texts[0])

    # Deleting the stack removes the rule it made, and only that.
    s.aws("cloudformation", "delete-stack", "--stack-name", "ssm-parameter-store")
    s.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", "ssm-parameter-store")
    assert s.aws("events", "list-rules")["Rules"] == []
    assert [t["TopicArn"] for t in s.aws("sns", "list-topics")["Topics"]] == [topic]


HALFWAY = """
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: halfway-topic}
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: halfway-queue}
  Setting:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /halfway/setting
      Type: String
      AllowedPattern: "^[0-9]+$"
      Value: !GetAtt Topic.TopicName
"""


def test_a_template_that_fails_halfway_leaves_nothing_behind(server, tmp_path):
    body = tmp_path / "halfway.yaml"
    body.write_text(HALFWAY)
    stack_id = server.aws("cloudformation", "create-stack", "--stack-name", "halfway",
                          "--template-body", f"file://{body}")["StackId"]
    failed = stack(server, "halfway")
    assert failed["StackStatus"] == "ROLLBACK_COMPLETE"
    assert failed["StackStatusReason"] == "The following resource(s) failed to create: [Setting]. Rollback requested by user."
    history = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events(server, "halfway"))]
    assert ("Setting", "CREATE_FAILED") in history
    # Undone newest first: the queue, then the topic.
    assert history[history.index(("Setting", "CREATE_FAILED")) + 1:] == [
        ("halfway", "ROLLBACK_IN_PROGRESS"), ("Queue", "DELETE_IN_PROGRESS"), ("Queue", "DELETE_COMPLETE"),
        ("Topic", "DELETE_IN_PROGRESS"), ("Topic", "DELETE_COMPLETE"), ("halfway", "ROLLBACK_COMPLETE")]
    reason = next(e["ResourceStatusReason"] for e in events(server, "halfway") if e["ResourceStatus"] == "CREATE_FAILED")
    assert reason.startswith("Resource handler returned message:") and "(Service: ssm, Status Code: 400" in reason
    # Nothing the stack made is left.
    assert not [t for t in server.aws("sns", "list-topics")["Topics"] if "halfway" in t["TopicArn"]]
    assert "halfway-queue" not in json.dumps(server.aws("sqs", "list-queues") or {})
    # The stack can only be deleted now, and then it is gone by name but kept by id.
    update = server.aws("cloudformation", "update-stack", "--stack-name", "halfway", "--template-body", f"file://{body}", check=False)
    assert update.returncode != 0 and "ROLLBACK_COMPLETE state and can not be updated" in update.stderr
    server.aws("cloudformation", "delete-stack", "--stack-name", "halfway")
    missing = server.aws("cloudformation", "describe-stacks", "--stack-name", "halfway", check=False)
    assert missing.returncode != 0 and "Stack with id halfway does not exist" in missing.stderr
    assert stack(server, stack_id)["StackStatus"] == "DELETE_COMPLETE"


APP = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "An app's notification plumbing",
    "Parameters": {
        "Env": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
        "Retention": {"Type": "Number", "Default": "30"},
        "Webhook": {"Type": "String", "NoEcho": True, "Default": "s3cr3t-hook"},
    },
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
    "Resources": {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-notices"}}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 45}},
        "QueuePolicy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": "Queue"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
                "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": "Topic"}}}}]}}},
        "Subscription": {"Type": "AWS::SNS::Subscription", "DependsOn": "QueuePolicy", "Properties": {
            "TopicArn": {"Ref": "Topic"}, "Protocol": "sqs", "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
            "RawMessageDelivery": "true"}},
        "Setting": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Name": {"Fn::Join": ["/", ["", {"Ref": "AWS::StackName"}, "env"]]}, "Type": "String",
            "Value": {"Fn::If": ["IsProd", "production", {"Fn::Sub": "${Env}-${Topic.TopicName}"}]}}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": "app key", "EnableKeyRotation": True}},
        "Alias": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": {"Fn::Sub": "alias/${AWS::StackName}"},
                                                            "TargetKeyId": {"Ref": "Key"}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": {"Fn::Sub": "${AWS::StackName}-reader"},
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "read", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}]}}]}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": {"Ref": "Retention"}}},
        "ProdOnly": {"Type": "AWS::SQS::Queue", "Condition": "IsProd"},
    },
    "Outputs": {
        "TopicArn": {"Value": {"Ref": "Topic"}, "Description": "where notices go"},
        "QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}},
        "Setting": {"Value": {"Fn::GetAtt": ["Setting", "Value"]}},
        "KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}},
    },
}


def outputs(st):
    return {o["OutputKey"]: o["OutputValue"] for o in st.get("Outputs", [])}


def test_a_json_template_with_parameters_conditions_outputs_and_updates(server):
    cfn = server.client("cloudformation")
    body = json.dumps(APP)
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="app", TemplateBody=body)
    assert e.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"
    assert e.value.response["Error"]["Message"] == "Requires capabilities : [CAPABILITY_NAMED_IAM]"
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="app", TemplateBody=body, Parameters=[{"ParameterKey": "Env", "ParameterValue": "qa"}],
                         Capabilities=["CAPABILITY_NAMED_IAM"])
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert "must be one of AllowedValues" in e.value.response["Error"]["Message"]
    assert cfn.list_stacks()["StackSummaries"] == [] or all(x["StackName"] != "app" for x in cfn.list_stacks()["StackSummaries"])

    cfn.create_stack(StackName="app", TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"])
    cfn.get_waiter("stack_create_complete").wait(StackName="app", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    st = cfn.describe_stacks(StackName="app")["Stacks"][0]
    assert st["Description"] == "An app's notification plumbing"
    params = {p["ParameterKey"]: p["ParameterValue"] for p in st["Parameters"]}
    assert params == {"Env": "dev", "Retention": "30", "Webhook": "****"}
    out = outputs(st)
    account = server.client("sts").get_caller_identity()["Account"]
    assert out["TopicArn"] == f"arn:aws:sns:us-east-1:{account}:app-notices"
    assert out["Setting"] == "dev-app-notices"
    ssm = server.client("ssm")
    assert ssm.get_parameter(Name="/app/env")["Parameter"]["Value"] == "dev-app-notices"
    kinds = {r["LogicalResourceId"]: r["ResourceType"] for r in cfn.list_stack_resources(StackName="app")["StackResourceSummaries"]}
    assert "ProdOnly" not in kinds and len(kinds) == 9

    # The subscription delivers to the queue the policy opened.
    sqs = server.client("sqs")
    queue_url = next(r["PhysicalResourceId"] for r in cfn.describe_stack_resources(StackName="app")["StackResources"]
                     if r["LogicalResourceId"] == "Queue")
    assert sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn", "VisibilityTimeout"])["Attributes"] == {
        "QueueArn": out["QueueArn"], "VisibilityTimeout": "45"}
    server.client("sns").publish(TopicArn=out["TopicArn"], Message="hello from the stack")
    server.advance(seconds=0)
    got = wait_for(lambda: sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages"), what="the message")
    assert got[0]["Body"] == "hello from the stack"
    # The key, its alias, the role's inline policy, the log group's retention.
    kms = server.client("kms")
    assert kms.describe_key(KeyId="alias/app")["KeyMetadata"]["Arn"] == out["KeyArn"]
    assert kms.get_key_rotation_status(KeyId=out["KeyArn"])["KeyRotationEnabled"] is True
    iam = server.client("iam")
    assert iam.list_role_policies(RoleName="app-reader")["PolicyNames"] == ["read"]
    logs_name = next(r["PhysicalResourceId"] for r in cfn.describe_stack_resources(StackName="app")["StackResources"]
                     if r["LogicalResourceId"] == "Logs")
    assert logs_name.startswith("app-Logs-")
    group = server.client("logs").describe_log_groups(logGroupNamePrefix=logs_name)["logGroups"][0]
    assert group["retentionInDays"] == 30

    # No change, no update.
    with pytest.raises(ClientError) as e:
        cfn.update_stack(StackName="app", UsePreviousTemplate=True, Capabilities=["CAPABILITY_NAMED_IAM"])
    assert e.value.response["Error"]["Message"] == "No updates are to be performed."

    # Prod: the parameter changes in place, the prod-only queue appears, the retention changes.
    cfn.update_stack(StackName="app", UsePreviousTemplate=True, Capabilities=["CAPABILITY_NAMED_IAM"],
                     Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"},
                                 {"ParameterKey": "Retention", "ParameterValue": "7"},
                                 {"ParameterKey": "Webhook", "UsePreviousValue": True}])
    st = cfn.describe_stacks(StackName="app")["Stacks"][0]
    assert st["StackStatus"] == "UPDATE_COMPLETE"
    assert ssm.get_parameter(Name="/app/env")["Parameter"]["Value"] == "production"
    assert ssm.get_parameter(Name="/app/env")["Parameter"]["Version"] == 2
    assert server.client("logs").describe_log_groups(logGroupNamePrefix=logs_name)["logGroups"][0]["retentionInDays"] == 7
    kinds = {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="app")["StackResourceSummaries"]}
    assert "ProdOnly" in kinds

    # A template without the log group: it is removed, the rest untouched.
    smaller = json.loads(body)
    del smaller["Resources"]["Logs"]
    cfn.update_stack(StackName="app", TemplateBody=json.dumps(smaller), Capabilities=["CAPABILITY_NAMED_IAM"],
                     Parameters=[{"ParameterKey": "Env", "UsePreviousValue": True}])
    assert server.client("logs").describe_log_groups(logGroupNamePrefix=logs_name)["logGroups"] == []
    assert cfn.get_template(StackName="app")["TemplateBody"] == json.loads(json.dumps(smaller))

    # Deleted: everything it made is gone.
    cfn.delete_stack(StackName="app")
    assert cfn.describe_stacks(StackName=st["StackId"])["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert ssm.get_parameters(Names=["/app/env"])["InvalidParameters"] == ["/app/env"]
    with pytest.raises(ClientError):
        iam.get_role(RoleName="app-reader")
    assert not [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/app"]
    assert kms.describe_key(KeyId=out["KeyArn"])["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_templates_are_checked_as_cloudformation_checks_them(server, tmp_path):
    cfn = server.client("cloudformation")

    def error(**kw):
        with pytest.raises(ClientError) as e:
            cfn.validate_template(**kw)
        return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]

    assert error(TemplateBody="Resources:\n  B:\n    Type: AWS::S3::Bucket\n") == (
        "ValidationError", "Template format error: Unrecognized resource types: [AWS::S3::Bucket]")
    assert error(TemplateBody="Resources: {}\n") == (
        "ValidationError", "Template format error: At least one Resources member must be defined.")
    code, message = error(TemplateBody="Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {TopicName: !Ref Missing}}\n")
    assert message == "Template format error: Unresolved resource dependencies [Missing] in the Resources block of the template"
    code, message = error(TemplateBody="Resources:\n  A: {Type: AWS::SNS::Topic, DependsOn: B}\n  B: {Type: AWS::SNS::Topic, DependsOn: A}\n")
    assert message == "Circular dependency between resources: [A, B]"
    code, message = error(TemplateBody="Resources: [unclosed\n")
    assert message.startswith("Template format error: YAML not well-formed.")
    ok = cfn.validate_template(TemplateBody=json.dumps(APP))
    assert ok["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert ok["CapabilitiesReason"] == "The following resource(s) require capabilities: [AWS::IAM::Role]"
    assert [(p["ParameterKey"], p.get("DefaultValue"), p["NoEcho"]) for p in ok["Parameters"]] == [
        ("Env", "dev", False), ("Retention", "30", False), ("Webhook", "s3cr3t-hook", True)]
    with pytest.raises(ClientError) as e:
        cfn.describe_stacks(StackName="no-such-stack")
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert e.value.response["Error"]["Message"] == "Stack with id no-such-stack does not exist"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    body = "Resources:\n  T: {Type: AWS::SNS::Topic}\n"
    cfn.create_stack(StackName="twice", TemplateBody=body)
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="twice", TemplateBody=body)
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == (
        "AlreadyExistsException", "Stack [twice] already exists")
    assert cfn.get_template_summary(StackName="twice")["ResourceTypes"] == ["AWS::SNS::Topic"]
    # A generated name: STACK-LOGICALID-RANDOM.
    topic = cfn.describe_stack_resource(StackName="twice", LogicalResourceId="T")["StackResourceDetail"]["PhysicalResourceId"]
    assert topic.split(":")[-1].startswith("twice-T-")
    cfn.delete_stack(StackName="twice")


def test_change_sets_show_what_would_change_before_it_does(server):
    cfn = server.client("cloudformation")
    v1 = "Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: cs-queue}}\n"
    made = cfn.create_change_set(StackName="cs", ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=v1)
    assert made["Id"].startswith("arn:aws:cloudformation:us-east-1:") and ":changeSet/first/" in made["Id"]
    assert cfn.describe_stacks(StackName="cs")["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    described = cfn.describe_change_set(ChangeSetName="first", StackName="cs")
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert [c["ResourceChange"]["Action"] for c in described["Changes"]] == ["Add"]
    assert "cs-queue" not in json.dumps(server.client("sqs").list_queues()), "nothing is made before execution"
    cfn.execute_change_set(ChangeSetName=made["Id"])
    assert cfn.describe_stacks(StackName="cs")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert cfn.describe_change_set(ChangeSetName=made["Id"])["ExecutionStatus"] == "EXECUTE_COMPLETE"
    with pytest.raises(ClientError) as e:
        cfn.execute_change_set(ChangeSetName=made["Id"])
    assert e.value.response["Error"]["Code"] == "InvalidChangeSetStatus"

    v2 = "Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: cs-queue, DelaySeconds: 5}}\n  T: {Type: AWS::SNS::Topic}\n"
    cfn.create_change_set(StackName="cs", ChangeSetName="second", TemplateBody=v2)
    changes = cfn.describe_change_set(ChangeSetName="second", StackName="cs")["Changes"]
    assert sorted((c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"]) for c in changes) == [
        ("Add", "T"), ("Modify", "Q")]
    same = cfn.create_change_set(StackName="cs", ChangeSetName="same", TemplateBody=v1)
    failed = cfn.describe_change_set(ChangeSetName=same["Id"])
    assert failed["Status"] == "FAILED" and "didn't contain changes" in failed["StatusReason"]
    assert [s["ChangeSetName"] for s in cfn.list_change_sets(StackName="cs")["Summaries"]] == ["first", "second", "same"]
    cfn.delete_change_set(ChangeSetName="same", StackName="cs")
    with pytest.raises(ClientError) as e:
        cfn.describe_change_set(ChangeSetName="same", StackName="cs")
    assert e.value.response["Error"]["Code"] == "ChangeSetNotFound"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    cfn.delete_stack(StackName="cs")


def test_each_step_is_decided_as_the_caller(server):
    iam = server.client("iam")
    iam.create_user(UserName="cfn-only")
    iam.put_user_policy(UserName="cfn-only", PolicyName="cfn", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["cloudformation:*", "sqs:*", "sns:GetTopicAttributes"], "Resource": "*"}]}))
    key = iam.create_access_key(UserName="cfn-only")["AccessKey"]
    cfn = server.client("cloudformation", key["AccessKeyId"], key["SecretAccessKey"])
    body = "Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: allowed-queue}}\n  T: {Type: AWS::SNS::Topic, DependsOn: Q, Properties: {TopicName: denied-topic}}\n"
    cfn.create_stack(StackName="as-caller", TemplateBody=body)
    st = cfn.describe_stacks(StackName="as-caller")["Stacks"][0]
    assert st["StackStatus"] == "ROLLBACK_COMPLETE"
    reason = next(e["ResourceStatusReason"] for e in cfn.describe_stack_events(StackName="as-caller")["StackEvents"]
                  if e["ResourceStatus"] == "CREATE_FAILED")
    assert "AuthorizationError" in reason and "perform: SNS:CreateTopic on resource" in reason
    assert "allowed-queue" not in json.dumps(server.client("sqs").list_queues())
    audit = server.admin("GET", "/_spcred/audit", params={"operation": "CreateTopic"}).json()["records"]
    denied = [r for r in audit if r["principal_arn"].endswith(":user/cfn-only")]
    assert denied and denied[0]["outcome"] == "Denied"
    # Without cloudformation:CreateStack, nothing starts at all.
    iam.put_user_policy(UserName="cfn-only", PolicyName="cfn", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudformation:Describe*", "Resource": "*"}]}))
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="never", TemplateBody=body)
    assert e.value.response["Error"]["Code"] == "AccessDenied"


FUNCTION_STACK = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
  Greeter:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: greeter
      Runtime: python3.11
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Timeout: 10
      Environment:
        Variables:
          GREETING: !Sub 'hello from ${AWS::StackName}'
      Code:
        ZipFile: |
          import os
          def handler(event, context):
              return {"greeting": os.environ["GREETING"], "name": event.get("name")}
  AllowEvents:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Greeter
      Action: lambda:InvokeFunction
      Principal: events.amazonaws.com
      SourceArn: !GetAtt Schedule.Arn
  Schedule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - Id: greeter
          Arn: !GetAtt Greeter.Arn
Outputs:
  FunctionArn:
    Value: !GetAtt Greeter.Arn
"""


def test_a_stack_with_an_inline_function(fresh_server, tmp_path):
    s = fresh_server(env={"SPCRED_LAMBDA_PYTHON": sys.executable})
    body = tmp_path / "function.yaml"
    body.write_text(FUNCTION_STACK)
    deploy(s, body, "greeter", "--capabilities", "CAPABILITY_IAM")
    st = stack(s, "greeter")
    assert st["StackStatus"] == "CREATE_COMPLETE"
    assert outputs(st)["FunctionArn"].endswith(":function:greeter")
    out = tmp_path / "out.json"
    s.aws("lambda", "invoke", "--function-name", "greeter", "--payload", '{"name": "seller"}', str(out))
    assert json.loads(out.read_text()) == {"greeting": "hello from greeter", "name": "seller"}
    policy = json.loads(s.aws("lambda", "get-policy", "--function-name", "greeter")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    # A code change updates the function in place.
    body.write_text(FUNCTION_STACK.replace('"name": event.get("name")', '"name": event.get("name"), "v": 2'))
    deploy(s, body, "greeter", "--capabilities", "CAPABILITY_IAM")
    s.aws("lambda", "invoke", "--function-name", "greeter", "--payload", '{"name": "seller"}', str(out))
    assert json.loads(out.read_text())["v"] == 2
    s.aws("cloudformation", "delete-stack", "--stack-name", "greeter")
    assert s.aws("lambda", "list-functions")["Functions"] == []


def test_a_stack_does_not_take_over_what_it_did_not_make(server):
    cfn = server.client("cloudformation")
    mine = server.client("sns").create_topic(Name="made-by-hand")["TopicArn"]
    cfn.create_stack(StackName="takeover", TemplateBody="Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {TopicName: made-by-hand}}\n")
    st = cfn.describe_stacks(StackName="takeover")["Stacks"][0]
    assert st["StackStatus"] == "ROLLBACK_COMPLETE"
    reason = next(e["ResourceStatusReason"] for e in cfn.describe_stack_events(StackName="takeover")["StackEvents"]
                  if e["ResourceStatus"] == "CREATE_FAILED")
    assert reason == f"Resource of type 'AWS::SNS::Topic' with identifier '{mine}' already exists."
    cfn.delete_stack(StackName="takeover")
    assert mine in [t["TopicArn"] for t in server.client("sns").list_topics()["Topics"]], "the hand-made topic stays"
