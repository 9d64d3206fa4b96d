"""AWS Lambda with the AWS CLI and boto3, as the rotation blog builds its function: the blog's
handler, zipped with `requests` as the blog says, reads the LWA credentials from SecureStrings
with its execution role, exchanges the refresh token at the sandbox's LWA endpoint, and prints the
answer to /aws/lambda/NAME. Also: the role's policy enforced on the function's own calls, timeouts,
asynchronous invocations, the resource-based policy, Lambda's errors, and what is kept at rest."""
import base64
import json
import shutil
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from spapi import Sandbox

# The blog's handler. Its LWA URL is Amazon's unless the function's configuration names another
# (spcred's sandbox here): the one change a team makes to rehearse against spcred.
BLOG_HANDLER = '''
import os
import boto3
import requests

ssm = boto3.client("ssm")


def get_parameters():
    response = ssm.get_parameters(
        Names=["/my-erp/lwa/cliensecret", "/my-erp/lwa/clientidentifier", "/my-erp/refreshToken"], WithDecryption=True
    )
    by_name = {p["Name"]: p["Value"] for p in response["Parameters"]}
    payload = {"grant_type": "refresh_token",
               "client_secret": by_name["/my-erp/lwa/cliensecret"],
               "client_id": by_name["/my-erp/lwa/clientidentifier"],
               "refresh_token": by_name["/my-erp/refreshToken"]}
    lwa = requests.post(os.environ.get("LWA_ENDPOINT", "https://api.amazon.com/auth/o2/token"), data=payload)
    return lwa.text


def lambda_handler(event, context):
    value = get_parameters()
    print("lwa value =  " + value)
    return value  # Echo back the first key value
'''

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def lambda_server(fresh_server):
    # Functions run with this interpreter: the venv's, which has awslambdaric and boto3.
    return fresh_server(env={"SPCRED_LAMBDA_PYTHON": sys.executable})


def zip_dir(src: Path, out: Path):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(src.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                z.write(f, f.relative_to(src))
    return out


def blog_package(workdir: Path) -> Path:
    """`cd lambda-lwa; pip3 install -r requirements.txt -t .; zip -r .`: here `requests` and its
    dependencies are copied from the test venv rather than downloaded again."""
    src = workdir / "lambda-lwa"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    (src / "lambda_function.py").write_text(BLOG_HANDLER)
    (src / "requirements.txt").write_text("requests\n")
    import certifi, charset_normalizer, idna, urllib3  # noqa: E401
    for module in (requests, urllib3, idna, certifi, charset_normalizer):
        package = Path(module.__file__).parent
        shutil.copytree(package, src / package.name, ignore=shutil.ignore_patterns("__pycache__"))
    return zip_dir(src, workdir / "function.zip")


def small_package(workdir: Path, name: str, source: str) -> Path:
    src = workdir / name
    src.mkdir(parents=True, exist_ok=True)
    (src / "handler.py").write_text(source)
    return zip_dir(src, workdir / f"{name}.zip")


def make_role(server, name, statements):
    iam = server.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="lambda-policy",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return role


def logs_policy(account, function):
    return [
        {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": f"arn:aws:logs:us-east-1:{account}:*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"arn:aws:logs:us-east-1:{account}:log-group:/aws/lambda/{function}:*"]},
    ]


def log_messages(server, function, pattern=None):
    """The function's log lines (waiting up to 10 s for them: as on AWS, they are written after the
    invocation answers; unfiltered, until the invocation's REPORT line is in)."""
    kwargs = {"filterPattern": pattern} if pattern else {}
    deadline = time.time() + 10
    while True:
        events = server.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{function}", **kwargs)["events"]
        messages = [e["message"] for e in events]
        done = any(m.startswith("REPORT RequestId: ") for m in messages) if pattern is None else bool(messages)
        if done or time.time() > deadline:
            return messages
        time.sleep(0.2)


def test_the_blogs_function_exchanges_the_refresh_token_and_logs_the_answer(fresh_server, workdir):
    server = lambda_server(fresh_server)
    sb = Sandbox(server)
    sb.developer()
    app = sb.app()
    refresh = sb.authorize(app["applicationId"], sb.seller())
    client_id, secret = app["lwaCredentials"]["clientId"], app["clientSecret"]
    account = server.client("sts").get_caller_identity()["Account"]

    key = server.aws("kms", "create-key", "--description", "LWA credentials")["KeyMetadata"]["Arn"]
    for name, value in [("/my-erp/lwa/cliensecret", secret), ("/my-erp/lwa/clientidentifier", client_id),
                        ("/my-erp/refreshToken", refresh)]:
        server.aws("ssm", "put-parameter", "--name", name, "--type", "SecureString", "--key-id", key,
                   "--value", value)
    params = [f"arn:aws:ssm:us-east-1:{account}:parameter/my-erp/*"]
    role = make_role(server, "lwa-rotation-lambda", [
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key]},
        {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": params},
        *logs_policy(account, "lwa-token"),
    ])

    package = blog_package(workdir)
    created = server.aws("lambda", "create-function", "--function-name", "lwa-token", "--runtime", "python3.11",
                         "--role", role, "--handler", "lambda_function.lambda_handler",
                         "--zip-file", f"fileb://{package}", "--timeout", "30",
                         "--environment", f"Variables={{LWA_ENDPOINT={server.endpoint}/auth/o2/token}}")
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:{account}:function:lwa-token"
    assert created["State"] == "Active" and created["Version"] == "$LATEST" and created["PackageType"] == "Zip"
    assert created["CodeSize"] == package.stat().st_size
    assert created["CodeSha256"] == base64.b64encode(__import__("hashlib").sha256(package.read_bytes()).digest()).decode()

    out = workdir / "response.json"
    invoked = server.aws("lambda", "invoke", "--function-name", "lwa-token", str(out))
    assert invoked == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
    answer = json.loads(json.loads(out.read_text()))
    assert answer["access_token"].startswith("Atza|") and answer["token_type"] == "bearer"
    assert answer["refresh_token"] == refresh

    # The print is in the function's log group, between Lambda's START and END lines.
    messages = log_messages(server, "lwa-token")
    assert messages[0].startswith("START RequestId: ") and messages[0].endswith("Version: $LATEST")
    assert any(m.startswith("lwa value =  ") and answer["access_token"] in m for m in messages)
    assert any(m.startswith("END RequestId: ") for m in messages)
    assert any(m.startswith("REPORT RequestId: ") and "Billed Duration" in m for m in messages)
    stream = server.client("logs").describe_log_streams(logGroupName="/aws/lambda/lwa-token")["logStreams"][0]
    assert "/[$LATEST]" in stream["logStreamName"]

    # The function's own calls were made, and allowed, as its role's session.
    records = server.admin("GET", "/_spcred/audit", params={"operation": "GetParameters"}).json()["records"]
    assert any(r["principal_arn"] == f"arn:aws:sts::{account}:assumed-role/lwa-rotation-lambda/lwa-token"
               and r["outcome"] == "Allowed" for r in records)

    # boto3's Invoke with the log tail, as `--log-type Tail` gives it.
    tailed = server.client("lambda").invoke(FunctionName="lwa-token", LogType="Tail")
    assert tailed["StatusCode"] == 200 and "FunctionError" not in tailed
    tail = base64.b64decode(tailed["LogResult"]).decode()
    assert "lwa value =" in tail and tail.rstrip().splitlines()[-1].startswith("REPORT RequestId:")


def test_the_roles_policy_decides_what_the_function_may_do(fresh_server, workdir):
    server = lambda_server(fresh_server)
    account = server.client("sts").get_caller_identity()["Account"]
    server.aws("ssm", "put-parameter", "--name", "/denied/secret", "--type", "SecureString", "--value", "s3cr3t")
    # Logs, but no SSM: the function's GetParameter is denied, and it says so.
    role = make_role(server, "no-ssm", logs_policy(account, "reader"))
    package = small_package(workdir, "reader", '''
import boto3
def handler(event, context):
    return boto3.client("ssm").get_parameter(Name=event["name"], WithDecryption=True)["Parameter"]["Value"]
''')
    lam = server.client("lambda")
    lam.create_function(FunctionName="reader", Runtime="python3.12", Role=role, Handler="handler.handler",
                        Code={"ZipFile": package.read_bytes()}, Timeout=20)
    r = lam.invoke(FunctionName="reader", Payload=json.dumps({"name": "/denied/secret"}))
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled"
    error = json.loads(r["Payload"].read())
    # boto3 raises SSM's modelled exception class, named after the error code.
    assert error["errorType"] == "AccessDeniedException" and "ssm:GetParameter" in error["errorMessage"]
    assert any("[ERROR]" in m for m in log_messages(server, "reader"))

    # Granted: the same invocation reads the value.
    server.client("iam").put_role_policy(RoleName="no-ssm", PolicyName="ssm", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"},
                                               {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}))
    r = lam.invoke(FunctionName="reader", Payload=json.dumps({"name": "/denied/secret"}))
    assert "FunctionError" not in r and json.loads(r["Payload"].read()) == "s3cr3t"

    # A role without logs permissions runs, but its log is dropped, as on AWS.
    quiet = make_role(server, "no-logs", [])
    noisy = small_package(workdir, "noisy", 'def handler(event, context):\n    print("hello")\n    return 1\n')
    lam.create_function(FunctionName="noisy", Runtime="python3.12", Role=quiet, Handler="handler.handler",
                        Code={"ZipFile": noisy.read_bytes()})
    assert json.loads(lam.invoke(FunctionName="noisy")["Payload"].read()) == 1
    with pytest.raises(ClientError) as e:
        server.client("logs").describe_log_streams(logGroupName="/aws/lambda/noisy")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_timeouts_errors_and_asynchronous_invocations(fresh_server, workdir):
    server = lambda_server(fresh_server)
    account = server.client("sts").get_caller_identity()["Account"]
    role = make_role(server, "basic", logs_policy(account, "*"))
    package = small_package(workdir, "kinds", '''
import os, time
def handler(event, context):
    kind = event.get("kind")
    if kind == "sleep":
        time.sleep(30)
    if kind == "raise":
        raise ValueError("bad input")
    print("event", event.get("n"), "remaining", context.get_remaining_time_in_millis() > 0)
    return {"n": event.get("n"), "region": os.environ["AWS_REGION"], "color": os.environ.get("COLOR"),
            "function": context.function_name, "request": context.aws_request_id}
''')
    lam = server.client("lambda")
    lam.create_function(FunctionName="kinds", Runtime="python3.12", Role=role, Handler="handler.handler",
                        Code={"ZipFile": package.read_bytes()}, Timeout=2,
                        Environment={"Variables": {"COLOR": "teal-7c1f"}})

    r = lam.invoke(FunctionName="kinds", Payload=json.dumps({"kind": "sleep"}))
    assert r["FunctionError"] == "Unhandled"
    assert "Task timed out after 2.00 seconds" in json.loads(r["Payload"].read())["errorMessage"]
    assert any("Task timed out after 2.00 seconds" in m for m in log_messages(server, "kinds"))

    r = lam.invoke(FunctionName="kinds", Payload=json.dumps({"kind": "raise"}))
    error = json.loads(r["Payload"].read())
    assert r["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "bad input"

    r = lam.invoke(FunctionName="kinds", Payload=json.dumps({"n": 1}))
    body = json.loads(r["Payload"].read())
    assert body["region"] == "us-east-1" and body["color"] == "teal-7c1f" and body["function"] == "kinds"
    assert body["request"] == r["ResponseMetadata"]["RequestId"]

    assert lam.invoke(FunctionName="kinds", InvocationType="DryRun")["StatusCode"] == 204
    r = lam.invoke(FunctionName="kinds", InvocationType="Event", Payload=json.dumps({"n": 42}))
    assert r["StatusCode"] == 202 and r["Payload"].read() == b""
    deadline = time.time() + 30
    while time.time() < deadline and not any("event 42" in m for m in log_messages(server, "kinds")):
        time.sleep(0.3)
    assert any("event 42 remaining True" in m for m in log_messages(server, "kinds"))

    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="kinds", Payload=b"{not json")
    assert e.value.response["Error"]["Code"] == "InvalidRequestContentException"

    # The variables are a KMS ciphertext at rest and the code is sealed: neither is in the files.
    stored = b"".join(p.read_bytes() for p in server.data_dir.glob("*.db*"))
    assert b"teal-7c1f" not in stored and b"get_remaining_time_in_millis" not in stored


def test_the_control_plane_and_its_errors(fresh_server, workdir):
    server = lambda_server(fresh_server)
    account = server.client("sts").get_caller_identity()["Account"]
    role = make_role(server, "plane", [])
    package = small_package(workdir, "plane", "def handler(event, context):\n    return 'v1'\n")
    lam = server.client("lambda")

    def code_of(call, **kw):
        with pytest.raises(ClientError) as e:
            call(**kw)
        return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"], \
            e.value.response["ResponseMetadata"]["HTTPStatusCode"]

    code, message, status = code_of(lam.get_function, FunctionName="nope")
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message == f"Function not found: arn:aws:lambda:us-east-1:{account}:function:nope"
    cli = server.aws("lambda", "get-function", "--function-name", "nope", check=False)
    assert cli.returncode != 0 and "ResourceNotFoundException" in cli.stderr

    base = dict(Runtime="python3.12", Role=role, Handler="handler.handler", Code={"ZipFile": package.read_bytes()})
    for i in range(3):
        lam.create_function(FunctionName=f"plane-{i}", **base)
    assert code_of(lam.create_function, FunctionName="plane-0", **base)[:2] == \
        ("ResourceConflictException", "Function already exist: plane-0")
    assert code_of(lam.create_function, FunctionName="bad-zip", **{**base, "Code": {"ZipFile": b"not a zip"}})[0] == \
        "InvalidParameterValueException"
    assert code_of(lam.create_function, FunctionName="node", **{**base, "Runtime": "nodejs20.x"})[0] == \
        "InvalidParameterValueException"
    untrusted = server.client("iam").create_role(RoleName="untrusted", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    assert code_of(lam.create_function, FunctionName="untrusted", **{**base, "Role": untrusted})[:2] == \
        ("InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.")
    assert code_of(lam.create_function, FunctionName="reserved",
                   **{**base, "Environment": {"Variables": {"AWS_REGION": "x"}}})[0] == "InvalidParameterValueException"
    assert code_of(lam.create_function, FunctionName="bad name!", **base)[0] == "ValidationException"

    # Pages of ListFunctions.
    first = lam.list_functions(MaxItems=2)
    assert [f["FunctionName"] for f in first["Functions"]] == ["plane-0", "plane-1"] and "NextMarker" in first
    second = lam.list_functions(MaxItems=2, Marker=first["NextMarker"])
    assert [f["FunctionName"] for f in second["Functions"]] == ["plane-2"] and "NextMarker" not in second

    # Code and configuration updates, guarded by RevisionId.
    before = lam.get_function(FunctionName="plane-0")["Configuration"]
    v2 = small_package(workdir, "plane-v2", "def handler(event, context):\n    return 'v2'\n")
    updated = lam.update_function_code(FunctionName="plane-0", ZipFile=v2.read_bytes())
    assert updated["CodeSha256"] != before["CodeSha256"] and updated["RevisionId"] != before["RevisionId"]
    assert json.loads(lam.invoke(FunctionName="plane-0")["Payload"].read()) == "v2"
    assert code_of(lam.update_function_configuration, FunctionName="plane-0", Timeout=10,
                   RevisionId=before["RevisionId"])[:1] == ("PreconditionFailedException",)
    configured = lam.update_function_configuration(FunctionName="plane-0", Timeout=10, MemorySize=256,
                                                   Environment={"Variables": {"STAGE": "test"}})
    assert (configured["Timeout"], configured["MemorySize"]) == (10, 256)
    assert configured["Environment"] == {"Variables": {"STAGE": "test"}}
    arn_config = lam.get_function_configuration(FunctionName=configured["FunctionArn"])
    assert arn_config["Environment"] == {"Variables": {"STAGE": "test"}}

    # The resource-based policy: EventBridge and SNS as invokers.
    rule_arn = f"arn:aws:events:us-east-1:{account}:rule/My-ERP-Rotate"
    added = lam.add_permission(FunctionName="plane-1", StatementId="events", Action="lambda:InvokeFunction",
                               Principal="events.amazonaws.com", SourceArn=rule_arn)
    statement = json.loads(added["Statement"])
    assert statement == {"Sid": "events", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                         "Action": "lambda:InvokeFunction",
                         "Resource": f"arn:aws:lambda:us-east-1:{account}:function:plane-1",
                         "Condition": {"ArnLike": {"AWS:SourceArn": rule_arn}}}
    lam.add_permission(FunctionName="plane-1", StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com")
    assert code_of(lam.add_permission, FunctionName="plane-1", StatementId="sns", Action="lambda:InvokeFunction",
                   Principal="sns.amazonaws.com")[0] == "ResourceConflictException"
    policy = json.loads(lam.get_policy(FunctionName="plane-1")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["events", "sns"]
    lam.remove_permission(FunctionName="plane-1", StatementId="events")
    lam.remove_permission(FunctionName="plane-1", StatementId="sns")
    assert code_of(lam.get_policy, FunctionName="plane-1")[0] == "ResourceNotFoundException"
    assert code_of(lam.remove_permission, FunctionName="plane-1", StatementId="sns")[0] == "ResourceNotFoundException"

    # A user without lambda:InvokeFunction is refused, and audited as refused.
    iam = server.client("iam")
    iam.create_user(UserName="viewer")
    iam.put_user_policy(UserName="viewer", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="viewer")["AccessKey"]
    viewer = server.client("lambda", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert viewer.get_function(FunctionName="plane-2")["Configuration"]["FunctionName"] == "plane-2"
    assert code_of(viewer.invoke, FunctionName="plane-2")[0] == "AccessDeniedException"

    lam.delete_function(FunctionName="plane-2")
    assert code_of(lam.delete_function, FunctionName="plane-2")[0] == "ResourceNotFoundException"


def test_the_rule_invokes_the_function_on_day_150(fresh_server, workdir):
    """The blog's rule with the function as its target, allowed by `aws lambda add-permission`:
    in test mode, 150 days after the SecureString was put, the function runs with the event."""
    server = lambda_server(fresh_server)
    account = server.client("sts").get_caller_identity()["Account"]
    secret = "/my-erp/lwa/clientsecret"
    policies = [{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "150", "Unit": "Days"}}]
    server.aws("ssm", "put-parameter", "--name", secret, "--type", "SecureString", "--value", "amzn1.oa2-cs.v1.x",
               "--tier", "Advanced", "--policies", json.dumps(policies))
    role = make_role(server, "reminder", logs_policy(account, "on-reminder"))
    package = small_package(workdir, "on-reminder", '''
import json
def handler(event, context):
    print("reminder", event["detail-type"], event["detail"]["parameter-name"], event["detail"]["policy-type"])
''')
    arn = server.aws("lambda", "create-function", "--function-name", "on-reminder", "--runtime", "python3.12",
                     "--role", role, "--handler", "handler.handler",
                     "--zip-file", f"fileb://{package}")["FunctionArn"]
    pattern = {"source": ["aws.ssm"], "detail-type": ["Parameter Store Policy Action"],
               "detail": {"parameter-name": [secret]}}
    rule_arn = server.aws("events", "put-rule", "--name", "My-ERP-Rotate", "--event-pattern", json.dumps(pattern),
                          "--state", "ENABLED")["RuleArn"]
    server.aws("events", "put-targets", "--rule", "My-ERP-Rotate",
               "--targets", json.dumps([{"Id": "rotation-function", "Arn": arn}]))

    server.aws("lambda", "add-permission", "--function-name", "on-reminder", "--statement-id", "events",
               "--action", "lambda:InvokeFunction", "--principal", "events.amazonaws.com", "--source-arn", rule_arn)
    server.advance(days=149)
    assert not _has_log(server), "nothing is due before day 150"
    server.advance(days=1, seconds=60)
    deadline = time.time() + 30
    while time.time() < deadline and not (_has_log(server) and any(
            m.startswith("reminder ") for m in log_messages(server, "on-reminder"))):
        time.sleep(0.3)
    lines = [m for m in log_messages(server, "on-reminder") if m.startswith("reminder ")]
    assert lines == [f"reminder Parameter Store Policy Action {secret} NoChangeNotification"]


def test_a_topic_invokes_its_subscribed_function(fresh_server, workdir):
    """An SNS `lambda` subscription: confirmed at once, the function invoked asynchronously with
    SNS's event once its policy lets sns.amazonaws.com in for the topic, and not before."""
    server = lambda_server(fresh_server)
    account = server.client("sts").get_caller_identity()["Account"]
    role = make_role(server, "on-notice", logs_policy(account, "on-notice"))
    package = small_package(workdir, "on-notice", '''
def handler(event, context):
    record = event["Records"][0]
    sns = record["Sns"]
    print("notice", record["EventSource"], sns["Type"], sns["Subject"], sns["Message"],
          sns["MessageAttributes"]["kind"]["Value"], sns["TopicArn"] == record["EventSubscriptionArn"].rsplit(":", 1)[0])
''')
    arn = server.aws("lambda", "create-function", "--function-name", "on-notice", "--runtime", "python3.12",
                     "--role", role, "--handler", "handler.handler", "--zip-file", f"fileb://{package}")["FunctionArn"]
    sns = server.client("sns")
    topic = sns.create_topic(Name="lwa-credential-rotation")["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)["SubscriptionArn"]
    assert sub.startswith(topic + ":"), "a function of the topic's account needs no confirmation"

    def published(subject):
        sns.publish(TopicArn=topic, Subject=subject, Message="rotate the secret",
                    MessageAttributes={"kind": {"DataType": "String", "StringValue": "reminder"}})
        server.advance(seconds=0)

    def notices():
        if not _has_log(server, "on-notice"):
            return []
        return [m for m in log_messages(server, "on-notice") if m.startswith("notice ")]

    # Without a permission SNS may not invoke it: the delivery fails, audited as denied.
    published("first")
    deadline = time.time() + 20
    while time.time() < deadline:
        records = server.admin("GET", "/_spcred/deliveries").json()["deliveries"]
        if any(d["protocol"] == "lambda" and d["status"] == "failed" for d in records):
            break
        time.sleep(0.2)
    assert [d["status"] for d in records if d["protocol"] == "lambda"] == ["failed"]
    assert notices() == []
    server.aws("lambda", "add-permission", "--function-name", "on-notice", "--statement-id", "sns",
               "--action", "lambda:InvokeFunction", "--principal", "sns.amazonaws.com", "--source-arn", topic)
    published("second")
    deadline = time.time() + 30
    while time.time() < deadline and not notices():
        time.sleep(0.3)
    assert notices() == ["notice aws:sns Notification second rotate the secret reminder True"]


def _has_log(server, function="on-reminder"):
    groups = server.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{function}")["logGroups"]
    return bool(groups)
