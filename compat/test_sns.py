"""SNS through the AWS CLI and boto3: topics, subscriptions with confirmation, signed
deliveries to HTTP endpoints, e-mail over SMTP (or the local outbox), SMS through a provider,
filter policies, retries, and AWS's errors."""
import json
import subprocess
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BIN, sign_and_send, xml_error
from sinks import verify_sns_message, wait_for


def name(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def sns(server):
    return server.client("sns")


def outbox(server, after=0, channel=None):
    params = {"after": after}
    if channel:
        params["channel"] = channel
    r = server.admin("GET", "/_spcred/outbox", params=params)
    r.raise_for_status()
    return r.json()["messages"]


def deliveries(server, **params):
    r = server.admin("GET", "/_spcred/deliveries", params=params)
    r.raise_for_status()
    return r.json()["deliveries"]


def flush(server):
    """Runs every delivery that is due (the virtual clock does not move)."""
    server.advance(seconds=0)


def error(call, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def link_in(text, action):
    return next(line for line in text.splitlines() if line.startswith("http") and f"Action={action}" in line)


def test_topics_attributes_and_listing(server, sns):
    topic = server.aws("sns", "create-topic", "--name", name("lwa-credential-rotation"))["TopicArn"]
    account = server.aws("sts", "get-caller-identity")["Account"]
    assert topic.startswith(f"arn:aws:sns:us-east-1:{account}:lwa-credential-rotation")
    # Idempotent with the same attributes.
    assert sns.create_topic(Name=topic.split(":")[-1])["TopicArn"] == topic
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attrs["Owner"] == account and attrs["TopicArn"] == topic
    assert (attrs["SubscriptionsConfirmed"], attrs["SubscriptionsPending"], attrs["SubscriptionsDeleted"]) == ("0", "0", "0")
    assert attrs["DisplayName"] == ""
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"][0]["Condition"] == {"StringEquals": {"AWS:SourceOwner": account}}
    assert json.loads(attrs["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="Rotation")
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "Rotation"
    assert error(sns.create_topic, Name=topic.split(":")[-1], Attributes={"DisplayName": "Other"}) == (
        "InvalidParameter", "Invalid parameter: Attributes Reason: Topic already exists with different attributes", 400)
    arns = [t["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for t in page["Topics"]]
    assert topic in arns
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "team", "Value": "ops"}, {"Key": "app", "Value": "erp"}])
    sns.untag_resource(ResourceArn=topic, TagKeys=["app"])
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "team", "Value": "ops"}]
    sns.delete_topic(TopicArn=topic)
    sns.delete_topic(TopicArn=topic)  # idempotent
    assert error(sns.get_topic_attributes, TopicArn=topic) == ("NotFound", "Topic does not exist", 404)


def test_topic_errors(sns):
    assert error(sns.create_topic, Name="bad name!") == ("InvalidParameter", "Invalid parameter: Topic Name", 400)
    assert error(sns.get_topic_attributes, TopicArn="nope")[:2] == (
        "InvalidParameter", "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")
    topic = sns.create_topic(Name=name())["TopicArn"]
    assert error(sns.set_topic_attributes, TopicArn=topic, AttributeName="Nope", AttributeValue="x")[:2] == (
        "InvalidParameter", "Invalid parameter: AttributeName")
    assert error(sns.set_topic_attributes, TopicArn=topic, AttributeName="Policy", AttributeValue="{")[0] == "InvalidParameter"
    assert error(sns.list_tags_for_resource, ResourceArn=topic + "x") == ("ResourceNotFound", "Resource does not exist", 404)
    assert error(sns.publish, TopicArn=topic + "x", Message="hi") == ("NotFound", "Topic does not exist", 404)


def test_subscribe_errors(sns):
    topic = sns.create_topic(Name=name())["TopicArn"]
    cases = [
        ("ftp", "x", "Invalid parameter: Amazon SNS does not support this protocol string: ftp"),
        ("http", "https://example.com/hook", "Invalid parameter: Endpoint must match the specified protocol"),
        ("email", "not-an-address", "Invalid parameter: Email address"),
        ("sqs", "arn:aws:sns:us-east-1:123456789012:q", "Invalid parameter: SQS endpoint ARN"),
        ("sms", "+1XXX5550100", "Invalid SMS endpoint: +1XXX5550100"),
    ]
    for protocol, endpoint, message in cases:
        assert error(sns.subscribe, TopicArn=topic, Protocol=protocol, Endpoint=endpoint)[:2] == ("InvalidParameter", message)
    assert error(sns.subscribe, TopicArn=topic, Protocol="lambda", Endpoint="arn:aws:sqs:us-east-1:123456789012:q")[:2] == (
        "InvalidParameter", "Invalid parameter: Lambda endpoint ARN")
    code, message, _ = error(sns.subscribe, TopicArn=topic, Protocol="firehose", Endpoint="arn:aws:firehose:us-east-1:1:deliverystream/d")
    assert code == "InvalidParameter" and "firehose" in message
    assert error(sns.subscribe, TopicArn=topic, Protocol="email", Endpoint="a@example.com",
                 Attributes={"RawMessageDelivery": "true"})[:2] == (
        "InvalidParameter", "Invalid parameter: Attributes Reason: Delivery protocol [email] does not support raw message delivery.")
    assert error(sns.subscribe, TopicArn=topic, Protocol="sms", Endpoint="+12065550100",
                 Attributes={"FilterPolicy": '{"a": {"b": ["c"]}}'})[:2] == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: FilterPolicy: Filter policy scope MessageAttributes does not support nested filter policy")


def test_email_confirmation_link_notification_and_unsubscribe_link(server, sns):
    """No SMTP server configured: mail lands in the local outbox, and its links work unsigned."""
    topic = sns.create_topic(Name=name())["TopicArn"]
    seen = len(outbox(server))
    address = f"{uuid.uuid4().hex[:8]}@example.com"
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)["SubscriptionArn"] == "pending confirmation"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsPending"] == "1"
    flush(server)
    mail = [m for m in outbox(server) if m["recipient"] == address]
    assert len(mail) == 1 and len(outbox(server)) == seen + 1
    assert mail[0]["subject"] == "AWS Notification - Subscription Confirmation"
    assert topic in mail[0]["body"]
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert subs == [{"SubscriptionArn": "PendingConfirmation", "Owner": subs[0]["Owner"], "Protocol": "email",
                     "Endpoint": address, "TopicArn": topic}]
    # Following the link, as a person would: no signature.
    confirmed = requests.get(link_in(mail[0]["body"], "ConfirmSubscription"), timeout=10)
    assert confirmed.status_code == 200, confirmed.text
    arn = ET.fromstring(confirmed.content).find(".//{*}SubscriptionArn").text
    assert arn.startswith(topic + ":")
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert (attrs["PendingConfirmation"], attrs["ConfirmationWasAuthenticated"], attrs["Protocol"]) == ("false", "false", "email")
    # A second click is harmless; a made-up token is refused.
    assert requests.get(link_in(mail[0]["body"], "ConfirmSubscription"), timeout=10).status_code == 200
    assert error(sns.confirm_subscription, TopicArn=topic, Token="00" * 64)[:2] == ("InvalidParameter", "Invalid parameter: Token")
    message_id = sns.publish(TopicArn=topic, Message="Rotate the LWA client secret", Subject="LWA rotation")["MessageId"]
    flush(server)
    notes = [m for m in outbox(server) if m["recipient"] == address and m["subject"] == "LWA rotation"]
    assert len(notes) == 1
    assert notes[0]["body"].startswith("Rotate the LWA client secret\n")
    assert [d for d in deliveries(server, source=topic) if d["message_id"] == message_id][0]["status"] == "delivered"
    gone = requests.get(link_in(notes[0]["body"], "Unsubscribe"), timeout=10)
    assert gone.status_code == 200, gone.text
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsDeleted"] == "1"


def test_only_confirmation_and_unsubscribe_work_unsigned(server):
    r = requests.get(f"{server.endpoint}/?Action=ListTopics", timeout=10)
    assert r.status_code == 403
    assert xml_error(r)[1] == "MissingAuthenticationToken"
    r = requests.get(f"{server.endpoint}/?Action=Publish&TopicArn=arn:aws:sns:us-east-1:123456789012:t&Message=x", timeout=10)
    assert xml_error(r)[1] == "MissingAuthenticationToken"
    r = requests.get(f"{server.endpoint}/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:t&Token=ab", timeout=10)
    assert r.status_code == 400 and xml_error(r)[1:3] == ("InvalidParameter", "Invalid parameter: Token")


def subscribe_http(server, sns, topic, sink, path="/hook", **kwargs):
    """Subscribes `sink` and confirms through the SubscribeURL it receives; returns the ARN and
    the confirmation request."""
    before = len(sink.requests)
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=sink.url(path), **kwargs)["SubscriptionArn"] == "pending confirmation"
    flush(server)
    request = wait_for(lambda: sink.requests[before:] and sink.requests[before], what="the SubscriptionConfirmation")
    message = json.loads(request["body"])
    assert requests.get(message["SubscribeURL"], timeout=10).status_code == 200
    arn = [s for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] if s["Endpoint"] == sink.url(path)][0]["SubscriptionArn"]
    return arn, request


def test_http_deliveries_are_signed_like_sns(server, sns, http_sink):
    topic = sns.create_topic(Name=name())["TopicArn"]
    arn, confirmation = subscribe_http(server, sns, topic, http_sink)
    message = json.loads(confirmation["body"])
    headers = confirmation["headers"]
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    assert headers["x-amz-sns-message-id"] == message["MessageId"]
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
    assert message["Type"] == "SubscriptionConfirmation" and message["TopicArn"] == topic
    assert message["SignatureVersion"] == "1"
    assert message["SigningCertURL"].startswith(server.endpoint + "/SimpleNotificationService-")
    assert confirmation["body"].startswith('{\n  "Type" : "SubscriptionConfirmation",\n  "MessageId" : ')
    assert verify_sns_message(message)
    cert = requests.get(message["SigningCertURL"], timeout=10).text
    sns.publish(TopicArn=topic, Message="hello", Subject="greeting",
                MessageAttributes={"color": {"DataType": "String", "StringValue": "red"}})
    flush(server)
    note_request = wait_for(lambda: len(http_sink.requests) > 1 and http_sink.requests[1], what="the notification")
    note = json.loads(note_request["body"])
    headers = note_request["headers"]
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-subscription-arn"] == arn
    assert (note["Type"], note["Message"], note["Subject"]) == ("Notification", "hello", "greeting")
    assert note["MessageAttributes"] == {"color": {"Type": "String", "Value": "red"}}
    assert note["UnsubscribeURL"] == f"{server.endpoint}/?Action=Unsubscribe&SubscriptionArn={arn}"
    assert verify_sns_message(note, trusted_cert_pem=cert)
    # Any change to a signed field breaks the signature.
    assert not verify_sns_message(dict(note, Message="hellO"))
    # SignatureVersion 2: SHA256withRSA with the same certificate.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    sns.publish(TopicArn=topic, Message="v2")
    flush(server)
    v2 = json.loads(wait_for(lambda: len(http_sink.requests) > 2 and http_sink.requests[2], what="v2")["body"])
    assert v2["SignatureVersion"] == "2" and "Subject" not in v2
    assert verify_sns_message(v2, trusted_cert_pem=cert)
    # Raw delivery: the message alone.
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="true")
    sns.publish(TopicArn=topic, Message="just this")
    flush(server)
    raw = wait_for(lambda: len(http_sink.requests) > 3 and http_sink.requests[3], what="raw")
    assert raw["body"] == "just this"
    assert raw["headers"]["x-amz-sns-rawdelivery"] == "true"


def test_filter_policies_and_structured_messages(server, sns, http_sink):
    topic = sns.create_topic(Name=name())["TopicArn"]
    rugby, _ = subscribe_http(server, sns, topic, http_sink, "/rugby",
                              Attributes={"FilterPolicy": '{"sport": ["rugby"], "price": [{"numeric": [">", 100]}]}'})
    body, _ = subscribe_http(server, sns, topic, http_sink, "/body",
                             Attributes={"FilterPolicyScope": "MessageBody", "FilterPolicy": '{"detail": {"kind": ["rotate"]}}'})
    attrs = sns.get_subscription_attributes(SubscriptionArn=body)["Attributes"]
    assert (attrs["FilterPolicyScope"], attrs["FilterPolicy"]) == ("MessageBody", '{"detail": {"kind": ["rotate"]}}')
    start = len(http_sink.requests)
    n = lambda v: {"DataType": "Number", "StringValue": v}
    s = lambda v: {"DataType": "String", "StringValue": v}
    sns.publish(TopicArn=topic, Message="cheap", MessageAttributes={"sport": s("rugby"), "price": n("99")})
    sns.publish(TopicArn=topic, Message="dear", MessageAttributes={"sport": s("rugby"), "price": n("150")})
    sns.publish(TopicArn=topic, Message='{"detail": {"kind": "rotate"}}')
    sns.publish(TopicArn=topic, Message=json.dumps({"default": "d", "http": '{"detail": {"kind": "other"}}'}), MessageStructure="json")
    flush(server)
    got = sorted((r["path"], json.loads(r["body"])["Message"]) for r in http_sink.requests[start:])
    assert got == [("/body", '{"detail": {"kind": "rotate"}}'), ("/rugby", "dear")]
    assert error(sns.set_subscription_attributes, SubscriptionArn=rugby, AttributeName="FilterPolicy",
                 AttributeValue='{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]}')[:2] == (
        "InvalidParameter", "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys")


def test_publish_errors(sns):
    topic = sns.create_topic(Name=name())["TopicArn"]
    assert error(sns.publish, TopicArn=topic, Message="x" * 262145) == ("InvalidParameter", "Invalid parameter: Message too long", 400)
    assert error(sns.publish, TopicArn=topic, Message="x", Subject="a\nb")[:2] == ("InvalidParameter", "Invalid parameter: Subject")
    assert error(sns.publish, TopicArn=topic, Message="{}", MessageStructure="json")[:2] == (
        "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body")
    assert error(sns.publish, TopicArn=topic, Message="{", MessageStructure="json")[:2] == (
        "InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse")
    assert error(sns.publish, TopicArn=topic, Message="x", MessageAttributes={"a": {"DataType": "Strin", "StringValue": "v"}})[:2] == (
        "ParameterValueInvalid",
        "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.")
    assert error(sns.publish, TopicArn=topic, Message="x", MessageGroupId="g")[0] == "InvalidParameter"
    assert error(sns.publish, PhoneNumber="12345", Message="x")[:2] == (
        "InvalidParameter", "Invalid parameter: PhoneNumber Reason: 12345 is not valid to publish to")


def test_publish_batch(server, sns, http_sink):
    topic = sns.create_topic(Name=name())["TopicArn"]
    subscribe_http(server, sns, topic, http_sink)
    start = len(http_sink.requests)
    out = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "one"},
        {"Id": "b", "Message": "two", "Subject": "bad\nsubject"},
        {"Id": "c", "Message": "three"},
    ])
    assert [s["Id"] for s in out["Successful"]] == ["a", "c"]
    assert out["Failed"] == [{"Id": "b", "Code": "InvalidParameter", "Message": "Invalid parameter: Subject", "SenderFault": True}]
    flush(server)
    assert sorted(json.loads(r["body"])["Message"] for r in http_sink.requests[start:]) == ["one", "three"]
    assert error(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a", "Message": "1"}, {"Id": "a", "Message": "2"}]) == (
        "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.", 400)
    assert error(sns.publish_batch, TopicArn=topic,
                 PublishBatchRequestEntries=[{"Id": str(i), "Message": "m"} for i in range(11)])[0] == "TooManyEntriesInBatchRequest"
    assert error(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a b", "Message": "m"}])[0] == "InvalidBatchEntryId"


def test_authenticated_confirmation_needs_a_signed_unsubscribe(server, sns, http_sink):
    topic = sns.create_topic(Name=name())["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_sink.url("/auth"))
    flush(server)
    token = json.loads(wait_for(lambda: http_sink.requests, what="confirmation")[0]["body"])["Token"]
    arn = sns.confirm_subscription(TopicArn=topic, Token=token, AuthenticateOnUnsubscribe="true")["SubscriptionArn"]
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["ConfirmationWasAuthenticated"] == "true"
    r = requests.get(f"{server.endpoint}/?Action=Unsubscribe&SubscriptionArn={arn}", timeout=10)
    assert r.status_code == 403 and xml_error(r)[:2] == ("Sender", "AuthorizationError")
    sns.unsubscribe(SubscriptionArn=arn)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_failing_http_endpoint_is_retried_then_recorded_as_failed(server, sns, http_sink):
    topic = sns.create_topic(Name=name())["TopicArn"]
    subscribe_http(server, sns, topic, http_sink)
    http_sink.status = 503
    message_id = sns.publish(TopicArn=topic, Message="will fail")["MessageId"]
    flush(server)
    mine = lambda: [d for d in deliveries(server, source=topic) if d["message_id"] == message_id]
    assert mine()[0]["status"] == "pending" and mine()[0]["attempts"] == 1
    # SNS's default HTTP policy: three retries, 20 seconds apart.
    for _ in range(3):
        server.advance(seconds=20)
    d = mine()[0]
    assert (d["status"], d["attempts"]) == ("failed", 4)
    assert d["last_error"].startswith("HTTP 503")
    detail = server.admin("GET", "/_spcred/deliveries", params={"id": d["id"]}).json()
    assert [a["outcome"] for a in detail["attempts"]] == ["retrying", "retrying", "retrying", "failed"]
    assert len([r for r in http_sink.requests if json.loads(r["body"]).get("Message") == "will fail"]) == 4


def test_smtp_and_sms_providers(fresh_server, smtp_sink, http_sink):
    srv = fresh_server([
        "--smtp-url", smtp_sink.url, "--smtp-from", "alerts@example.com",
        "--sms-url", http_sink.url("/2010-04-01/Accounts/AC1/Messages.json").replace("http://", "http://AC1:secret-token@"),
        "--sms-from", "+15005550006",
    ])
    sns = srv.client("sns")
    topic = sns.create_topic(Name="lwa-credential-rotation", Attributes={"DisplayName": "LWA"})["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+1 206 555 0100")
    srv.advance(seconds=0)
    mail = wait_for(lambda: smtp_sink.messages, what="the confirmation mail")[0]
    assert mail["to"] == ["ops@example.com"] and mail["from"] == "alerts@example.com"
    assert mail["message"]["Subject"] == "AWS Notification - Subscription Confirmation"
    assert mail["message"]["From"] == "LWA <alerts@example.com>"
    assert requests.get(link_in(mail["message"].get_content(), "ConfirmSubscription"), timeout=10).status_code == 200
    sns.publish(TopicArn=topic, Message="rotate now")
    srv.advance(seconds=0)
    wait_for(lambda: len(smtp_sink.messages) == 2, what="the notification mail")
    assert smtp_sink.bodies()[1].startswith("rotate now\n")
    assert smtp_sink.messages[1]["message"]["Subject"] == "AWS Notification Message"
    sms = wait_for(lambda: http_sink.forms(), what="the SMS")
    assert sms == [{"To": "+12065550100", "Body": "LWA> rotate now", "From": "+15005550006"}]
    assert http_sink.requests[0]["path"] == "/2010-04-01/Accounts/AC1/Messages.json"
    assert http_sink.requests[0]["headers"]["authorization"].startswith("Basic ")
    assert "secret-token" not in srv.log()
    # Nothing went to the local outbox.
    assert outbox(srv) == []


def test_mail_waits_for_a_smtp_server_that_is_down(fresh_server, smtp_sink):
    srv = fresh_server(["--smtp-url", smtp_sink.url])
    sns = srv.client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com", ReturnSubscriptionArn=True)["SubscriptionArn"]
    srv.advance(seconds=0)
    link = link_in(wait_for(lambda: smtp_sink.messages, what="confirmation")[0]["message"].get_content(), "ConfirmSubscription")
    assert requests.get(link, timeout=10).status_code == 200
    smtp_sink.stop()
    sns.publish(TopicArn=topic, Message="while the mail server is down")
    srv.advance(seconds=0)
    pending = [d for d in deliveries(srv, status="pending") if d["destination"] == sub]
    assert pending and "SMTP" in pending[0]["last_error"]
    srv.advance(seconds=10)
    smtp_sink.start()
    srv.advance(seconds=10)
    wait_for(lambda: len(smtp_sink.messages) == 2, what="the delayed mail")
    srv.advance(seconds=3600)
    assert len(smtp_sink.messages) == 2, "delivered exactly once"
    assert [d["status"] for d in deliveries(srv) if d["destination"] == sub] == ["delivered", "delivered"]


def test_outbox_and_deliveries_cli(server, sns):
    sns.publish(PhoneNumber="+12065550123", Message="direct text")
    flush(server)
    env = {"SPCRED_ENDPOINT": server.endpoint, "SPCRED_DATA_DIR": str(server.data_dir), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([BIN, "outbox", "--json", "--channel", "sms"], capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 0, out.stderr
    texts = [m for m in json.loads(out.stdout)["messages"] if m["recipient"] == "+12065550123"]
    assert texts and texts[0]["body"] == "direct text"
    out = subprocess.run([BIN, "outbox"], capture_output=True, text=True, env=env, timeout=30)
    assert "direct text" in out.stdout
    out = subprocess.run([BIN, "deliveries", "--status", "delivered"], capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 0 and "+12065550123" in out.stdout
    assert requests.get(f"{server.endpoint}/_spcred/outbox", timeout=10).status_code == 401


def test_a_signed_sns_request_over_query_get(server):
    """The query protocol over GET works signed like any other call."""
    r = sign_and_send(server, "", service="sns", method="GET", path="/?Action=ListTopics&Version=2010-03-31")
    assert r.status_code == 200, r.text
    assert "ListTopicsResponse" in r.text


def queue_allowing(sqs, principal, source_arn):
    """A queue whose policy lets `principal` send for `source_arn`; returns (url, arn)."""
    url = sqs.create_queue(QueueName=name("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if principal:
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": principal}, "Action": "sqs:SendMessage", "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}}}]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def receive(sqs, url):
    out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=1)
    return out.get("Messages", [])


def test_sqs_subscriptions(server, sns):
    sqs = server.client("sqs")
    topic = sns.create_topic(Name=name())["TopicArn"]
    url, arn = queue_allowing(sqs, "sns.amazonaws.com", topic)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    assert sub.startswith(topic + ":"), "a queue of the same account needs no confirmation"
    sns.publish(TopicArn=topic, Message="to the queue", Subject="s",
                MessageAttributes={"kind": {"DataType": "String", "StringValue": "rotate"}})
    flush(server)
    [message] = receive(sqs, url)
    envelope = json.loads(message["Body"])
    assert (envelope["Type"], envelope["Message"], envelope["Subject"], envelope["TopicArn"]) == ("Notification", "to the queue", "s", topic)
    assert envelope["MessageAttributes"] == {"kind": {"Type": "String", "Value": "rotate"}}
    assert verify_sns_message(envelope)
    # Raw delivery: the message itself, its attributes as the queue message's.
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    sns.publish(TopicArn=topic, Message="raw", MessageAttributes={"kind": {"DataType": "String", "StringValue": "rotate"}})
    flush(server)
    [raw] = receive(sqs, url)
    assert raw["Body"] == "raw"
    assert raw["MessageAttributes"] == {"kind": {"DataType": "String", "StringValue": "rotate"}}


def test_a_queue_that_does_not_let_sns_in_gets_nothing_and_it_is_recorded(server, sns):
    sqs = server.client("sqs")
    topic = sns.create_topic(Name=name())["TopicArn"]
    url, arn = queue_allowing(sqs, None, topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    message_id = sns.publish(TopicArn=topic, Message="refused")["MessageId"]
    flush(server)
    assert receive(sqs, url) == []
    [record] = [d for d in deliveries(server, source=topic) if d["message_id"] == message_id]
    assert record["status"] == "failed" and record["last_error"].startswith("NO_PERMISSIONS")


def test_failed_deliveries_go_to_the_subscription_s_dead_letter_queue(server, sns, http_sink):
    sqs = server.client("sqs")
    topic = sns.create_topic(Name=name())["TopicArn"]
    arn, _ = subscribe_http(server, sns, topic, http_sink)
    dlq_url, dlq_arn = queue_allowing(sqs, "sns.amazonaws.com", topic)
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="RedrivePolicy",
                                    AttributeValue=json.dumps({"deadLetterTargetArn": dlq_arn}))
    http_sink.status = 403
    sns.publish(TopicArn=topic, Message="nobody takes this")
    flush(server)
    [dead] = receive(sqs, dlq_url)
    assert json.loads(dead["Body"])["Message"] == "nobody takes this"
    assert dead["MessageAttributes"]["ErrorMessage"]["StringValue"].startswith("HTTP 403")


def test_iam_users_need_permission_and_topic_policies_grant_it(server, sns):
    iam = server.client("iam")
    user = name("u")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = server.client("sns", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    topic = sns.create_topic(Name=name())["TopicArn"]
    code, message, status = error(as_user.publish, TopicArn=topic, Message="x")
    assert (code, status) == ("AuthorizationError", 403)
    assert message == f"User: arn:aws:iam::{topic.split(':')[4]}:user/{user} is not authorized to perform: SNS:Publish on resource: {topic}"
    # A topic policy naming the user lets it publish without any identity policy.
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
              "Principal": {"AWS": f"arn:aws:iam::{topic.split(':')[4]}:user/{user}"}, "Action": "sns:Publish", "Resource": topic}]}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))
    assert as_user.publish(TopicArn=topic, Message="x")["MessageId"]
    assert error(as_user.get_topic_attributes, TopicArn=topic)[0] == "AuthorizationError"
