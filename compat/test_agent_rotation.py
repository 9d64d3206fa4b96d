"""The client secret's rotation by `spcred agent`: the sandbox's notices on a real SQS queue, the
rotation API, the new secret verified, stored in SSM and switched to, outcomes on an SNS topic; a
client calling through the proxy the whole time; and kill -9 at each step of a rotation."""
import json
import threading
import time

import pytest

from agentproc import SECRET_PARAM, Agent, blog_setup, start_agent
from spapi import MP

AMAZON = "arn:aws:iam::437568002678:root"
ROTATION_SCOPE = "sellingpartnerapi::client_credential:rotation"


def notice_queue(server, sb, app_id):
    """One queue for both notices, Amazon allowed to send, a short visibility timeout so that a
    notice an agent died holding comes back quickly."""
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="sp-rotation", Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": AMAZON}, "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"],
        "Resource": arn}]})})
    sb.cli("notifications", "set", "--app", app_id, "--expiry-queue", arn, "--new-secret-queue", arn)
    return url


def outcome_topic(server):
    """The lwa-credential-rotation topic, with a queue subscribed to read what the agent published."""
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name="lwa-credential-rotation")["TopicArn"]
    url = sqs.create_queue(QueueName="rotation-outcomes")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    return topic, url


def stored(server):
    p = server.aws("ssm", "get-parameter", "--name", SECRET_PARAM, "--with-decryption")["Parameter"]
    return p["Version"], p["Value"]


def wait_for(server, what, timeout=60):
    """Waits for `what()`, running the server's due deliveries meanwhile."""
    deadline = time.time() + timeout
    while True:
        value = what()
        if value:
            return value
        assert time.time() < deadline, "timed out"
        server.advance(seconds=0)
        time.sleep(0.3)


def lwa_status(sb, client_id, secret):
    r = sb.token(grant_type="client_credentials", scope=ROTATION_SCOPE, client_id=client_id, client_secret=secret)
    return r.status_code


def test_full_automatic_rotation_while_a_client_calls_through_the_proxy(fresh_server, request):
    server = fresh_server()
    sb, app, _ = blog_setup(server, rate_scale=1000)
    client_id, old = app["lwaCredentials"]["clientId"], app["clientSecret"]
    url = notice_queue(server, sb, app["applicationId"])
    topic, outcomes = outcome_topic(server)
    agent = start_agent(request.addfinalizer, server, "--rotation-queue-url", url, "--rotation-topic-arn", topic)

    failures, calls, stop = [], [], threading.Event()

    def client():
        while not stop.is_set():
            r = agent.get(f"/sp/na{MP}")
            calls.append(r.status_code)
            if r.status_code != 200:
                failures.append((r.status_code, r.text))
            time.sleep(0.05)

    caller = threading.Thread(target=client)
    caller.start()
    try:
        time.sleep(0.5)
        server.advance(days=150.5)  # 29.5 days before the secret's 180 days end: the notices arrive
        version, new = wait_for(server, lambda: stored(server)[0] == 2 and stored(server))
        assert new != old and new.startswith("amzn1.oa2-cs.v1.")
        wait_for(server, lambda: agent.get("/health").json()["credentials"]["clientSecretVersion"] == 2)
        assert lwa_status(sb, client_id, new) == 200
        server.advance(seconds=0)
        got = server.client("sqs").receive_message(QueueUrl=outcomes, MaxNumberOfMessages=10,
                                                   WaitTimeSeconds=2).get("Messages", [])
        server.advance(days=7.5)  # the old secret's 7 days are over
        assert lwa_status(sb, client_id, old) == 401
        time.sleep(1.5)
    finally:
        stop.set()
        caller.join()
    assert failures == [] and len(calls) > 20, failures[:3]

    described = server.aws("ssm", "describe-parameters", "--parameter-filters", f"Key=Name,Values={SECRET_PARAM}")
    assert "; expires " in described["Parameters"][0]["Description"]
    events = [json.loads(m["Body"])["event"] for m in got]
    assert "rotation_requested" in events and "secret_stored" in events, events
    assert all(new not in m["Body"] and old not in m["Body"] for m in got)
    log = agent.log()
    assert new not in log and old not in log


@pytest.mark.parametrize("step", ["rotate-called", "verified", "stored", "switched"])
def test_kill_9_at_a_step_of_a_rotation_then_a_restart_completes_it(fresh_server, request, step):
    server = fresh_server()
    sb, app, _ = blog_setup(server, rate_scale=1000)
    client_id, old = app["lwaCredentials"]["clientId"], app["clientSecret"]
    url = notice_queue(server, sb, app["applicationId"])
    doomed = Agent(server, "--rotation-queue-url", url, env={"SPCRED_AGENT_FAIL_POINT": step}).start()
    request.addfinalizer(doomed.stop)
    server.advance(days=150.5)
    wait_for(server, lambda: doomed.proc.poll() is not None)
    assert doomed.proc.returncode == 137, doomed.log()
    time.sleep(2.5)  # the notice the agent held becomes visible again
    server.advance(seconds=0)

    agent = start_agent(request.addfinalizer, server, "--rotation-queue-url", url)
    version, new = wait_for(server, lambda: stored(server)[0] >= 2 and stored(server))
    assert new != old and lwa_status(sb, client_id, new) == 200
    wait_for(server, lambda: agent.get("/health").json()["credentials"]["clientSecretVersion"] == version)
    server.advance(days=7.5)
    assert lwa_status(sb, client_id, old) == 401
    r = agent.get(f"/sp/na{MP}")
    assert r.status_code == 200, r.text
    # Every notice was dealt with and deleted.
    sqs = server.client("sqs")
    wait_for(server, lambda: all(v == "0" for v in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"].values()))


def test_a_secret_rotated_by_hand_is_stored_from_stdin(fresh_server, request):
    import subprocess

    from agentproc import env_without_spcred
    from conftest import BIN
    server = fresh_server()
    sb, app, _ = blog_setup(server)
    agent = start_agent(request.addfinalizer, server)
    rotated = sb.cli("app", "rotate", "--app", app["applicationId"])["clientSecret"]
    env = server.cli_env(AWS_ENDPOINT_URL=server.endpoint, AWS_REGION="us-east-1")
    env = {k: v for k, v in env.items() if not k.startswith("SPCRED_")}
    lwa = ["--lwa-endpoint", f"{server.endpoint}/auth/o2/token"]
    bad = subprocess.run([BIN, "rotate", "--new-secret-from-stdin", *lwa], input="amzn1.oa2-cs.v1.wrong\n",
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode != 0 and "LWA refused the new secret, nothing was stored" in bad.stderr
    assert stored(server)[0] == 1
    ok = subprocess.run([BIN, "rotate", "--new-secret-from-stdin", *lwa], input=rotated + "\n",
                        capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert f"version 2 of {SECRET_PARAM}" in ok.stdout and rotated not in ok.stdout + ok.stderr
    assert stored(server) == (2, rotated)
    wait_for(server, lambda: agent.get("/health").json()["credentials"]["clientSecretVersion"] == 2)
    server.advance(days=8)
    assert agent.get(f"/sp/na{MP}").status_code == 200
    assert env_without_spcred  # the helper is shared with test_agent
