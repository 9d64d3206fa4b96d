"""Several `spcred serve` nodes on one PostgreSQL database behave as one service.

Needs a PostgreSQL server: SPCRED_TEST_POSTGRES is its URL (the test command starts a throwaway
one). Each test gets a new database and nodes that share one master key file.
"""

import os
import secrets
import subprocess
import threading
import time

import botocore.exceptions
import pytest

from conftest import Server, new_database

POSTGRES = os.environ.get("SPCRED_TEST_POSTGRES", "")
pytestmark = pytest.mark.skipif(not POSTGRES, reason="SPCRED_TEST_POSTGRES names no PostgreSQL server")


@pytest.fixture
def cluster(workdir, request):
    """make(n) starts n nodes on one new database with one master key; all stopped at the end."""
    nodes = []
    url = new_database(POSTGRES) if POSTGRES else None
    key = workdir / f"{request.node.name}-master.key"
    key.write_text(secrets.token_hex(32) + "\n")
    key.chmod(0o600)

    def make(n, start=True):
        made = [
            Server(workdir / f"{request.node.name}-node{len(nodes) + i}", env={"SPCRED_MASTER_KEY_FILE": str(key)},
                   database_url=url)
            for i in range(n)
        ]
        nodes.extend(made)
        if start:
            for node in made:
                node.start()
        return made

    make.url = url
    yield make
    for node in nodes:
        node.stop()


def refused_within(seconds, call, code, what):
    """Calls `call` until it fails with `code` (another node's cache lapsing), at most `seconds`."""
    deadline = time.time() + seconds
    while True:
        try:
            call()
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == code
            return
        assert time.time() < deadline, f"{what} after {seconds} s"
        time.sleep(0.5)


def test_a_parameter_put_through_one_node_is_read_through_another(cluster):
    a, b = cluster(2)
    a.client("ssm").put_parameter(Name="/erp/lwa/client-secret", Value="s3cret-v1", Type="SecureString")
    got = b.client("ssm").get_parameter(Name="/erp/lwa/client-secret", WithDecryption=True)["Parameter"]
    assert (got["Value"], got["Version"]) == ("s3cret-v1", 1)
    b.client("ssm").put_parameter(Name="/erp/lwa/client-secret", Value="s3cret-v2", Type="SecureString", Overwrite=True)
    got = a.client("ssm").get_parameter(Name="/erp/lwa/client-secret", WithDecryption=True)["Parameter"]
    assert (got["Value"], got["Version"]) == ("s3cret-v2", 2)


def test_every_node_serves_the_same_account_and_root_key(cluster):
    a, b = cluster(2)
    assert a.root_credentials() == b.root_credentials()
    assert a.client("sts").get_caller_identity()["Account"] == b.client("sts").get_caller_identity()["Account"]


def test_an_access_key_created_on_one_node_authenticates_on_another(cluster):
    a, b = cluster(2)
    iam = a.client("iam")
    iam.create_user(UserName="erp")
    iam.attach_user_policy(UserName="erp", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    key = iam.create_access_key(UserName="erp")["AccessKey"]
    who = b.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert who["Arn"].endswith(":user/erp")
    # Deleted on B: refused on A once A's credential cache lapses (at most 5 seconds).
    b.client("iam").delete_access_key(UserName="erp", AccessKeyId=key["AccessKeyId"])
    refused_within(10, a.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity,
                   "InvalidClientTokenId", "a key deleted on one node still works on another")


def test_a_policy_change_on_one_node_takes_effect_on_another_within_seconds(cluster):
    a, b = cluster(2)
    iam = a.client("iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="ssm", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}'))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    a.client("ssm").put_parameter(Name="/p", Value="v", Type="String")
    reader = b.client("ssm", key["AccessKeyId"], key["SecretAccessKey"])
    assert reader.get_parameter(Name="/p")["Parameter"]["Value"] == "v"
    iam.delete_user_policy(UserName="reader", PolicyName="ssm")
    refused_within(10, lambda: reader.get_parameter(Name="/p"), "AccessDeniedException",
                   "a removed policy still allows on another node")


def test_sqs_hands_each_message_to_one_of_8_consumers_across_the_nodes(cluster):
    a, b = cluster(2)
    url = a.client("sqs").create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    sent = {f"m{i}" for i in range(200)}
    sender = a.client("sqs")
    for chunk in range(0, 200, 10):
        sender.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": f"m{i}"} for i in range(chunk, chunk + 10)])
    received, lock, errors = [], threading.Lock(), []

    def consume(node):
        sqs = node.client("sqs")
        try:
            while True:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
                if not got:
                    return
                with lock:
                    received.extend(m["Body"] for m in got)
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=consume, args=((a, b)[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(received) == len(sent), f"{len(received)} receives for {len(sent)} messages"
    assert set(received) == sent


def test_a_long_poll_on_one_node_gets_a_message_sent_through_another(cluster):
    a, b = cluster(2)
    url = a.client("sqs").create_queue(QueueName="events")["QueueUrl"]
    threading.Timer(1.0, lambda: a.client("sqs").send_message(QueueUrl=url, MessageBody="hello")).start()
    start = time.time()
    got = b.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=10).get("Messages", [])
    assert [m["Body"] for m in got] == ["hello"]
    assert time.time() - start < 5


def test_three_nodes_starting_at_once_migrate_the_new_database_once(cluster):
    nodes = cluster(3, start=False)
    threads = [threading.Thread(target=n.start) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(n.proc and n.proc.poll() is None for n in nodes)
    out = subprocess.run(["psql", "-At", cluster.url, "-c",
                          "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations"],
                         capture_output=True, text=True, check=True).stdout.strip()
    total, distinct = out.split("|")
    assert total == distinct and int(total) >= 19
    assert len({n.root_credentials() for n in nodes}) == 1


def test_a_node_refuses_a_schema_newer_than_itself(cluster):
    (a,) = cluster(1)
    a.stop()
    subprocess.run(["psql", "-q", cluster.url, "-c",
                    "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (9999, 'future', 0)"], check=True)
    with pytest.raises(RuntimeError, match="newer than this spcred supports"):
        a.start()


def test_a_node_with_another_master_key_is_refused(cluster, workdir):
    (a,) = cluster(1)
    other = workdir / "other-master.key"
    other.write_text(secrets.token_hex(32) + "\n")
    other.chmod(0o600)
    intruder = Server(workdir / "intruder", env={"SPCRED_MASTER_KEY_FILE": str(other)}, database_url=cluster.url)
    with pytest.raises(RuntimeError, match="does not belong to the store"):
        intruder.start()
    assert a.client("sts").get_caller_identity()["Account"]


def test_secrets_in_the_database_are_sealed(cluster):
    (a,) = cluster(1)
    a.client("ssm").put_parameter(Name="/lwa/secret", Value="amzn1.oa2-cs.v1.very-secret-value", Type="SecureString")
    _, root_secret = a.root_credentials()
    dump = subprocess.run(["pg_dump", "--data-only", cluster.url], capture_output=True, text=True, check=True).stdout
    assert "INSERT" in dump or "COPY" in dump
    for needle in ("very-secret-value", root_secret):
        assert needle not in dump and needle.encode().hex() not in dump


def test_a_store_migrated_to_postgresql_keeps_every_secret_and_message(workdir, request):
    from conftest import BIN

    old = Server(workdir / f"{request.node.name}-old").start()
    old.client("ssm").put_parameter(Name="/lwa/client-secret", Value="amzn1.oa2-cs.v1.abc", Type="SecureString")
    iam = old.client("iam")
    iam.create_user(UserName="erp")
    iam.attach_user_policy(UserName="erp", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    key = iam.create_access_key(UserName="erp")["AccessKey"]
    sqs = old.client("sqs")
    url = sqs.create_queue(QueueName="notices", Attributes={"SqsManagedSseEnabled": "true"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="rotate the secret")
    old.stop()
    source = old.database_url or f"sqlite://{old.data_dir / 'spcred.db'}"
    target = new_database(POSTGRES)
    done = subprocess.run([BIN, "store", "migrate", "--from", source, "--to", target],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "verified" in done.stdout and "ssm_parameters" in done.stdout
    # Sealed as they were: the copy never needed the master key, the new node does.
    new = Server(workdir / f"{request.node.name}-new", env={"SPCRED_MASTER_KEY_FILE": str(old.data_dir / "master.key")},
                 database_url=target).start()
    got = new.client("ssm").get_parameter(Name="/lwa/client-secret", WithDecryption=True)["Parameter"]
    assert got["Value"] == "amzn1.oa2-cs.v1.abc"
    assert new.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()["Arn"].endswith(":user/erp")
    new_sqs = new.client("sqs")
    got = new_sqs.receive_message(QueueUrl=new_sqs.get_queue_url(QueueName="notices")["QueueUrl"]).get("Messages", [])
    assert [m["Body"] for m in got] == ["rotate the secret"]
    # New rows after the copied ones: ids do not collide.
    new_sqs.send_message(QueueUrl=url.replace(old.endpoint, new.endpoint), MessageBody="another")
    new.stop()
    again = subprocess.run([BIN, "store", "migrate", "--from", source, "--to", target],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and "not empty" in again.stderr


def test_a_node_killed_while_it_delivers_leaves_the_deliveries_to_another(cluster):
    a, b = cluster(2)
    sqs, sns = a.client("sqs"), a.client("sns")
    topic = sns.create_topic(Name="notices")["TopicArn"]
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},'
        f'"Action":"sqs:SendMessage","Resource":"{arn}","Condition":{{"ArnEquals":{{"aws:SourceArn":"{topic}"}}}}}}]}}')})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    # Node A takes every publish (each delivery a job in the publish's transaction) and is killed
    # while it works through them; node B finishes what A left, once A's leases lapse.
    published = [f"n{i}" for i in range(60)]
    for body in published:
        sns.publish(TopicArn=topic, Message=body)
    a.kill9()
    receiver = b.client("sqs")
    got, deadline = set(), time.time() + 150
    while got != set(published) and time.time() < deadline:
        for m in receiver.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", []):
            got.add(m["Body"])
            receiver.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert got == set(published), f"{len(set(published) - got)} published messages never arrived"
