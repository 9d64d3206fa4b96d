"""`spcred setup` and `spcred doctor` as a new user runs them against a fresh `spcred serve`: the
LWA credentials of a sandbox app in the environment, the AWS CLI's profile, AWS_ENDPOINT_URL.
Setup provisions the guides' IAM and the blog's rotation chain, a second run changes nothing,
a dry run changes nothing; doctor passes, then names exactly the one thing that was broken."""
import datetime
import json
import subprocess

import pytest
import requests

from conftest import BIN
from sinks import wait_for
from spapi import Sandbox

EMAIL = "it-admin@example.com"
PHONE = "+12065550100"
SECRET = "/my-erp/lwa/clientsecret"


class User:
    """A seller's developer with a sandbox app authorized by one seller, running spcred setup and
    doctor with the credentials in the environment."""

    def __init__(self, server):
        self.server = server
        sb = Sandbox(server)
        self.app, self.client_id, self.secret, self.seller, self.refresh, _ = sb.authorized()

    def env(self, **extra):
        env = {k: v for k, v in self.server.cli_env().items() if not k.startswith("SPCRED_")}
        env.update(AWS_ENDPOINT_URL=self.server.endpoint, SPCRED_LWA_CLIENT_ID=self.client_id,
                   SPCRED_LWA_CLIENT_SECRET=self.secret, SPCRED_REFRESH_TOKEN=self.refresh)
        env.update(extra)
        return env

    def run(self, *args, env=None, input=None):
        return subprocess.run([BIN, *args], capture_output=True, text=True, env=env or self.env(), input=input,
                              timeout=120)

    def setup(self, *args, **kw):
        p = self.run("setup", "--json", *args, **kw)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    def doctor(self, *args):
        p = self.run("doctor", "--json", "--sp-endpoint", self.server.endpoint,
                     "--lwa-endpoint", f"{self.server.endpoint}/auth/o2/token", *args)
        report = json.loads(p.stdout)
        assert (p.returncode == 0) == report["ok"], (p.returncode, report)
        return report


def not_passed(report):
    return {c["name"]: c["status"] for c in report["checks"] if c["status"] != "pass"}


def confirm_email(server, smtp_sink):
    server.advance(seconds=0)
    # The sandbox's own mail (the developer registration's review) may arrive too.
    def confirmation():
        return [m["message"] for m in smtp_sink.messages if "Action=ConfirmSubscription" in m["message"].get_content()]
    mail = wait_for(confirmation, what="the confirmation mail")[0]
    link = next(l for l in mail.get_content().splitlines() if "Action=ConfirmSubscription" in l)
    assert requests.get(link.strip(), timeout=10).status_code == 200


FULL = ["--iam", "--email", EMAIL, "--sms", PHONE]


def test_setup_then_doctor_passes_a_second_run_changes_nothing(fresh_server, smtp_sink):
    s = fresh_server(["--smtp-url", smtp_sink.url])
    user = User(s)
    # The plan, and nothing done.
    plan = user.setup(*FULL, "--dry-run")
    assert plan["dry_run"] and len(plan["changes"]) == 18, plan["changes"]
    assert plan["queue_urls"] == []
    assert s.aws("sns", "list-topics")["Topics"] == []
    assert s.aws("ssm", "describe-parameters")["Parameters"] == []
    assert s.aws("sqs", "list-queues") is None or s.aws("sqs", "list-queues").get("QueueUrls", []) == []
    assert s.aws("iam", "get-role", "--role-name", "SellingPartnerAPIRole", check=False).returncode != 0
    # Setup does what the plan said; it prints what to paste into Developer Central.
    done = user.setup(*FULL)
    assert done["changes"] == plan["changes"]
    account = s.aws("sts", "get-caller-identity")["Account"]
    assert done["role_arn"] == f"arn:aws:iam::{account}:role/SellingPartnerAPIRole"
    assert done["new_secret_queue_arn"] == f"arn:aws:sqs:us-east-1:{account}:lwa-client-secret-new"
    text = user.run("setup", *FULL)
    assert text.returncode == 0 and "no changes" in text.stdout and done["role_arn"] in text.stdout
    assert done["expiry_queue_arn"] in text.stdout and user.secret not in text.stdout + text.stderr
    # ... and how to point the agent at the queues and the topic.
    urls = [s.aws("sqs", "get-queue-url", "--queue-name", q)["QueueUrl"] for q in ("lwa-client-secret-expiry", "lwa-client-secret-new")]
    assert done["queue_urls"] == urls
    assert f"For spcred agent: --rotation-queue-url {urls[0]} --rotation-queue-url {urls[1]} --rotation-topic-arn {done['topic_arn']}" in text.stdout
    # What it made is the guides' and the blog's.
    param = s.aws("ssm", "get-parameter", "--name", SECRET, "--with-decryption")["Parameter"]
    assert (param["Type"], param["Value"]) == ("SecureString", user.secret)
    meta = s.aws("ssm", "describe-parameters", "--parameter-filters", f"Key=Name,Values={SECRET}")["Parameters"][0]
    assert meta["Tier"] == "Advanced"
    assert json.loads(meta["Policies"][0]["PolicyText"])["Attributes"] == {"After": "150", "Unit": "Days"}
    attached = s.aws("iam", "list-attached-role-policies", "--role-name", "SellingPartnerAPIRole")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["SellingPartnerAPI"]
    rule = s.aws("events", "describe-rule", "--name", "My-ERP-Rotate")
    assert json.loads(rule["EventPattern"])["detail-type"] == ["Parameter Store Policy Action"]
    # Until the e-mail is confirmed, doctor says so and only that.
    report = user.doctor(*FULL)
    assert not_passed(report) == {"sns-subscriptions": "fail"}
    check = next(c for c in report["checks"] if c["name"] == "sns-subscriptions")
    assert EMAIL in check["detail"] and "confirmation" in check["fix"]
    confirm_email(s, smtp_sink)
    report = user.doctor(*FULL)
    assert report["ok"] and not_passed(report) == {}, not_passed(report)
    names = [c["name"] for c in report["checks"]]
    assert names == ["aws-credentials", "iam-user-may-assume-role", "iam-assume-role", "iam-role-may-invoke",
                     "iam-access-keys", "parameter:/my-erp/lwa/clientidentifier", f"parameter:{SECRET}",
                     "parameter:/my-erp/refreshToken", "events-rule", "sns-topic-policy", "sns-subscriptions",
                     "sqs-queue:lwa-client-secret-expiry", "sqs-queue:lwa-client-secret-new", "lwa-credentials",
                     "client-secret-expiry", "refresh-token:/my-erp/refreshToken", "log-secrets"]
    # The text form: one line per check and a summary; exit 0.
    text = user.run("doctor", *FULL, "--sp-endpoint", s.endpoint, "--lwa-endpoint", f"{s.endpoint}/auth/o2/token")
    assert text.returncode == 0, text.stdout
    lines = text.stdout.splitlines()
    assert len(lines) == len(names) + 1 and all(l.startswith("PASS  ") for l in lines[:-1])
    assert user.secret not in text.stdout and user.refresh not in text.stdout
    # A second run, and a dry run, change nothing.
    assert user.setup(*FULL)["changes"] == []
    assert user.setup(*FULL, "--dry-run")["changes"] == []


def break_and_repair(s, user, breaking, expected, repair=None):
    breaking()
    report = user.doctor(*FULL)
    assert not report["ok"]
    assert not_passed(report) == expected, not_passed(report)
    failed = next(c for c in report["checks"] if c["status"] == "fail")
    assert failed["fix"]
    if repair:
        repair()
    else:
        # Setup puts it back, and only it.
        assert len(user.setup(*FULL)["changes"]) == 1
    assert user.doctor(*FULL)["ok"]


def test_doctor_names_exactly_what_broke(fresh_server, smtp_sink):
    s = fresh_server(["--smtp-url", smtp_sink.url])
    user = User(s)
    user.setup(*FULL)
    confirm_email(s, smtp_sink)
    assert user.doctor(*FULL)["ok"]
    account = s.aws("sts", "get-caller-identity")["Account"]
    policy_arn = f"arn:aws:iam::{account}:policy/SellingPartnerAPI"

    # The role loses the SellingPartnerAPI policy.
    break_and_repair(s, user, lambda: s.aws("iam", "detach-role-policy", "--role-name", "SellingPartnerAPIRole",
                                             "--policy-arn", policy_arn),
                     {"iam-role-may-invoke": "fail"})

    # Somebody unsubscribes the phone.
    def unsubscribe():
        topic = f"arn:aws:sns:us-east-1:{account}:lwa-credential-rotation"
        subs = s.aws("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"]
        sms = next(x for x in subs if x["Protocol"] == "sms")
        s.aws("sns", "unsubscribe", "--subscription-arn", sms["SubscriptionArn"])
    break_and_repair(s, user, unsubscribe, {"sns-subscriptions": "fail"})

    # The new-secret queue's policy leaves Amazon out.
    def own_account_only():
        url = s.aws("sqs", "get-queue-url", "--queue-name", "lwa-client-secret-new")["QueueUrl"]
        arn = f"arn:aws:sqs:us-east-1:{account}:lwa-client-secret-new"
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                                                          "Action": "sqs:SendMessage", "Resource": arn}]}
        s.aws("sqs", "set-queue-attributes", "--queue-url", url, "--attributes", json.dumps({"Policy": json.dumps(policy)}))
    def add_amazon_back():
        # Setup adds its statement and keeps the one the owner wrote.
        assert len(user.setup(*FULL)["changes"]) == 1
        url = s.aws("sqs", "get-queue-url", "--queue-name", "lwa-client-secret-new")["QueueUrl"]
        held = s.aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "Policy")["Attributes"]
        principals = [st["Principal"]["AWS"] for st in json.loads(held["Policy"])["Statement"]]
        assert principals == [f"arn:aws:iam::{account}:root", "arn:aws:iam::437568002678:root"]
    break_and_repair(s, user, own_account_only, {"sqs-queue:lwa-client-secret-new": "fail"}, repair=add_amazon_back)

    # Someone edits the SellingPartnerAPI policy; setup restores it as a new default version.
    other_action = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:ManageConnections",
                                                            "Resource": "arn:aws:execute-api:*:*:*"}]}
    break_and_repair(s, user, lambda: s.aws("iam", "create-policy-version", "--policy-arn", policy_arn, "--policy-document",
                                             json.dumps(other_action), "--set-as-default"),
                     {"iam-role-may-invoke": "fail"})
    versions = s.aws("iam", "list-policy-versions", "--policy-arn", policy_arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v3", True), ("v2", False), ("v1", False)]

    # The user's inline STS policy is deleted: the simulation (identity policies only) says so,
    # while the real AssumeRole still works, as in AWS: a same-account trust policy that names the
    # user itself needs no identity policy.
    break_and_repair(s, user, lambda: s.aws("iam", "delete-user-policy", "--user-name", "SellingPartnerAPIUser",
                                             "--policy-name", "SellingPartnerAPIAssumeRole"),
                     {"iam-user-may-assume-role": "fail"})

    # The trust policy no longer names the user: the real AssumeRole fails, the simulation passes.
    other = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    break_and_repair(s, user, lambda: s.aws("iam", "update-assume-role-policy", "--role-name", "SellingPartnerAPIRole",
                                             "--policy-document", json.dumps(other)),
                     {"iam-assume-role": "fail"})

    # The rule loses its target.
    break_and_repair(s, user, lambda: s.aws("events", "remove-targets", "--rule", "My-ERP-Rotate",
                                             "--ids", "my-sns-target-to-multi-email-and-sms"),
                     {"events-rule": "fail"})

    # The topic policy no longer lets EventBridge publish.
    topic = f"arn:aws:sns:us-east-1:{account}:lwa-credential-rotation"
    owner_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": account},
                                                          "Action": "sns:Publish", "Resource": topic}]}
    break_and_repair(s, user, lambda: s.aws("sns", "set-topic-attributes", "--topic-arn", topic, "--attribute-name",
                                             "Policy", "--attribute-value", json.dumps(owner_only)),
                     {"sns-topic-policy": "fail"})

    # A second seller, whose refresh token lives under the sellers prefix, revokes the app.
    sb = Sandbox(s)
    other = sb.seller("Second Store")
    param = f"/my-erp/sellers/{other}/refreshToken"

    def store_token():
        token = sb.authorize(user.app["applicationId"], other)
        s.aws("ssm", "put-parameter", "--name", param, "--type", "SecureString", "--key-id", "alias/my-erp-lwa",
              "--overwrite", "--cli-input-json", json.dumps({"Value": token}))
    store_token()
    report = user.doctor(*FULL)
    assert report["ok"] and f"refresh-token:{param}" in [c["name"] for c in report["checks"]], [c for c in report["checks"] if c["status"] == "fail"]
    break_and_repair(s, user, lambda: sb.cli("revoke", "--app", user.app["applicationId"], "--seller", other),
                     {f"refresh-token:{param}": "fail"}, repair=store_token)

    # 91 days on, the IAM user's access key is too old, and nothing else is wrong.
    s.advance(days=91)
    report = user.doctor(*FULL)
    assert not_passed(report) == {"iam-access-keys": "fail"}, not_passed(report)
    check = next(c for c in report["checks"] if c["name"] == "iam-access-keys")
    assert "91 days old" in check["detail"] and "create-access-key" in check["fix"]


def agent_description(expires_ms):
    """The description `spcred agent` writes with a secret it stores: the secret's expiry."""
    stamp = datetime.datetime.fromtimestamp(expires_ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"LWA client secret; expires {stamp}; stored by spcred agent (notification n-1)"


def test_the_secret_near_expiry_is_a_warning_and_a_rotation_clears_it(fresh_server):
    s = fresh_server()
    user = User(s)
    user.setup("--sms", PHONE)
    report = user.doctor("--sms", PHONE)
    assert report["ok"] and not_passed(report) == {"iam": "skip"}
    # 155 days later (the sandbox's secret dies at day 180): a warning, not a failure.
    s.advance(days=155)
    report = user.doctor("--sms", PHONE)
    assert report["ok"] and not_passed(report) == {"iam": "skip", "client-secret-expiry": "warn"}
    expiry = next(c for c in report["checks"] if c["name"] == "client-secret-expiry")
    assert expiry["detail"].startswith("25 days until the client secret expires") and "rotate" in expiry["fix"]
    text = user.run("doctor", "--sms", PHONE, "--sp-endpoint", s.endpoint, "--lwa-endpoint", f"{s.endpoint}/auth/o2/token")
    assert text.returncode == 0 and "WARN  client-secret-expiry" in text.stdout
    # The secret is rotated and stored as the agent stores it, with its expiry in the description.
    rotated = Sandbox(s).cli("app", "rotate", "--app", user.app["applicationId"])["clientSecret"]
    now_ms = s.advance(seconds=0)["now_ms"]
    s.aws("ssm", "put-parameter", "--name", SECRET, "--type", "SecureString", "--key-id", "alias/my-erp-lwa",
          "--overwrite", "--description", agent_description(now_ms + 180 * 86400 * 1000), "--cli-input-json",
          json.dumps({"Value": rotated}))
    report = user.doctor("--sms", PHONE)
    assert not_passed(report) == {"iam": "skip"}, not_passed(report)
    expiry = next(c for c in report["checks"] if c["name"] == "client-secret-expiry")
    assert expiry["detail"] == "180 days until the client secret expires (as recorded by the agent)"
    # The old secret, still in the environment, never undoes the rotation.
    again = user.setup("--sms", PHONE)
    assert again["changes"] == [] and "was kept" in again["notes"][0]
    assert s.aws("ssm", "get-parameter", "--name", SECRET, "--with-decryption")["Parameter"]["Value"] == rotated
    # Past the old secret's 7 days, everything still works.
    s.advance(days=8)
    assert not_passed(user.doctor("--sms", PHONE)) == {"iam": "skip"}


def test_the_queues_take_amazons_notices_and_an_encrypted_queue_needs_the_key_grant(fresh_server):
    s = fresh_server()
    user = User(s)
    done = user.setup("--sms", PHONE, "--queue-kms")
    assert any("SSE-KMS" in c for c in done["changes"])
    assert not_passed(user.doctor("--sms", PHONE)) == {"iam": "skip"}
    # The queue ARNs setup printed, pasted into Developer Central: a rotation's notice arrives.
    sb = Sandbox(s)
    app_id = user.app["applicationId"]
    sb.cli("notifications", "set", "--app", app_id, "--expiry-queue", done["expiry_queue_arn"],
           "--new-secret-queue", done["new_secret_queue_arn"])
    rotated = sb.cli("app", "rotate", "--app", app_id)["clientSecret"]
    s.advance(seconds=0)
    sqs = s.client("sqs")
    url = sqs.get_queue_url(QueueName="lwa-client-secret-new")["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"]["KmsMasterKeyId"] == "alias/my-erp-lwa"
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
    assert len(got) == 1
    notice = json.loads(got[0]["Body"])
    assert notice["notificationType"] == "APPLICATION_OAUTH_CLIENT_NEW_SECRET"
    assert notice["payload"]["applicationOAuthClientNewSecret"]["newClientSecret"] == rotated
    # The key policy loses Amazon's grant: both queues are named.
    key = s.aws("kms", "describe-key", "--key-id", "alias/my-erp-lwa")["KeyMetadata"]["KeyId"]
    account = s.aws("sts", "get-caller-identity")["Account"]
    root_only = {"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}]}
    s.aws("kms", "put-key-policy", "--key-id", key, "--policy-name", "default", "--policy", json.dumps(root_only))
    report = user.doctor("--sms", PHONE)
    assert not_passed(report) == {"iam": "skip", "sqs-queue:lwa-client-secret-expiry": "fail",
                                  "sqs-queue:lwa-client-secret-new": "fail"}, not_passed(report)
    assert "kms:GenerateDataKey" in next(c for c in report["checks"] if c["status"] == "fail")["detail"]
    assert user.setup("--sms", PHONE, "--queue-kms")["changes"] == ["let Amazon (437568002678) use alias/my-erp-lwa (key policy)"]
    held = json.loads(s.aws("kms", "get-key-policy", "--key-id", key, "--policy-name", "default")["Policy"])
    assert [st["Sid"] for st in held["Statement"]] == ["Enable IAM User Permissions", "AllowSellingPartnerApiToEncryptNotifications"]
    assert user.doctor("--sms", PHONE)["ok"]


def test_doctor_fails_when_nothing_is_set_up_and_setup_needs_the_secrets(fresh_server):
    s = fresh_server()
    user = User(s)
    report = user.doctor()
    assert not report["ok"]
    statuses = not_passed(report)
    assert statuses["parameter:/my-erp/lwa/clientsecret"] == "fail" and statuses["events-rule"] == "fail"
    assert statuses["sqs-queue:lwa-client-secret-new"] == "fail" and statuses["lwa-credentials"] == "fail"
    env = {k: v for k, v in user.env().items() if not k.startswith("SPCRED_LWA")}
    p = user.run("setup", env=env)
    assert p.returncode != 0 and "SPCRED_LWA_CLIENT_ID" in p.stderr
    # Wrong AWS keys: the first check says so, and nothing else is tried.
    bad = user.env(AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    bad.pop("AWS_PROFILE")
    bad["AWS_REGION"] = "us-east-1"
    p = user.run("doctor", "--json", env=bad)
    report = json.loads(p.stdout)
    assert p.returncode == 1 and [(c["name"], c["status"]) for c in report["checks"]] == [("aws-credentials", "fail")]
    assert "InvalidClientTokenId" in report["checks"][0]["detail"]
    # stderr holds the log (which source gave the AWS credentials, never the secret), then the error.
    assert p.stderr.strip().splitlines()[-1] == "error: 1 check(s) failed"
    assert "EnvironmentVariable" in p.stderr and bad["AWS_SECRET_ACCESS_KEY"] not in p.stderr


def test_doctor_warns_of_a_token_printed_to_a_log(fresh_server):
    """The rotation blog's function prints the LWA answer: doctor says which log group holds
    something shaped like an LWA token, without repeating it."""
    s = fresh_server()
    user = User(s)
    user.setup("--sms", PHONE)
    logs = s.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/lwa-token")
    logs.create_log_group(logGroupName="/aws/lambda/quiet")
    for group in ("/aws/lambda/lwa-token", "/aws/lambda/quiet"):
        logs.create_log_stream(logGroupName=group, logStreamName="2026/12/07/[$LATEST]abc")
    now_ms = s.advance(seconds=0)["now_ms"]
    logs.put_log_events(logGroupName="/aws/lambda/quiet", logStreamName="2026/12/07/[$LATEST]abc",
                        logEvents=[{"timestamp": now_ms, "message": "rotation reminder handled"}])
    report = user.doctor("--sms", PHONE)
    assert not_passed(report) == {"iam": "skip"}
    assert next(c for c in report["checks"] if c["name"] == "log-secrets")["detail"] == "no LWA token or client secret in 2 log group(s)"
    token = "Atza|IwEBIexample-access-token-value"
    logs.put_log_events(logGroupName="/aws/lambda/lwa-token", logStreamName="2026/12/07/[$LATEST]abc",
                        logEvents=[{"timestamp": now_ms, "message": 'lwa value =  {"access_token":"' + token + '"}'}])
    report = user.doctor("--sms", PHONE)
    assert report["ok"] and not_passed(report) == {"iam": "skip", "log-secrets": "warn"}
    check = next(c for c in report["checks"] if c["name"] == "log-secrets")
    assert check["detail"] == "/aws/lambda/lwa-token (stream 2026/12/07/[$LATEST]abc) holds what looks like an LWA access token"
    assert "put-retention-policy --log-group-name /aws/lambda/lwa-token" in check["fix"]
    assert "Atza|" not in json.dumps(report)


def test_the_rotation_chain_as_one_cloudformation_template(fresh_server, smtp_sink, tmp_path):
    """`spcred setup --cloudformation` prints the chain as a template; `aws cloudformation deploy`
    makes it; setup then puts only what CloudFormation cannot (the SecureStrings and the user's
    access key) and doctor passes."""
    s = fresh_server(["--smtp-url", smtp_sink.url])
    user = User(s)
    p = user.run("setup", "--cloudformation", *FULL, "--queue-kms", env=s.cli_env())
    assert p.returncode == 0, p.stderr
    template = json.loads(p.stdout)
    assert user.secret not in p.stdout, "the template never holds a secret"
    assert s.aws("sns", "list-topics")["Topics"] == [], "printing the template makes nothing"
    body = tmp_path / "rotation.json"
    body.write_text(p.stdout)
    assert s.aws("cloudformation", "validate-template", "--template-body", f"file://{body}")["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    deployed = s.aws("cloudformation", "deploy", "--template-file", str(body), "--stack-name", "sp-api-rotation",
                     "--capabilities", "CAPABILITY_NAMED_IAM", check=False)
    assert deployed.returncode == 0, deployed.stderr
    stack = s.aws("cloudformation", "describe-stacks", "--stack-name", "sp-api-rotation")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    account = s.aws("sts", "get-caller-identity")["Account"]
    assert outputs["RoleArn"] == f"arn:aws:iam::{account}:role/SellingPartnerAPIRole"
    assert outputs["NewSecretQueueArn"] == f"arn:aws:sqs:us-east-1:{account}:lwa-client-secret-new"
    assert len(template["Resources"]) == 12
    # Setup finds the chain in place and adds what a template cannot hold.
    done = user.setup(*FULL, "--queue-kms")
    assert done["changes"] == [
        "create the SecureString /my-erp/lwa/clientidentifier", f"create the SecureString {SECRET}",
        "create the SecureString /my-erp/refreshToken",
        "create an access key for SellingPartnerAPIUser, stored in /my-erp/iam/accessKeyId and /my-erp/iam/secretAccessKey"]
    assert done["role_arn"] == outputs["RoleArn"] and done["topic_arn"] == outputs["TopicArn"]
    confirm_email(s, smtp_sink)
    report = user.doctor(*FULL)
    assert report["ok"] and not_passed(report) == {}, not_passed(report)
