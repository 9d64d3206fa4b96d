"""The rotation blog end to end: a SecureString with a 150-day NoChangeNotification, the SNS
topic `lwa-credential-rotation` with e-mail and SMS subscribers, and the EventBridge rule
My-ERP-Rotate that routes the "Parameter Store Policy Action" event to it. The reminder must
reach a person: by SMTP and through an SMS provider, run here as local sinks, exactly once,
through a mail server outage and a kill -9."""
import json

import requests

from sinks import wait_for

SECRET = "/my-erp/lwa/clientsecret"
BLOG_POLICY = [{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "150", "Unit": "Days"}}]
PHONE = "+12065550100"


def blog_body(key_id, value="171yourclientsecrietf722d"):
    return {
        "Name": SECRET,
        "Description": "SecureString with LWA ClientSecret",
        "Value": value,
        "Type": "SecureString",
        "KeyId": key_id,
        "Overwrite": True,
        "Tier": "Advanced",
        "Policies": json.dumps(BLOG_POLICY),
    }


def put_secret(s, tmp_path, key_id, value="171yourclientsecrietf722d"):
    (tmp_path / "body.json").write_text(json.dumps(blog_body(key_id, value)))
    s.aws("ssm", "put-parameter", "--cli-input-json", f"file://{tmp_path / 'body.json'}")


def the_topic(s, smtp_sink):
    """Step 2 of the blog: the topic with its e-mail and SMS subscribers, the e-mail confirmed."""
    topic = s.aws("sns", "create-topic", "--name", "lwa-credential-rotation")["TopicArn"]
    s.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "email", "--notification-endpoint", "it-admin@example.com")
    s.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sms", "--notification-endpoint", PHONE)
    s.advance(seconds=0)
    confirmation = wait_for(lambda: smtp_sink.messages, what="the confirmation mail")[0]["message"]
    assert confirmation["Subject"] == "AWS Notification - Subscription Confirmation"
    link = next(l for l in confirmation.get_content().splitlines() if "Action=ConfirmSubscription" in l)
    assert requests.get(link.strip(), timeout=10).status_code == 200
    subs = s.aws("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"]
    assert sorted((x["Protocol"], x["SubscriptionArn"] != "PendingConfirmation") for x in subs) == [("email", True), ("sms", True)]
    return topic


def the_blog(s, tmp_path, smtp_sink, sms_sink):
    """Steps 1-3 of the blog, as a new user types them; returns the topic ARN."""
    # 1. The KMS key and the SecureString with its NoChangeNotification policy.
    key_id = s.aws("kms", "create-key", "--description", "LWA credentials")["KeyMetadata"]["KeyId"]
    put_secret(s, tmp_path, key_id)
    # 2. The topic and its e-mail and SMS subscriptions; the e-mail one confirmed by its link.
    topic = the_topic(s, smtp_sink)
    # 3. The blog's rule, its target, and a topic policy that lets EventBridge publish.
    pattern = {"source": ["aws.ssm"], "detail-type": ["Parameter Store Policy Action"], "detail": {"parameter-name": [SECRET]}}
    rule_arn = s.aws("events", "put-rule", "--name", "My-ERP-Rotate", "--event-bus-name", "default",
                     "--event-pattern", json.dumps(pattern), "--state", "ENABLED")["RuleArn"]
    s.aws("events", "put-targets", "--rule", "My-ERP-Rotate",
          "--targets", json.dumps([{"Id": "my-sns-target-to-multi-email-and-sms", "Arn": topic}]))
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "AllowEventBridgeToPublish", "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": topic,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
    s.aws("sns", "set-topic-attributes", "--topic-arn", topic, "--attribute-name", "Policy",
          "--attribute-value", json.dumps(policy))
    return topic, key_id


def reminders(smtp_sink):
    return [m for m in smtp_sink.messages if m["message"]["Subject"] == "AWS Notification Message"]


def check_reminder(mail, sms):
    """The e-mail carries the event; the text is the same message."""
    text = mail["message"].get_content().replace("\r\n", "\n")
    event = json.loads(text.split("\n\n--\n")[0])
    assert (event["source"], event["detail-type"]) == ("aws.ssm", "Parameter Store Policy Action")
    assert event["detail"]["parameter-name"] == SECRET
    assert event["detail"]["policy-type"] == "NoChangeNotification"
    assert mail["to"] == ["it-admin@example.com"]
    assert sms["To"] == PHONE and json.loads(sms["Body"]) == event


def test_the_rotation_reminder_reaches_a_person(fresh_server, tmp_path, smtp_sink, sms_sink):
    s = fresh_server(["--smtp-url", smtp_sink.url, "--sms-url", sms_sink.url("/Messages.json")])
    the_blog(s, tmp_path, smtp_sink, sms_sink)
    # 4. Nothing before day 150.
    s.advance(days=149)
    assert reminders(smtp_sink) == [] and sms_sink.requests == []
    # Day 150: the e-mail, with the event, and the text.
    s.advance(days=1, seconds=60)
    mail = wait_for(lambda: reminders(smtp_sink), what="the reminder e-mail")
    texts = wait_for(lambda: sms_sink.forms(), what="the reminder text")
    assert len(mail) == 1 and len(texts) == 1
    check_reminder(mail[0], texts[0])
    # Rotating (put-parameter --overwrite) restarts the countdown.
    key_id = s.aws("kms", "list-keys")["Keys"][0]["KeyId"]
    put_secret(s, tmp_path, key_id, value="new-rotated-secret")
    s.advance(days=149)
    assert len(reminders(smtp_sink)) == 1 and len(sms_sink.requests) == 1
    s.advance(days=1, seconds=60)
    wait_for(lambda: len(reminders(smtp_sink)) == 2, what="the second reminder")
    wait_for(lambda: len(sms_sink.requests) == 2, what="the second text")
    s.advance(days=400)
    assert len(reminders(smtp_sink)) == 2 and len(sms_sink.requests) == 2, "nothing is sent twice"


def test_the_reminder_survives_a_mail_outage_and_a_kill_9(fresh_server, tmp_path, smtp_sink, sms_sink):
    s = fresh_server(["--smtp-url", smtp_sink.url, "--sms-url", sms_sink.url("/Messages.json")])
    the_blog(s, tmp_path, smtp_sink, sms_sink)
    # The mail server is down when the reminder falls due; the SMS provider answers 503.
    smtp_sink.stop()
    sms_sink.status = 503
    s.advance(days=150, seconds=60)
    pending = s.admin("GET", "/_spcred/deliveries", params={"status": "pending"}).json()["deliveries"]
    assert sorted(d["protocol"] for d in pending if d["message_type"] == "Notification") == ["email", "sms"]
    failed_sms = len(sms_sink.requests)
    assert failed_sms >= 1
    # kill -9 while both deliveries wait for their retry.
    now = s.advance(seconds=0)["now"]
    s.restart(kill=True)
    # The virtual clock starts over from the wall clock; set it back to where it was.
    s.admin("POST", "/_spcred/clock", json={"set": now}).raise_for_status()
    smtp_sink.start()
    sms_sink.status = 201
    s.advance(seconds=600)
    mail = wait_for(lambda: reminders(smtp_sink), what="the reminder after the outage")
    wait_for(lambda: len(sms_sink.requests) > failed_sms, what="the text after the outage")
    s.advance(days=1)
    assert len(reminders(smtp_sink)) == 1, "the sink got it exactly once"
    assert len(sms_sink.requests) == failed_sms + 1, "the provider acknowledged it once and got it once"
    check_reminder(mail[0], sms_sink.forms()[-1])
    records = s.admin("GET", "/_spcred/deliveries").json()["deliveries"]
    notifications = [d for d in records if d["message_type"] == "Notification"]
    assert {d["status"] for d in notifications} == {"delivered"}
    assert all(d["attempts"] >= 2 for d in notifications)
