"""The client secret's life, end to end through real SQS queues: rotation with a grantless token,
the APPLICATION_OAUTH_CLIENT_NEW_SECRET notice on the queue, the 7-day overlap, the expiry notices
90/30/7/1 days ahead, and a queue whose policy leaves Amazon out."""
import json

from spapi import MP, Sandbox, error

AMAZON = "arn:aws:iam::437568002678:root"


def amazon_may_send(arn):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": AMAZON},
        "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"], "Resource": arn}]})


def queue(server, name, policy=True):
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if policy:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": amazon_may_send(arn)})
    return url, arn


def drain(server, url):
    sqs = server.client("sqs")
    bodies = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return bodies
        for m in got:
            bodies.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_rotation_with_a_grantless_token(fresh_server):
    server = fresh_server()
    sb = Sandbox(server)
    app, client_id, secret, _seller, refresh, _access = sb.authorized()
    app_id = app["applicationId"]
    rotation = sb.grantless(client_id, secret, "sellingpartnerapi::client_credential:rotation")

    r = sb.call("POST", "/applications/2023-11-30/clientSecret", rotation)
    assert r.status_code == 400
    assert error(r)[:2] == ("InvalidInput", "Application is not enrolled for rotation notification. "
                                            "Please update application notification preference in Developer console.")

    expiry_url, expiry_arn = queue(server, "sp-secret-expiry")
    new_url, new_arn = queue(server, "sp-new-secret")
    shown = sb.cli("notifications", "set", "--app", app_id, "--expiry-queue", expiry_arn, "--new-secret-queue", new_arn)
    assert shown["notifications"]["applicationClientNewSecret"]["queueArn"] == new_arn

    server.advance(seconds=60)  # the refused call above used the minute's one rotation
    r = sb.call("POST", "/applications/2023-11-30/clientSecret", rotation)
    assert r.status_code == 204, r.text
    assert r.text == "" and r.headers["x-amzn-RateLimit-Limit"] == "0.0167"
    again = sb.call("POST", "/applications/2023-11-30/clientSecret", rotation)
    assert again.status_code == 429 and error(again)[0] == "QuotaExceeded"

    server.advance(seconds=0)  # deliveries due now have run when this returns
    notices = drain(server, new_url)
    assert len(notices) == 1, notices
    n = notices[0]
    assert {k: n[k] for k in ("notificationVersion", "notificationType", "payloadVersion")} == {
        "notificationVersion": "1.0", "notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET",
        "payloadVersion": "2023-11-30"}
    assert n["notificationMetadata"]["applicationId"] == app_id
    assert set(n["notificationMetadata"]) == {"applicationId", "subscriptionId", "publishTime", "notificationId"}
    payload = n["payload"]["applicationOAuthClientNewSecret"]
    assert payload["clientId"] == client_id
    new_secret = payload["newClientSecret"]
    assert new_secret.startswith("amzn1.oa2-cs.v1.") and new_secret != secret
    assert payload["newClientSecretExpiryTime"] > payload["oldClientSecretExpiryTime"]

    sb.access_token(client_id, new_secret, refresh)
    server.advance(days=6)
    sb.access_token(client_id, secret, refresh)
    server.advance(days=2)
    r = sb.token(grant_type="refresh_token", refresh_token=refresh, client_id=client_id, client_secret=secret)
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    token = sb.access_token(client_id, new_secret, refresh)
    assert sb.call("GET", MP, token).status_code == 200

    # Nothing is due on the expiry queue yet: the first notice comes 90 days before day 180.
    assert drain(server, expiry_url) == []


def test_expiry_notices_90_30_7_1_days_ahead(fresh_server):
    server = fresh_server()
    sb = Sandbox(server)
    sb.developer()
    app = sb.app()
    url, arn = queue(server, "sp-expiry")
    sb.cli("notifications", "set", "--app", app["applicationId"], "--expiry-queue", arn)
    counts, notices, now = [], [], 0.0
    for day in (89.5, 90.5, 149.5, 150.5, 172.5, 173.5, 178.5, 179.5, 181):
        server.advance(days=day - now)
        now = day
        got = drain(server, url)
        counts.append(len(got))
        notices += got
    assert counts == [0, 1, 0, 1, 0, 1, 0, 1, 0]
    assert {n["notificationType"] for n in notices} == {"APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"}
    expiry = notices[0]["payload"]["applicationOAuthClientSecretExpiry"]
    assert expiry["clientId"] == app["lwaCredentials"]["clientId"]
    assert expiry["clientSecretExpiryReason"] == "PERIODIC_ROTATION"
    assert expiry["clientSecretExpiryTime"] == app["lwaCredentials"]["clientSecretExpiresAt"]
    assert len({n["notificationMetadata"]["notificationId"] for n in notices}) == 4


def test_a_queue_without_amazons_principal_gets_nothing_and_the_app_says_why(fresh_server):
    server = fresh_server()
    sb = Sandbox(server)
    sb.developer()
    app = sb.app()
    url, arn = queue(server, "sp-no-policy", policy=False)
    sb.cli("notifications", "set", "--app", app["applicationId"], "--new-secret-queue", arn)
    rotated = sb.cli("app", "rotate", "--app", app["applicationId"])
    assert rotated["clientSecret"].startswith("amzn1.oa2-cs.v1.")
    server.advance(seconds=0)
    assert drain(server, url) == []
    shown = sb.cli("app", "show", "--app", app["applicationId"])
    failure = shown["notifications"]["lastFailure"]
    assert failure["notificationType"] == "APPLICATION_OAUTH_CLIENT_NEW_SECRET"
    assert failure["destination"] == arn
    assert "437568002678" in failure["error"]
    text = sb.cli("app", "show", "--app", app["applicationId"], check=False)
    assert rotated["clientSecret"] not in text.stdout
