"""EventBridge through the AWS CLI and boto3: buses, rules, targets, PutEvents, TestEventPattern,
schedules, and delivery to SNS topics (whose policy must let EventBridge publish) with input
transformation, retries and records."""
import json
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from sinks import wait_for


def name(prefix="r"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def events(server):
    return server.client("events")


@pytest.fixture
def sns(server):
    return server.client("sns")


def error(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def deliveries(server, **params):
    r = server.admin("GET", "/_spcred/deliveries", params=params)
    r.raise_for_status()
    return r.json()["deliveries"]


def allow_eventbridge(sns, topic, rule_arn):
    """The topic policy the EventBridge guide gives: events.amazonaws.com may publish for the rule."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowEventBridge",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }],
    }
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))


def topic_to_sink(server, sns, sink, raw=True):
    """A topic with a confirmed HTTP subscriber (raw delivery: the sink sees what was published)."""
    topic = sns.create_topic(Name=name("t"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=sink.url("/events"),
                  Attributes={"RawMessageDelivery": "true" if raw else "false"})
    server.advance(seconds=0)
    confirmation = json.loads(wait_for(lambda: sink.requests, what="confirmation")[0]["body"])
    assert requests.get(confirmation["SubscribeURL"], timeout=10).status_code == 200
    sink.requests.clear()
    return topic


def test_buses(events):
    default = events.describe_event_bus()
    assert default["Name"] == "default" and default["Arn"].endswith(":event-bus/default")
    bus = name("bus")
    arn = events.create_event_bus(Name=bus, Description="orders")["EventBusArn"]
    assert arn == default["Arn"].replace("event-bus/default", f"event-bus/{bus}")
    assert events.describe_event_bus(Name=arn)["Description"] == "orders"
    assert error(events.create_event_bus, Name=bus) == ("ResourceAlreadyExistsException", f"Event bus {bus} already exists.")
    assert bus in [b["Name"] for b in events.list_event_buses(NamePrefix="bus-")["EventBuses"]]
    assert error(events.delete_event_bus, Name="default") == ("ValidationException", "Cannot delete event bus default.")
    events.delete_event_bus(Name=bus)
    events.delete_event_bus(Name=bus)
    assert error(events.describe_event_bus, Name=bus) == ("ResourceNotFoundException", f"Event bus {bus} does not exist.")


def test_rules(server, events, sns):
    rule = name()
    pattern = json.dumps({"source": ["my.app"], "detail": {"parameter-name": [{"prefix": "/my-erp/"}]}})
    arn = events.put_rule(Name=rule, EventPattern=pattern, Description="d")["RuleArn"]
    assert arn.endswith(f":rule/{rule}")
    described = events.describe_rule(Name=rule)
    assert (described["EventPattern"], described["State"], described["EventBusName"], described["Description"]) == (pattern, "ENABLED", "default", "d")
    assert described["CreatedBy"] == server.aws("sts", "get-caller-identity")["Account"]
    events.disable_rule(Name=rule)
    assert events.describe_rule(Name=rule)["State"] == "DISABLED"
    events.enable_rule(Name=rule)
    # Listing with a prefix, one per page.
    prefix = rule[:8]
    extra = f"{rule}-2"
    events.put_rule(Name=extra, EventPattern=pattern)
    pages = list(events.get_paginator("list_rules").paginate(NamePrefix=prefix, PaginationConfig={"PageSize": 1}))
    assert [r["Name"] for p in pages for r in p["Rules"]] == [rule, extra]
    assert len(pages) >= 2
    topic = sns.create_topic(Name=name("t"))["TopicArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "sns", "Arn": topic}])
    assert events.list_rule_names_by_target(TargetArn=topic)["RuleNames"] == [rule]
    assert error(events.delete_rule, Name=rule) == ("ValidationException", "Rule can't be deleted since it has targets.")
    events.remove_targets(Rule=rule, Ids=["sns"])
    events.delete_rule(Name=rule)
    events.delete_rule(Name=extra)
    assert error(events.describe_rule, Name=rule) == ("ResourceNotFoundException", f"Rule {rule} does not exist on EventBus default.")
    assert error(events.enable_rule, Name=rule)[0] == "ResourceNotFoundException"


def test_rule_errors(events):
    assert error(events.put_rule, Name=name()) == (
        "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
    assert error(events.put_rule, Name=name(), ScheduleExpression="rate(1 minutes)") == (
        "ValidationException", "Parameter ScheduleExpression is not valid.")
    assert error(events.put_rule, Name=name(), ScheduleExpression="cron(0 0 * * * *)") == (
        "ValidationException", "Parameter ScheduleExpression is not valid.")
    bus = name("bus")
    events.create_event_bus(Name=bus)
    assert error(events.put_rule, Name=name(), EventBusName=bus, ScheduleExpression="rate(5 minutes)") == (
        "ValidationException", "ScheduleExpression is supported only on the default event bus.")
    assert error(events.put_rule, Name=name(), EventBusName="nope", EventPattern='{"source": ["a"]}') == (
        "ResourceNotFoundException", "Event bus nope does not exist.")
    code, message = error(events.put_rule, Name=name(), EventPattern='{"source": "a"}')
    assert code == "InvalidEventPatternException"
    assert message.startswith("Event pattern is not valid. Reason: ")
    events.delete_event_bus(Name=bus)


def test_targets(events, sns):
    rule = name()
    events.put_rule(Name=rule, EventPattern='{"source": ["my.app"]}')
    topic = sns.create_topic(Name=name("t"))["TopicArn"]
    out = events.put_targets(Rule=rule, Targets=[
        {"Id": "sns", "Arn": topic, "InputPath": "$.detail",
         "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600}},
        {"Id": "fn", "Arn": "arn:aws:kinesis:us-east-1:123456789012:stream/s"},
    ])
    assert out["FailedEntryCount"] == 1
    assert out["FailedEntries"][0]["TargetId"] == "fn" and out["FailedEntries"][0]["ErrorCode"] == "ValidationException"
    targets = events.list_targets_by_rule(Rule=rule)["Targets"]
    assert targets == [{"Id": "sns", "Arn": topic, "InputPath": "$.detail",
                        "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600}}]
    assert error(events.put_targets, Rule=rule, Targets=[{"Id": "x", "Arn": topic, "Input": "{}", "InputPath": "$"}]) == (
        "ValidationException", "Only one of Input, InputPath, or InputTransformer must be provided for target x.")
    assert error(events.put_targets, Rule=rule, Targets=[{"Id": "x", "Arn": topic, "InputTransformer": {
        "InputPathsMap": {"a": "$.detail.a"}, "InputTemplate": '"<b>"'}}]) == (
        "ValidationException", "InputTemplate for target x contains invalid placeholder b.")
    assert error(events.put_targets, Rule=rule, Targets=[{"Id": f"t{i}", "Arn": topic} for i in range(5)]) == (
        "LimitExceededException", "The requested resource exceeds the maximum number allowed.")
    out = events.remove_targets(Rule=rule, Ids=["sns", "nope"])
    assert out["FailedEntryCount"] == 1 and out["FailedEntries"][0]["ErrorCode"] == "ResourceNotFoundException"
    assert error(events.put_targets, Rule="nope", Targets=[{"Id": "a", "Arn": topic}]) == (
        "ResourceNotFoundException", "Rule nope does not exist on EventBus default.")
    events.delete_rule(Name=rule)


def test_put_events_entries(events):
    entries = [
        {"Source": "my.app", "DetailType": "t", "Detail": '{"a": 1}'},
        {"Source": "aws.ssm", "DetailType": "Parameter Store Policy Action", "Detail": "{}"},
        {"Source": "my.app", "DetailType": "t", "Detail": "[1]"},
        {"Source": "my.app", "DetailType": "t"},
        {"Source": "my.app", "DetailType": "t", "Detail": "{}", "EventBusName": "nope"},
    ]
    out = events.put_events(Entries=entries)
    assert out["FailedEntryCount"] == 4
    assert len(out["Entries"][0]["EventId"]) == 36
    assert out["Entries"][1:] == [
        {"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."},
        {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."},
        {"ErrorCode": "InvalidArgument", "ErrorMessage": "Parameter Detail is not valid. Reason: Detail is a required argument."},
        {"ErrorCode": "ResourceNotFoundException", "ErrorMessage": "Event bus nope does not exist."},
    ]
    big = "x" * (200 * 1024)
    assert error(events.put_events, Entries=[{"Source": "a", "DetailType": "t", "Detail": json.dumps({"a": big})}] * 2) == (
        "ValidationException", "Total size of the entries in the request is over the limit.")
    code, message = error(events.put_events, Entries=[{"Source": "a", "DetailType": "t", "Detail": "{}"}] * 11)
    assert code == "ValidationException" and "Member must have length less than or equal to 10" in message


def test_test_event_pattern(events):
    event = json.dumps({"id": "1", "account": "123456789012", "source": "aws.ssm", "time": "2024-01-01T00:00:00Z",
                        "region": "us-east-1", "detail-type": "Parameter Store Policy Action",
                        "detail": {"parameter-name": "/my-erp/lwa/clientsecret"}})
    pattern = json.dumps({"source": ["aws.ssm"], "detail-type": ["Parameter Store Policy Action"],
                          "detail": {"parameter-name": ["/my-erp/lwa/clientsecret"]}})
    assert events.test_event_pattern(EventPattern=pattern, Event=event)["Result"] is True
    assert events.test_event_pattern(EventPattern='{"source": ["aws.kms"]}', Event=event)["Result"] is False
    assert error(events.test_event_pattern, EventPattern='{"source": [{"prefix": 1}]}', Event=event)[0] == "InvalidEventPatternException"
    code, message = error(events.test_event_pattern, EventPattern=pattern, Event='{"source": "aws.ssm"}')
    assert code == "ValidationException"


def test_tags(events):
    rule = name()
    arn = events.put_rule(Name=rule, EventPattern='{"source": ["a"]}', Tags=[{"Key": "team", "Value": "ops"}])["RuleArn"]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "app", "Value": "erp"}])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "app", "Value": "erp"}, {"Key": "team", "Value": "ops"}]
    events.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "app", "Value": "erp"}]
    events.delete_rule(Name=rule)
    assert error(events.list_tags_for_resource, ResourceARN=arn)[0] == "ResourceNotFoundException"


def test_a_topic_that_does_not_let_eventbridge_publish_gets_nothing_and_it_is_recorded(server, events, sns, http_sink):
    topic = topic_to_sink(server, sns, http_sink)
    rule = name()
    source = name("my.app")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "sns", "Arn": topic}])
    event_id = events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": "{}"}])["Entries"][0]["EventId"]
    server.advance(seconds=0)
    record = [d for d in deliveries(server, source=rule_arn) if d["message_id"] == event_id][0]
    assert record["status"] == "failed" and record["last_error"].startswith("NO_PERMISSIONS")
    assert http_sink.requests == []
    audit = server.admin("GET", "/_spcred/audit", params={"principal": "events.amazonaws.com"}).json()["records"]
    assert any(r["outcome"] == "Denied" and r["operation"] == "Publish" for r in audit)


def test_events_reach_a_topic_that_allows_eventbridge(server, events, sns, http_sink):
    topic = topic_to_sink(server, sns, http_sink)
    rule = name()
    source = name("my.app")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source], "detail": {"kind": ["rotate"]}}))["RuleArn"]
    allow_eventbridge(sns, topic, rule_arn)
    events.put_targets(Rule=rule, Targets=[
        {"Id": "whole", "Arn": topic},
        {"Id": "path", "Arn": topic, "InputPath": "$.detail"},
        {"Id": "const", "Arn": topic, "Input": '{"fixed": true}'},
        {"Id": "text", "Arn": topic, "InputTransformer": {
            "InputPathsMap": {"name": "$.detail.name", "kind": "$.detail.kind"},
            "InputTemplate": '"Rotate <name> (<kind>) for <aws.events.rule-name>"'}},
        {"Id": "json", "Arn": topic, "InputTransformer": {
            "InputPathsMap": {"name": "$.detail.name"},
            "InputTemplate": '{"parameter": <name>, "note": "rotate <name>", "rule": <aws.events.rule-arn>}'}},
    ])
    out = events.put_events(Entries=[
        {"Source": source, "DetailType": "Reminder", "Detail": json.dumps({"kind": "rotate", "name": "/my-erp/lwa/clientsecret"}),
         "Resources": ["arn:aws:ssm:us-east-1:123456789012:parameter/my-erp/lwa/clientsecret"]},
        {"Source": source, "DetailType": "Reminder", "Detail": json.dumps({"kind": "ignore"})},
    ])
    event_id = out["Entries"][0]["EventId"]
    server.advance(seconds=0)
    bodies = wait_for(lambda: len(http_sink.requests) >= 5 and [r["body"] for r in http_sink.requests], what="five deliveries")
    assert len(bodies) == 5
    whole = next(json.loads(b) for b in bodies if b.startswith("{") and '"version"' in b)
    assert (whole["id"], whole["source"], whole["detail-type"], whole["version"]) == (event_id, source, "Reminder", "0")
    assert list(whole) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert whole["detail"] == {"kind": "rotate", "name": "/my-erp/lwa/clientsecret"}
    assert '{"kind":"rotate","name":"/my-erp/lwa/clientsecret"}' in bodies
    assert '{"fixed": true}' in bodies
    assert f'"Rotate /my-erp/lwa/clientsecret (rotate) for {rule}"' in bodies
    assert json.dumps({"parameter": "/my-erp/lwa/clientsecret", "note": "rotate /my-erp/lwa/clientsecret", "rule": rule_arn},
                      separators=(",", ":")) in bodies
    records = [d for d in deliveries(server, source=rule_arn) if d["message_id"] == event_id]
    assert sorted(d["destination"] for d in records) == ["const", "json", "path", "text", "whole"]
    assert {d["status"] for d in records} == {"delivered"}
    # A disabled rule routes nothing.
    events.disable_rule(Name=rule)
    events.put_events(Entries=[{"Source": source, "DetailType": "Reminder", "Detail": '{"kind": "rotate", "name": "x"}'}])
    server.advance(seconds=0)
    assert len(http_sink.requests) == 5


def test_bus_to_bus_and_scheduled_rules(server, events, sns, http_sink):
    topic = topic_to_sink(server, sns, http_sink)
    bus = name("bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    inner = name()
    inner_arn = events.put_rule(Name=inner, EventBusName=bus, EventPattern='{"source": ["aws.events"]}')["RuleArn"]
    assert inner_arn.endswith(f":rule/{bus}/{inner}")
    allow_eventbridge(sns, topic, inner_arn)
    events.put_targets(Rule=inner, EventBusName=bus, Targets=[{"Id": "sns", "Arn": topic}])
    schedule = name()
    schedule_arn = events.put_rule(Name=schedule, ScheduleExpression="rate(5 minutes)")["RuleArn"]
    events.put_targets(Rule=schedule, Targets=[{"Id": "bus", "Arn": bus_arn}])
    server.advance(seconds=240)
    assert http_sink.requests == [], "nothing before the first five minutes are up"
    server.advance(seconds=61)
    body = json.loads(wait_for(lambda: http_sink.requests, what="the scheduled event")[0]["body"])
    assert (body["source"], body["detail-type"], body["resources"], body["detail"]) == (
        "aws.events", "Scheduled Event", [schedule_arn], {})
    server.advance(seconds=300)
    assert len(http_sink.requests) == 2
    events.remove_targets(Rule=schedule, Ids=["bus"])
    events.delete_rule(Name=schedule)
    server.advance(seconds=600)
    assert len(http_sink.requests) == 2, "a deleted rule stops firing"


def queue_allowing_events(sqs, rule_arn):
    url = sqs.create_queue(QueueName=name("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def test_queue_targets_and_dead_letter_queues(server, events, sns):
    sqs = server.client("sqs")
    rule = name()
    source = name("my.app")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    url, arn = queue_allowing_events(sqs, rule_arn)
    dlq_url, dlq_arn = queue_allowing_events(sqs, rule_arn)
    # A topic that does not let EventBridge publish: the event goes to the dead-letter queue at once.
    topic = sns.create_topic(Name=name("t"))["TopicArn"]
    events.put_targets(Rule=rule, Targets=[
        {"Id": "queue", "Arn": arn, "InputPath": "$.detail"},
        {"Id": "topic", "Arn": topic, "DeadLetterConfig": {"Arn": dlq_arn}},
    ])
    event_id = events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": '{"n": 1}'}])["Entries"][0]["EventId"]
    server.advance(seconds=0)
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    assert [m["Body"] for m in got] == ['{"n":1}']
    dead = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1, MessageAttributeNames=["All"]).get("Messages", [])
    assert len(dead) == 1
    assert json.loads(dead[0]["Body"])["id"] == event_id
    attrs = {k: v["StringValue"] for k, v in dead[0]["MessageAttributes"].items()}
    assert (attrs["ERROR_CODE"], attrs["RULE_ARN"], attrs["TARGET_ARN"], attrs["RETRY_ATTEMPTS"]) == (
        "NO_PERMISSIONS", rule_arn, topic, "0")
    assert attrs["ERROR_MESSAGE"].startswith("NO_PERMISSIONS")
    records = {d["destination"]: d for d in deliveries(server, source=rule_arn) if d["message_id"] == event_id}
    assert records["queue"]["status"] == "delivered" and records["topic"]["status"] == "failed"
