"""Issue: SQS. Queues over awsJson (boto3, the AWS CLI) and the Query API, long polling, visibility
timeouts, dead-letter queues, FIFO, retention, encryption at rest, and the errors AWS gives."""
import base64
import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import threading
import time
import uuid
from urllib.parse import quote
import xml.etree.ElementTree as ET

import botocore.config
import botocore.exceptions
import pytest

from conftest import sign_and_send, sqlite_only, xml_error
from test_iam import allow, new_user

TESTDATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata")
QUERY_NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"


def unique(prefix="q"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


@pytest.fixture
def sqs(server):
    return server.client("sqs", max_pool_connections=128)


def make_queue(sqs, name=None, **attributes):
    name = name or unique()
    attrs = {k: str(v) for k, v in attributes.items()}
    return sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]


def queue_arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def server_pid(server):
    return server.proc.pid


def cpu_ticks(pid):
    """User plus system CPU time of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


# --- the basics, with both clients ---------------------------------------------------------

def test_cli_create_send_receive_delete(server):
    name = unique("cli")
    url = server.aws("sqs", "create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=45")["QueueUrl"]
    account = server.aws("sts", "get-caller-identity")["Account"]
    assert url == f"{server.endpoint}/{account}/{name}"
    assert server.aws("sqs", "get-queue-url", "--queue-name", name)["QueueUrl"] == url
    assert url in server.aws("sqs", "list-queues", "--queue-name-prefix", name)["QueueUrls"]
    sent = server.aws("sqs", "send-message", "--queue-url", url, "--message-body", "hello from the CLI",
                      "--message-attributes", json.dumps({"kind": {"DataType": "String", "StringValue": "greeting"}}))
    got = server.aws("sqs", "receive-message", "--queue-url", url, "--attribute-names", "All",
                     "--message-attribute-names", "All")["Messages"]
    assert len(got) == 1
    m = got[0]
    assert m["Body"] == "hello from the CLI" and m["MessageId"] == sent["MessageId"]
    assert m["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert m["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert m["MessageAttributes"] == {"kind": {"DataType": "String", "StringValue": "greeting"}}
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    assert m["Attributes"]["SenderId"] == account
    attrs = server.aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert attrs["QueueArn"] == f"arn:aws:sqs:us-east-1:{account}:{name}"
    server.aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", m["ReceiptHandle"])
    attrs = server.aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    server.aws("sqs", "delete-queue", "--queue-url", url)
    p = server.aws("sqs", "get-queue-url", "--queue-name", name, check=False)
    assert p.returncode != 0
    assert "AWS.SimpleQueueService.NonExistentQueue" in p.stderr and "The specified queue does not exist." in p.stderr


def test_boto3_create_send_receive_delete(sqs):
    url = make_queue(sqs)
    sent = sqs.send_message(QueueUrl=url, MessageBody="héllo wörld ✓")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in got] == ["héllo wörld ✓"]
    assert got[0]["MD5OfBody"] == sent["MD5OfMessageBody"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    # As from AWS, an empty receive has no Messages at all.
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.delete_queue(QueueUrl=url)


def test_md5s_match_every_vector(sqs):
    with open(os.path.join(TESTDATA, "sqs", "md5-vectors.json")) as f:
        cases = json.load(f)["cases"]
    assert len(cases) == 9
    url = make_queue(sqs)
    for case in cases:
        attributes = {}
        for name, value in case.get("MessageAttributes", {}).items():
            attributes[name] = {"DataType": value["DataType"]}
            if "BinaryValue" in value:
                attributes[name]["BinaryValue"] = value["BinaryValue"].encode()
            else:
                attributes[name]["StringValue"] = value["StringValue"]
        expected = case["expected"]
        sent = sqs.send_message(QueueUrl=url, MessageBody=case["MessageBody"], MessageAttributes=attributes)
        assert sent["MD5OfMessageBody"] == expected["MD5OfMessageBody"], case["name"]
        assert sent.get("MD5OfMessageAttributes") == expected.get("MD5OfMessageAttributes"), case["name"]
        got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
        assert got["MD5OfBody"] == expected["MD5OfMessageBody"], case["name"]
        assert got.get("MD5OfMessageAttributes") == expected.get("MD5OfMessageAttributes"), case["name"]
        for name, value in attributes.items():
            assert got["MessageAttributes"][name] == value, case["name"]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"])


def test_message_attribute_names_filter_and_recompute_the_md5(sqs):
    url = make_queue(sqs)
    attrs = {n: {"DataType": "String", "StringValue": v} for n, v in
             [("General", "Kenobi"), ("Hello", "There"), ("Help.Me", "Me")]}
    sent = sqs.send_message(QueueUrl=url, MessageBody="msg", MessageAttributes=attrs)

    def receive(names):
        m = sqs.receive_message(QueueUrl=url, MessageAttributeNames=names, VisibilityTimeout=0)["Messages"][0]
        return sorted(m.get("MessageAttributes", {})), m.get("MD5OfMessageAttributes")

    assert receive(["All"]) == (["General", "Hello", "Help.Me"], sent["MD5OfMessageAttributes"])
    assert receive([".*"])[0] == ["General", "Hello", "Help.Me"]
    assert receive(["Hel.*"])[0] == ["Hello", "Help.Me"]
    names, md5 = receive(["General", "Hello"])
    assert names == ["General", "Hello"] and md5 not in (None, sent["MD5OfMessageAttributes"])
    m = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    assert "MessageAttributes" not in m and "MD5OfMessageAttributes" not in m and "Attributes" not in m
    m = sqs.receive_message(QueueUrl=url, AttributeNames=["SentTimestamp", "SenderId"], VisibilityTimeout=0)["Messages"][0]
    assert sorted(m["Attributes"]) == ["SenderId", "SentTimestamp"]


# --- long polling --------------------------------------------------------------------------

def test_a_long_poll_returns_as_soon_as_a_message_arrives(sqs):
    url = make_queue(sqs)
    result = {}

    def poll():
        started = time.monotonic()
        result["messages"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20).get("Messages", [])
        result["returned"] = time.monotonic()
        result["waited"] = result["returned"] - started

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(1.0)
    assert "returned" not in result, "the poll returned before anything was sent"
    sent_at = time.monotonic()
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    t.join(25)
    latency = result["returned"] - sent_at
    print(f"long poll returned {latency * 1000:.1f} ms after the send was acknowledged")
    assert [m["Body"] for m in result["messages"]] == ["wake up"]
    # It returned because of the send, not at the end of its 20 seconds.
    assert result["waited"] < 10


def test_a_long_poll_with_nothing_to_get_waits_its_time_and_returns_empty(sqs):
    url = make_queue(sqs, ReceiveMessageWaitTimeSeconds=1)
    started = time.monotonic()
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    assert time.monotonic() - started >= 0.9


@sqlite_only  # on a shared store each long poll looks again every second (messages sent through other nodes)
def test_a_hundred_waiting_polls_burn_no_cpu_and_all_get_a_message(server, sqs):
    url = make_queue(sqs)
    pid = server_pid(server)
    results = []
    lock = threading.Lock()

    def poll():
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20).get("Messages", [])
        with lock:
            results.extend(m["Body"] for m in got)

    threads = [threading.Thread(target=poll) for _ in range(100)]
    for t in threads:
        t.start()
    time.sleep(2.0)  # every poll is in and waiting
    before = cpu_ticks(pid)
    time.sleep(3.0)
    used = cpu_ticks(pid) - before
    hz = os.sysconf("SC_CLK_TCK")
    print(f"100 waiting polls: the server used {used / hz * 1000:.0f} ms of CPU in 3 s")
    # Nothing polls the database or spins: a few ticks of housekeeping at most.
    assert used <= 0.03 * 3 * hz, f"{used} ticks in 3 s"
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda i: sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(j), "MessageBody": f"m{i * 10 + j}"} for j in range(10)]), range(10)))
    for t in threads:
        t.join(30)
    assert sorted(results) == sorted(f"m{i}" for i in range(100))


def test_a_long_poll_wakes_when_a_delayed_message_becomes_visible(sqs):
    url = make_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=2)
    started = time.monotonic()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10).get("Messages", [])
    assert [m["Body"] for m in got] == ["soon"]
    assert 1.5 <= time.monotonic() - started < 8


# --- visibility, dead letters, retention, delays --------------------------------------------

def test_an_undeleted_message_reappears_and_goes_to_the_dlq_after_max_receive_count(server, sqs):
    dlq = make_queue(sqs, name=unique("dlq"))
    dlq_arn = queue_arn(sqs, dlq)
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    src = make_queue(sqs, VisibilityTimeout=5, RedrivePolicy=redrive)
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison")
    for count in (1, 2):
        got = sqs.receive_message(QueueUrl=src, AttributeNames=["All"])["Messages"]
        assert [m["MessageId"] for m in got] == [sent["MessageId"]]
        assert got[0]["Attributes"]["ApproximateReceiveCount"] == str(count)
        assert sqs.receive_message(QueueUrl=src).get("Messages", []) == [], "invisible during its timeout"
        server.advance(seconds=6)
    assert sqs.receive_message(QueueUrl=src).get("Messages", []) == []
    moved = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in moved] == ["poison"] and moved[0]["MessageId"] == sent["MessageId"]
    src_arn = queue_arn(sqs, src)
    assert moved[0]["Attributes"]["DeadLetterQueueSourceArn"] == src_arn
    assert moved[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
    attrs = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}


def test_change_message_visibility(server, sqs):
    url = make_queue(sqs)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "a"}, {"Id": "b", "MessageBody": "b"}])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 2
    first, second = got
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url)["Messages"]
    assert [m["MessageId"] for m in again] == [first["MessageId"]]
    out = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "ok", "ReceiptHandle": second["ReceiptHandle"], "VisibilityTimeout": 100},
        {"Id": "stale", "ReceiptHandle": first["ReceiptHandle"], "VisibilityTimeout": 10},
    ])
    assert [s["Id"] for s in out["Successful"]] == ["ok"]
    assert out["Failed"][0]["Id"] == "stale" and out["Failed"][0]["Code"] == "InvalidParameterValue"
    assert out["Failed"][0]["Message"].endswith(
        "Reason: Message does not exist or is not available for visibility timeout change.")
    server.advance(seconds=40)
    assert [m["MessageId"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == \
        [first["MessageId"]], "the second message is still hidden for 100 s"
    e = error_of(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=second["ReceiptHandle"],
                 VisibilityTimeout=43201)
    assert e["Error"]["Code"] == "InvalidParameterValue"


def test_a_visibility_timeout_that_expired_can_still_be_changed(server, sqs):
    url = make_queue(sqs, VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    server.advance(seconds=2)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=60)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


def test_delays_and_retention_follow_the_server_clock(server, sqs):
    url = make_queue(sqs, MessageRetentionPeriod=60, DelaySeconds=30)
    sqs.send_message(QueueUrl=url, MessageBody="delayed by the queue")
    sqs.send_message(QueueUrl=url, MessageBody="not delayed", DelaySeconds=0)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesDelayed"]) == ("1", "1")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]] \
        == ["not delayed"]
    server.advance(seconds=31)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert sorted(m["Body"] for m in got) == ["delayed by the queue", "not delayed"]
    server.advance(seconds=30)
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attrs == {"ApproximateNumberOfMessages": "0"}


# --- receipt handles --------------------------------------------------------------------------

def test_receipt_handles_are_tamper_proof_and_tied_to_their_receive(server, sqs):
    url = make_queue(sqs, VisibilityTimeout=5)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    old = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    raw = bytearray(base64.b64decode(old))
    raw[-1] ^= 1
    forged = base64.b64encode(bytes(raw)).decode()
    e = error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle=forged)
    assert e["Error"]["Code"] == "ReceiptHandleIsInvalid"
    assert e["Error"]["Message"] == f'The input receipt handle "{forged}" is not a valid receipt handle.'
    assert error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle="garbage")["Error"]["Code"] == "ReceiptHandleIsInvalid"
    other = make_queue(sqs)
    assert error_of(sqs.delete_message, QueueUrl=other, ReceiptHandle=old)["Error"]["Code"] == "ReceiptHandleIsInvalid"
    server.advance(seconds=6)
    new = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    assert new != old
    # As on AWS, a stale handle from a standard queue is accepted but the newest receive decides.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old)
    server.advance(seconds=6)
    third = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert third["Attributes"]["ApproximateReceiveCount"] == "3"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"])  # deleting twice is fine
    server.advance(seconds=6)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


def test_delete_message_batch_reports_each_entry(sqs):
    url = make_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    out = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "good", "ReceiptHandle": handle},
                                                          {"Id": "bad", "ReceiptHandle": "nope"}])
    assert [s["Id"] for s in out["Successful"]] == ["good"]
    assert out["Failed"] == [{"Id": "bad", "SenderFault": True, "Code": "ReceiptHandleIsInvalid",
                              "Message": 'The input receipt handle "nope" is not a valid receipt handle.'}]


# --- concurrency and durability -----------------------------------------------------------------

def _consume(endpoint, key_id, secret, url, out):
    import boto3

    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key_id,
                       aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 1}))
    seen = []
    empty = 0
    while empty < 3:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if not got:
            empty += 1
            continue
        empty = 0
        seen.extend(m["Body"] for m in got)
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(got)])
    out.put(seen)


def test_concurrent_receivers_get_every_message_exactly_once(server, sqs):
    url = make_queue(sqs, VisibilityTimeout=60)
    total = 3000
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda b: sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": str(b * 10 + i)} for i in range(10)]), range(total // 10)))
    key_id, secret = server.root_credentials()
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_consume, args=(server.endpoint, key_id, secret, url, out)) for _ in range(6)]
    for p in procs:
        p.start()
    seen = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(30)
    everything = [b for batch in seen for b in batch]
    print(f"per receiver: {[len(s) for s in seen]}")
    assert len(everything) == total, f"{len(everything) - len(set(everything))} duplicates"
    assert set(everything) == {str(i) for i in range(total)}
    assert sum(1 for s in seen if s) > 1, "the work was shared"


def test_an_acknowledged_send_survives_kill_9(fresh_server):
    server = fresh_server()
    sqs = server.client("sqs")
    url = make_queue(sqs, SqsManagedSseEnabled="true")
    sent = sqs.send_message(QueueUrl=url, MessageBody="durable")
    server.restart(kill=True)
    sqs = server.client("sqs")
    got = sqs.receive_message(QueueUrl=url)["Messages"]
    assert [(m["MessageId"], m["Body"]) for m in got] == [(sent["MessageId"], "durable")]


@sqlite_only
def test_bodies_are_encrypted_at_rest_unless_sse_is_off(fresh_server):
    server = fresh_server()
    sqs = server.client("sqs")
    sealed = make_queue(sqs)
    plain = make_queue(sqs, SqsManagedSseEnabled="false")
    assert sqs.get_queue_attributes(QueueUrl=sealed, AttributeNames=["SqsManagedSseEnabled"])["Attributes"] == \
        {"SqsManagedSseEnabled": "true"}
    secret_marker = f"client-secret-{uuid.uuid4().hex}"
    plain_marker = f"plain-{uuid.uuid4().hex}"
    sqs.send_message(QueueUrl=sealed, MessageBody=secret_marker)
    sqs.send_message(QueueUrl=plain, MessageBody=plain_marker)
    kms = make_queue(sqs, KmsMasterKeyId="alias/aws/sqs")
    kms_marker = f"kms-{uuid.uuid4().hex}"
    sqs.send_message(QueueUrl=kms, MessageBody=kms_marker)
    # SSE-KMS with a customer key: bodies under data keys from the key, reused within the period.
    key_id = server.client("kms").create_key()["KeyMetadata"]["KeyId"]
    custom = make_queue(sqs, KmsMasterKeyId=key_id, KmsDataKeyReusePeriodSeconds=60)
    custom_markers = [f"custom-{i}-{uuid.uuid4().hex}" for i in range(3)]
    sqs.send_message(QueueUrl=custom, MessageBody=custom_markers[0])
    batch = sqs.send_message_batch(QueueUrl=custom, Entries=[
        {"Id": str(i), "MessageBody": m} for i, m in enumerate(custom_markers[1:])])
    assert len(batch["Successful"]) == 2 and not batch.get("Failed")
    assert sqs.get_queue_attributes(QueueUrl=custom, AttributeNames=["All"])["Attributes"]["KmsDataKeyReusePeriodSeconds"] == "60"
    # alias/aws/sqs is AWS's managed key, made on first use.
    managed = server.client("kms").describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]
    assert (managed["KeyManager"], managed["Description"]) == (
        "AWS", "Default key that protects my SQS messages when no other key is defined")
    server.stop()
    stored = b"".join(p.read_bytes() for p in server.data_dir.iterdir() if p.name.startswith("spcred.db"))
    assert plain_marker.encode() in stored, "the check can see plaintext when there is some"
    assert secret_marker.encode() not in stored
    assert kms_marker.encode() not in stored
    for marker in custom_markers:
        assert marker.encode() not in stored
    server.start()
    sqs = server.client("sqs")
    assert sqs.receive_message(QueueUrl=sealed)["Messages"][0]["Body"] == secret_marker
    assert sqs.receive_message(QueueUrl=kms)["Messages"][0]["Body"] == kms_marker
    got = sqs.receive_message(QueueUrl=custom, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in got) == sorted(custom_markers)


def kms_error(response):
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def test_a_disabled_key_fails_sends_and_receives_with_kms_errors(server, sqs):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    url = make_queue(sqs, KmsMasterKeyId=key["Arn"])
    sqs.send_message(QueueUrl=url, MessageBody="sealed before")
    kms.disable_key(KeyId=key["KeyId"])
    for call in (lambda: sqs.send_message(QueueUrl=url, MessageBody="x"), lambda: sqs.receive_message(QueueUrl=url)):
        code, status, message = kms_error(error_of(call))
        assert (code, status) == ("KMS.DisabledException", 400)
        assert message.startswith(f"{key['Arn']} is disabled. (Service: AWSKMS; Status Code: 400; "
                                  "Error Code: DisabledException; Request ID: ")
    r = sign_and_send(server, "Action=SendMessage&MessageBody=x", service="sqs", path="/" + url.split("/", 3)[3])
    assert r.status_code == 400 and xml_error(r)[:2] == ("Sender", "KMS.DisabledException")
    # A failed receive changed nothing: the message comes back on its first receive.
    kms.enable_key(KeyId=key["KeyId"])
    got = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert [(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in got] == [("sealed before", "1")]
    missing = make_queue(sqs, KmsMasterKeyId="alias/no-such-key")
    code, status, message = kms_error(error_of(sqs.send_message, QueueUrl=missing, MessageBody="x"))
    assert (code, status) == ("KMS.NotFoundException", 400) and "Error Code: NotFoundException;" in message


def test_senders_and_receivers_need_their_kms_permissions(server, sqs):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    url = make_queue(sqs, KmsMasterKeyId=key["KeyId"])
    arn = queue_arn(sqs, url)
    account = arn.split(":")[4]

    def user(name, *kms_actions):
        statements = [{"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"], "Resource": arn}]
        if kms_actions:
            statements.append({"Effect": "Allow", "Action": list(kms_actions), "Resource": key["Arn"]})
        key_id, secret = new_user(server, name, {"Version": "2012-10-17", "Statement": statements})
        return server.client("sqs", key_id=key_id, secret=secret)

    producer = user(unique("producer"), "kms:GenerateDataKey", "kms:Decrypt")
    no_decrypt = user(unique("nodecrypt"), "kms:GenerateDataKey")
    consumer = user(unique("consumer"), "kms:Decrypt")
    bare = user(unique("bare"))

    producer.send_message(QueueUrl=url, MessageBody="for the consumer")
    # A producer also needs kms:Decrypt (SQS checks each new data key), as AWS documents.
    code, status, message = kms_error(error_of(no_decrypt.send_message, QueueUrl=url, MessageBody="x"))
    assert (code, status) == ("KMS.AccessDeniedException", 400)
    assert "is not authorized to perform: kms:Decrypt on resource: " + key["Arn"] in message
    code, _, message = kms_error(error_of(consumer.send_message, QueueUrl=url, MessageBody="x"))
    assert code == "KMS.AccessDeniedException" and "kms:GenerateDataKey" in message
    # Receiving needs kms:Decrypt; a refused receive leaves the message where it was.
    code, _, message = kms_error(error_of(bare.receive_message, QueueUrl=url))
    assert code == "KMS.AccessDeniedException"
    assert message.startswith(f"User: arn:aws:iam::{account}:user/")
    assert "Error Code: AccessDeniedException;" in message
    got = consumer.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert [(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in got] == [("for the consumer", "1")]
    # The key policy can refuse what IAM allows: a key whose policy names only the producer.
    only = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:aws:sqs:arn": arn}}}]}
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(only))
    assert kms_error(error_of(consumer.receive_message, QueueUrl=url))[0] == "KMS.AccessDeniedException"


# --- FIFO -----------------------------------------------------------------------------------

def test_fifo_orders_each_group_and_blocks_a_group_in_flight(sqs):
    url = make_queue(sqs, name=unique("fifo") + ".fifo", FifoQueue="true", ContentBasedDeduplication="true")
    seqs = []
    for body, group in [("a1", "A"), ("b1", "B"), ("a2", "A"), ("a3", "A"), ("b2", "B")]:
        r = sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
        seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    first = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in first] == ["a1"]
    assert first[0]["Attributes"]["MessageGroupId"] == "A"
    assert first[0]["Attributes"]["SequenceNumber"] == str(seqs[0]).zfill(20)
    # Group A is in flight; only B's messages, in order.
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["b1", "b2"]
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["a2", "a3"]


def test_fifo_deduplicates_for_five_minutes(server, sqs):
    url = make_queue(sqs, name=unique("dedup") + ".fifo", FifoQueue="true")
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert e["Error"]["Code"] == "InvalidParameterValue"
    assert e["Error"]["Message"] == ("The queue should either have ContentBasedDeduplication enabled or "
                                     "MessageDeduplicationId provided explicitly")
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert (e["Error"]["Code"], e["Error"]["Message"]) == ("MissingParameter",
                                                           "The request must contain the parameter MessageGroupId.")
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d",
                 DelaySeconds=2)
    assert e["Error"]["Message"] == ("Value 2 for parameter DelaySeconds is invalid. Reason: The request include "
                                     "parameter that is not valid for this queue type.")
    one = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d")
    two = sqs.send_message(QueueUrl=url, MessageBody="y", MessageGroupId="g", MessageDeduplicationId="d")
    assert one["MessageId"] == two["MessageId"] and one["SequenceNumber"] == two["SequenceNumber"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in got] == ["x"] and got[0]["Attributes"]["MessageDeduplicationId"] == "d"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d")
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == [], "still within five minutes"
    server.advance(seconds=301)
    three = sqs.send_message(QueueUrl=url, MessageBody="z", MessageGroupId="g", MessageDeduplicationId="d")
    assert three["MessageId"] != one["MessageId"]
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["z"]


def test_fifo_stale_receipt_handles_have_expired(server, sqs):
    url = make_queue(sqs, name=unique("stale") + ".fifo", FifoQueue="true", ContentBasedDeduplication="true",
                     VisibilityTimeout=5)
    sqs.send_message(QueueUrl=url, MessageBody="g1-m1", MessageGroupId="g1")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    server.advance(seconds=6)
    e = error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle=handle)
    assert e["Error"]["Code"] == "InvalidParameterValue"
    assert e["Error"]["Message"] == (f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt "
                                     "handle has expired.")


# --- queue management ----------------------------------------------------------------------

def test_create_queue_is_idempotent_for_equal_attributes(sqs):
    name = unique()
    url = sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "5"})["QueueUrl"]
    assert sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "5"})["QueueUrl"] == url
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url
    e = error_of(sqs.create_queue, QueueName=name, Attributes={"DelaySeconds": "6"})
    assert e["Error"]["Code"] == "QueueAlreadyExists"
    assert e["Error"]["Message"] == ("A queue already exists with the same name and a different value for "
                                     "attribute DelaySeconds")
    assert e["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_queue_names_and_attribute_values_are_checked(sqs):
    e = error_of(sqs.create_queue, QueueName="bad name")
    assert (e["Error"]["Code"], e["Error"]["Message"]) == (
        "InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
    e = error_of(sqs.create_queue, QueueName=unique() + ".fifo")
    assert e["Error"]["Code"] == "InvalidParameterValue"
    e = error_of(sqs.create_queue, QueueName=unique(), Attributes={"VisibilityTimeout": "43201"})
    assert (e["Error"]["Code"], e["Error"]["Message"]) == (
        "InvalidAttributeValue", "Invalid value for the parameter VisibilityTimeout.")
    e = error_of(sqs.create_queue, QueueName=unique(), Attributes={"MessageRetentionPeriod": "59"})
    assert e["Error"]["Message"] == "Invalid value for the parameter MessageRetentionPeriod."
    e = error_of(sqs.create_queue, QueueName=unique(), Attributes={"Colour": "blue"})
    assert (e["Error"]["Code"], e["Error"]["Message"]) == ("InvalidAttributeName", "Unknown Attribute Colour.")
    url = make_queue(sqs)
    e = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"FifoQueue": "true"})
    assert (e["Error"]["Code"], e["Error"]["Message"]) == ("InvalidAttributeName", "Unknown Attribute FifoQueue.")
    e = error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["Nope"])
    assert e["Error"]["Message"] == "Unknown Attribute Nope."
    e = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"})
    assert e["Error"]["Message"] == ("You can use one type of server-side encryption (SSE) at one time. You can "
                                     "either enable KMS SSE or SQS SSE.")


def test_redrive_policies_are_validated(sqs):
    url = make_queue(sqs)
    account = queue_arn(sqs, url).split(":")[4]

    def message(policy):
        e = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"RedrivePolicy": policy})
        assert e["Error"]["Code"] == "InvalidParameterValue"
        return e["Error"]["Message"]

    dummy = '{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}'
    assert message(dummy) == (f"Value {dummy} for parameter RedrivePolicy is invalid. Reason: Invalid value for "
                              "deadLetterTargetArn.")
    missing = json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{account}:{unique()}", "maxReceiveCount": 3})
    assert message(missing).endswith("Reason: Dead letter target does not exist.")
    fifo_dlq = make_queue(sqs, name=unique() + ".fifo", FifoQueue="true")
    wrong_type = json.dumps({"deadLetterTargetArn": queue_arn(sqs, fifo_dlq), "maxReceiveCount": 3})
    assert message(wrong_type).endswith("Reason: Dead-letter queue must be same type of queue as the source.")
    dlq = make_queue(sqs)
    too_many = json.dumps({"deadLetterTargetArn": queue_arn(sqs, dlq), "maxReceiveCount": 1001})
    assert message(too_many).endswith(
        "Reason: Invalid value for maxReceiveCount: 1001, valid values are from 1 to 1000 both inclusive.")
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})
    denied = json.dumps({"deadLetterTargetArn": queue_arn(sqs, dlq), "maxReceiveCount": 3})
    assert "redrive allow policy" in message(denied)
    e = error_of(sqs.set_queue_attributes, QueueUrl=dlq, Attributes={
        "RedriveAllowPolicy": json.dumps({"redrivePermission": "byQueue"})})
    assert e["Error"]["Message"].endswith("you must also specify one or more sourceQueueArns values.")


def test_purge_queue_once_a_minute(server, sqs):
    url = make_queue(sqs)
    name = url.rsplit("/", 1)[1]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.purge_queue(QueueUrl=url)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    e = error_of(sqs.purge_queue, QueueUrl=url)
    assert e["Error"]["Code"] == "AWS.SimpleQueueService.PurgeQueueInProgress"
    assert e["Error"]["Message"] == f"Only one PurgeQueue operation on {name} is allowed every 60 seconds."
    assert e["ResponseMetadata"]["HTTPStatusCode"] == 403
    server.advance(seconds=61)
    sqs.purge_queue(QueueUrl=url)


def test_a_deleted_queue_name_is_reserved_for_a_minute(server, sqs):
    name = unique()
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    e = error_of(sqs.create_queue, QueueName=name)
    assert e["Error"]["Code"] == "AWS.SimpleQueueService.QueueDeletedRecently"
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x")
    assert e["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    server.advance(seconds=61)
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url


def test_list_queues_pages(sqs):
    prefix = unique("page")
    urls = sorted(make_queue(sqs, name=f"{prefix}-{i}") for i in range(5))
    first = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2)
    assert first["QueueUrls"] == urls[:2] and first["NextToken"]
    second = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=first["NextToken"])
    third = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=second["NextToken"])
    assert second["QueueUrls"] + third["QueueUrls"] == urls[2:] and "NextToken" not in third
    assert sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == urls
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=unique("none"))
    e = error_of(sqs.list_queues, MaxResults=1001)
    assert e["Error"]["Code"] == "InvalidParameterValue"


def test_tags(sqs):
    url = sqs.create_queue(QueueName=unique(), tags={"team": "sp-api"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev", "empty": ""})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "sp-api", "env": "dev", "empty": ""}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "empty", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}


def test_queue_policy_is_kept_and_permissions_edit_it(sqs):
    url = make_queue(sqs)
    arn = queue_arn(sqs, url)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "SellingPartnerNotifications", "Effect": "Allow", "Principal": {"AWS": "437568002678"},
        "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"], "Resource": arn}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    assert json.loads(got) == policy
    e = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Policy": "{not json"})
    assert (e["Error"]["Code"], e["Error"]["Message"]) == ("InvalidAttributeValue", "Invalid value for the parameter Policy.")
    other = make_queue(sqs)
    sqs.add_permission(QueueUrl=other, Label="sp", AWSAccountIds=["437568002678"], Actions=["SendMessage"])
    doc = json.loads(sqs.get_queue_attributes(QueueUrl=other, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert doc["Statement"] == [{"Sid": "sp", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::437568002678:root"},
                                 "Action": "SQS:SendMessage", "Resource": queue_arn(sqs, other)}]
    e = error_of(sqs.add_permission, QueueUrl=other, Label="sp", AWSAccountIds=["437568002678"], Actions=["SendMessage"])
    assert e["Error"]["Message"] == "Value sp for parameter Label is invalid. Reason: Already exists."
    sqs.remove_permission(QueueUrl=other, Label="sp")
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=other, AttributeNames=["Policy"])
    e = error_of(sqs.remove_permission, QueueUrl=other, Label="sp")
    assert e["Error"]["Message"] == "Value sp for parameter Label is invalid. Reason: can't find label."


def test_iam_users_need_permission_and_queue_policies_grant_it(server, sqs):
    mine, theirs = make_queue(sqs), make_queue(sqs)
    mine_arn, theirs_arn = queue_arn(sqs, mine), queue_arn(sqs, theirs)
    name = unique("sqs-user")
    key_id, secret = new_user(server, name, allow(["sqs:SendMessage", "sqs:ReceiveMessage"], mine_arn))
    user = server.client("sqs", key_id=key_id, secret=secret)
    user.send_message(QueueUrl=mine, MessageBody="allowed")
    assert [m["Body"] for m in user.receive_message(QueueUrl=mine)["Messages"]] == ["allowed"]
    user_arn = f"arn:aws:iam::{mine_arn.split(':')[4]}:user/{name}"
    e = error_of(user.send_message, QueueUrl=theirs, MessageBody="denied")
    assert (e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDenied", 403)
    assert e["Error"]["Message"].startswith(
        f"User: {user_arn} is not authorized to perform: sqs:SendMessage on resource: {theirs_arn}")
    assert error_of(user.delete_queue, QueueUrl=mine)["Error"]["Code"] == "AccessDenied"
    # The other queue's policy grants the user what its own policies do not.
    grant = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn},
                                                     "Action": "sqs:SendMessage", "Resource": theirs_arn}]}
    sqs.set_queue_attributes(QueueUrl=theirs, Attributes={"Policy": json.dumps(grant)})
    user.send_message(QueueUrl=theirs, MessageBody="granted by the queue")
    assert error_of(user.receive_message, QueueUrl=theirs)["Error"]["Code"] == "AccessDenied"
    r = sign_and_send(server, "Action=ReceiveMessage", service="sqs", path="/" + theirs.split("/", 3)[3],
                      key_id=key_id, secret=secret)
    assert r.status_code == 403 and xml_error(r)[1] == "AccessDenied"
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=theirs)["Messages"]] == ["granted by the queue"]


# --- message rules ---------------------------------------------------------------------------

def test_message_size_and_attribute_limits(sqs):
    url = make_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="x" * 262144)
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x" * 262145)
    assert (e["Error"]["Code"], e["Error"]["Message"]) == (
        "InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.")
    attr = {"k": {"DataType": "String", "StringValue": "v"}}  # 1 + 6 + 1 bytes count too
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x" * (262144 - 7), MessageAttributes=attr)
    assert e["Error"]["Code"] == "InvalidParameterValue"
    small = make_queue(sqs, MaximumMessageSize=1024)
    e = error_of(sqs.send_message, QueueUrl=small, MessageBody="x" * 1025)
    assert e["Error"]["Message"] == "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."
    many = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageAttributes=many)
    assert e["Error"]["Message"] == "Number of message attributes [11] exceeds the allowed maximum [10]."
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x",
                 MessageAttributes={"ErrorDetails": {"DataType": "String", "StringValue": ""}})
    assert e["Error"]["Message"] == "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="bad \x00 char")
    assert e["Error"]["Code"] == "InvalidMessageContents"
    custom = {"n": {"DataType": "Number.float", "StringValue": "1.5"},
              "b": {"DataType": "Binary.gzip", "BinaryValue": b"\x00\x01"}}
    sqs.send_message(QueueUrl=url, MessageBody="custom types", MessageAttributes=custom)


def test_batch_rules(sqs):
    url = make_queue(sqs)

    def error(**kw):
        e = error_of(sqs.send_message_batch, QueueUrl=url, **kw)
        return e["Error"]["Code"], e["Error"]["Message"]

    assert error(Entries=[]) == ("AWS.SimpleQueueService.EmptyBatchRequest",
                                 "There should be at least one SendMessageBatchRequestEntry in the request.")
    assert error(Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)]) == (
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent 11.")
    assert error(Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]) == (
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id a repeated.")
    assert error(Entries=[{"Id": "a:b", "MessageBody": "x"}])[0] == "AWS.SimpleQueueService.InvalidBatchEntryId"
    assert error(Entries=[{"Id": "a", "MessageBody": "x" * 200000}, {"Id": "b", "MessageBody": "x" * 62145}]) == (
        "AWS.SimpleQueueService.BatchRequestTooLong", "Batch requests cannot be longer than 262144 bytes. You have sent 262145 bytes.")
    out = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "ok", "MessageBody": "x"},
                                                        {"Id": "bad", "MessageBody": "x", "DelaySeconds": 901}])
    assert [s["Id"] for s in out["Successful"]] == ["ok"]
    assert out["Failed"][0]["Id"] == "bad" and out["Failed"][0]["Code"] == "InvalidParameterValue"


def test_receive_parameters_are_checked(sqs):
    url = make_queue(sqs)
    e = error_of(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11)
    assert e["Error"]["Message"] == ("Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between "
                                     "1 and 10, if provided.")
    e = error_of(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=21)
    assert e["Error"]["Code"] == "InvalidParameterValue"


# --- the protocols ---------------------------------------------------------------------------

def test_json_errors_carry_the_query_error_header(server):
    r = sign_and_send(server, json.dumps({"QueueName": unique()}), service="sqs", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.GetQueueUrl"})
    assert r.status_code == 400
    assert r.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert r.json() == {"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."}
    r = sign_and_send(server, json.dumps({}), service="sqs", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.CreateQueue"})
    assert r.headers["x-amzn-query-error"] == "MissingParameter;Sender"
    assert r.json()["message"] == "The request must contain the parameter QueueName."


def _xml(response):
    assert response.status_code == 200, response.text
    return ET.fromstring(response.content)


def test_the_query_api_on_the_queue_url(server, sqs):
    name = unique("query")
    created = _xml(sign_and_send(server, f"Action=CreateQueue&QueueName={name}&Attribute.1.Name=VisibilityTimeout"
                                         "&Attribute.1.Value=17&Version=2012-11-05", service="sqs"))
    url = created.find(f"{QUERY_NS}CreateQueueResult/{QUERY_NS}QueueUrl").text
    path = "/" + url.split("/", 3)[3]
    sent = _xml(sign_and_send(server, "Action=SendMessage&MessageBody=query%20hello&MessageAttribute.1.Name=k"
                                      "&MessageAttribute.1.Value.DataType=Number&MessageAttribute.1.Value.StringValue=7",
                              service="sqs", path=path))
    result = sent.find(f"{QUERY_NS}SendMessageResult")
    message_id = result.find(f"{QUERY_NS}MessageId").text
    assert result.find(f"{QUERY_NS}MD5OfMessageBody").text == hashlib.md5(b"query hello").hexdigest()
    got = _xml(sign_and_send(server, "Action=ReceiveMessage&AttributeName.1=All&MessageAttributeName.1=All",
                             service="sqs", path=path))
    messages = got.findall(f"{QUERY_NS}ReceiveMessageResult/{QUERY_NS}Message")
    assert len(messages) == 1
    m = messages[0]
    assert m.find(f"{QUERY_NS}MessageId").text == message_id
    assert m.find(f"{QUERY_NS}Body").text == "query hello"
    attributes = {a.find(f"{QUERY_NS}Name").text: a.find(f"{QUERY_NS}Value").text for a in m.findall(f"{QUERY_NS}Attribute")}
    assert attributes["ApproximateReceiveCount"] == "1"
    attr = m.find(f"{QUERY_NS}MessageAttribute")
    assert attr.find(f"{QUERY_NS}Name").text == "k"
    assert attr.find(f"{QUERY_NS}Value/{QUERY_NS}DataType").text == "Number"
    assert attr.find(f"{QUERY_NS}Value/{QUERY_NS}StringValue").text == "7"
    # boto3 reads what the Query API wrote.
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == \
        {"VisibilityTimeout": "17"}
    handle = m.find(f"{QUERY_NS}ReceiptHandle").text
    _xml(sign_and_send(server, f"Action=DeleteMessage&ReceiptHandle={quote(handle, safe='')}", service="sqs", path=path))
    attrs = _xml(sign_and_send(server, "Action=GetQueueAttributes&AttributeName.1=All", service="sqs", path=path))
    shown = {a.find(f"{QUERY_NS}Name").text: a.find(f"{QUERY_NS}Value").text
             for a in attrs.findall(f"{QUERY_NS}GetQueueAttributesResult/{QUERY_NS}Attribute")}
    assert shown["VisibilityTimeout"] == "17" and shown["ApproximateNumberOfMessagesNotVisible"] == "0"
    # Posted to "/", the same operations name their queue with QueueUrl.
    found = _xml(sign_and_send(server, f"Action=GetQueueUrl&QueueName={name}", service="sqs"))
    assert found.find(f"{QUERY_NS}GetQueueUrlResult/{QUERY_NS}QueueUrl").text == url
    _xml(sign_and_send(server, f"Action=SendMessage&QueueUrl={quote(url, safe='')}&MessageBody=via%20root",
                       service="sqs"))
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "via root"
    listed = _xml(sign_and_send(server, f"Action=ListQueues&QueueNamePrefix={name}", service="sqs"))
    assert [u.text for u in listed.findall(f"{QUERY_NS}ListQueuesResult/{QUERY_NS}QueueUrl")] == [url]
    batch = _xml(sign_and_send(server, "Action=SendMessageBatch&SendMessageBatchRequestEntry.1.Id=a"
                                       "&SendMessageBatchRequestEntry.1.MessageBody=one"
                                       "&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=",
                               service="sqs", path=path))
    res = batch.find(f"{QUERY_NS}SendMessageBatchResult")
    assert [e.find(f"{QUERY_NS}Id").text for e in res.findall(f"{QUERY_NS}SendMessageBatchResultEntry")] == ["a"]
    failed = res.find(f"{QUERY_NS}BatchResultErrorEntry")
    assert failed.find(f"{QUERY_NS}Code").text == "MissingParameter"


def test_query_api_errors(server, sqs):
    url = make_queue(sqs)
    account = url.split("/")[3]
    r = sign_and_send(server, "Action=SendMessage&MessageBody=x", service="sqs", path=f"/{account}/{unique('gone')}")
    assert r.status_code == 400
    assert xml_error(r)[:3] == ("Sender", "AWS.SimpleQueueService.NonExistentQueue",
                                "The specified queue does not exist for this wsdl version.")
    path = "/" + url.split("/", 3)[3]
    r = sign_and_send(server, "Action=ListQueues", service="sqs", path=path)
    assert xml_error(r)[1:3] == ("InvalidAction", "The action ListQueues is not valid for this endpoint.")
    r = sign_and_send(server, "Action=SendMessage", service="sqs", path=path)
    assert xml_error(r)[1:3] == ("MissingParameter", "The request must contain the parameter MessageBody.")
    r = sign_and_send(server, "Action=PurgeQueue", service="sqs", path=path)
    assert r.status_code == 200
    r = sign_and_send(server, "Action=PurgeQueue", service="sqs", path=path)
    assert r.status_code == 403 and xml_error(r)[1] == "AWS.SimpleQueueService.PurgeQueueInProgress"
    r = sign_and_send(server, "Action=ReceiveMessage&MaxNumberOfMessages=11", service="sqs", path=path)
    assert xml_error(r)[1] == "InvalidParameterValue"
