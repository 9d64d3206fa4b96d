"""CloudWatch Logs with the AWS CLI and boto3: log groups and their retention, streams, events
put and read back in order (GetLogEvents' forward and backward tokens), FilterLogEvents' text
patterns across streams, CloudWatch Logs' own errors and limits, IAM on log group and stream
ARNs, and messages sealed at rest."""
import json
import time

import pytest
from botocore.exceptions import ClientError


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def now_ms():
    return int(time.time() * 1000)


def server_now_ms(server):
    return int(server.admin("GET", "/_spcred/clock").json()["now_ms"])


def test_the_lambda_log_group_with_the_cli(server):
    group = f"/aws/lambda/rotate-{int(time.time() * 1000)}"
    assert server.aws("logs", "create-log-group", "--log-group-name", group) is None
    dup = server.aws("logs", "create-log-group", "--log-group-name", group, check=False)
    assert dup.returncode != 0 and "ResourceAlreadyExistsException" in dup.stderr
    assert "The specified log group already exists" in dup.stderr
    server.aws("logs", "put-retention-policy", "--log-group-name", group, "--retention-in-days", "14")
    groups = server.aws("logs", "describe-log-groups", "--log-group-name-prefix", group)["logGroups"]
    assert len(groups) == 1
    g = groups[0]
    account = server.client("sts").get_caller_identity()["Account"]
    assert g["logGroupName"] == group and g["retentionInDays"] == 14
    assert g["arn"] == f"arn:aws:logs:us-east-1:{account}:log-group:{group}:*"
    assert g["logGroupArn"] == f"arn:aws:logs:us-east-1:{account}:log-group:{group}"
    assert g["logGroupClass"] == "STANDARD" and g["metricFilterCount"] == 0

    stream = "2026/12/07/[$LATEST]0123456789abcdef"
    server.aws("logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", stream)
    t = server_now_ms(server)
    events = [{"timestamp": t + i, "message": m} for i, m in
              enumerate(["START RequestId: 1", '{"access_token": "Atza|IwEBI-example"}', "END RequestId: 1"])]
    put = server.aws("logs", "put-log-events", "--log-group-name", group, "--log-stream-name", stream,
                     "--log-events", json.dumps(events))
    assert len(put["nextSequenceToken"]) == 56 and "rejectedLogEventsInfo" not in put
    got = server.aws("logs", "get-log-events", "--log-group-name", group, "--log-stream-name", stream,
                     "--start-from-head")
    assert [e["message"] for e in got["events"]] == [e["message"] for e in events]
    assert got["nextForwardToken"].startswith("f/") and got["nextBackwardToken"].startswith("b/")
    found = server.aws("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", '"access_token"')
    assert [e["message"] for e in found["events"]] == [events[1]["message"]]
    assert found["events"][0]["logStreamName"] == stream

    streams = server.aws("logs", "describe-log-streams", "--log-group-name", group)["logStreams"]
    assert streams[0]["logStreamName"] == stream and streams[0]["lastEventTimestamp"] == t + 2
    assert streams[0]["arn"] == f"arn:aws:logs:us-east-1:{account}:log-group:{group}:log-stream:{stream}"
    server.aws("logs", "delete-log-group", "--log-group-name", group)
    gone = server.aws("logs", "describe-log-streams", "--log-group-name", group, check=False)
    assert "ResourceNotFoundException" in gone.stderr and "The specified log group does not exist." in gone.stderr


def test_reading_forward_and_backward_with_tokens(server):
    logs = server.client("logs")
    group, stream = f"/compat/tokens-{now_ms()}", "s"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    t = server_now_ms(server)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": t + i, "message": f"line {i}"} for i in range(25)])

    # Without a token and from the tail: the newest events, oldest first.
    tail = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=10)
    assert [e["message"] for e in tail["events"]] == [f"line {i}" for i in range(15, 25)]
    back = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=10,
                               nextToken=tail["nextBackwardToken"])
    assert [e["message"] for e in back["events"]] == [f"line {i}" for i in range(5, 15)]

    # From the head, page by page; at the end the same forward token comes back.
    seen, token = [], None
    while True:
        kw = {"nextToken": token} if token else {"startFromHead": True}
        page = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=7, **kw)
        seen += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert seen == [f"line {i}" for i in range(25)]
    # New events are read on from the last forward token.
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": t + 30, "message": "late"}])
    assert [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=stream,
                                                       nextToken=token)["events"]] == ["late"]
    # A time window.
    window = logs.get_log_events(logGroupName=group, logStreamName=stream, startTime=t + 3, endTime=t + 6,
                                 startFromHead=True)
    assert [e["message"] for e in window["events"]] == ["line 3", "line 4", "line 5"]
    assert error_of(logs.get_log_events, logGroupName=group, logStreamName=stream, nextToken="f/nope") == \
        ("InvalidParameterException", "The specified nextToken is invalid.")


def test_filter_patterns_across_streams_and_pages(server):
    logs = server.client("logs")
    group = f"/compat/filter-{now_ms()}"
    logs.create_log_group(logGroupName=group)
    t = server_now_ms(server)
    for n in ("a", "b"):
        logs.create_log_stream(logGroupName=group, logStreamName=n)
        logs.put_log_events(logGroupName=group, logStreamName=n, logEvents=[
            {"timestamp": t + i * 2 + (n == "b"), "message": f"{'ERROR' if i % 2 else 'INFO'} {n}{i} rotated"}
            for i in range(30)])
    errors = [e for page in logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, filterPattern="ERROR", PaginationConfig={"PageSize": 4}) for e in page["events"]]
    assert len(errors) == 30 and all(e["message"].startswith("ERROR") for e in errors)
    assert [e["timestamp"] for e in errors] == sorted(e["timestamp"] for e in errors), "interleaved by time"
    assert len({e["eventId"] for e in errors}) == 30
    only_b = logs.filter_log_events(logGroupName=group, logStreamNames=["b"], filterPattern="ERROR -b1")["events"]
    assert {e["logStreamName"] for e in only_b} == {"b"} and not any(e["message"].startswith("ERROR b1 ") for e in only_b)
    either = logs.filter_log_events(logGroupName=group, filterPattern="?a3 ?b5")["events"]
    assert sorted(e["message"] for e in either) == ["ERROR a3 rotated", "ERROR b5 rotated"]
    code, message = error_of(logs.filter_log_events, logGroupName=group, filterPattern='{ $.level = "ERROR" }')
    assert code == "InvalidParameterException" and "not JSON" in message


def test_cloudwatch_logs_limits_and_errors(server):
    logs = server.client("logs")
    group = f"/compat/limits-{now_ms()}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    t = server_now_ms(server)
    assert error_of(logs.put_log_events, logGroupName=group, logStreamName="s",
                    logEvents=[{"timestamp": t + 1, "message": "b"}, {"timestamp": t, "message": "a"}]) == \
        ("InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.")
    code, message = error_of(logs.put_log_events, logGroupName=group, logStreamName="s",
                             logEvents=[{"timestamp": t, "message": "x" * 262_145}])
    assert code == "InvalidParameterException" and "262144" in message
    # Too old and too new events are set aside and said so; the others are kept.
    out = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": t - 15 * 86_400_000, "message": "old"}])
    assert out["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0}
    out = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": t, "message": "kept"}, {"timestamp": t + 3 * 3_600_000, "message": "future"}])
    assert out["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    code, message = error_of(logs.put_log_events, logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": t - 2 * 86_400_000, "message": "a"}, {"timestamp": t, "message": "b"}])
    assert message == "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
    assert [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName="s")["events"]] == ["kept"]
    assert error_of(logs.put_log_events, logGroupName=group, logStreamName="nope",
                    logEvents=[{"timestamp": t, "message": "a"}]) == \
        ("ResourceNotFoundException", "The specified log stream does not exist.")
    code, message = error_of(logs.put_retention_policy, logGroupName=group, retentionInDays=2)
    assert code == "InvalidParameterException" and "Member must satisfy enum value set: [1, 3, 5, 7, 14" in message
    code, message = error_of(logs.create_log_group, logGroupName="bad name!")
    assert code == "InvalidParameterException" and "Member must satisfy regular expression pattern" in message
    assert error_of(logs.describe_log_streams, logGroupName=group, orderBy="LastEventTime",
                    logStreamNamePrefix="s")[1] == "Cannot order by LastEventTime with a logStreamNamePrefix."
    assert error_of(logs.create_log_stream, logGroupName=group, logStreamName="s")[0] == \
        "ResourceAlreadyExistsException"


def test_describe_log_groups_pages_and_filters(server):
    logs = server.client("logs")
    prefix = f"/compat/many-{now_ms()}/"
    for i in range(55):
        logs.create_log_group(logGroupName=f"{prefix}{i:02d}", logGroupClass="INFREQUENT_ACCESS" if i == 7 else "STANDARD")
    pages = list(logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix))
    assert [len(p["logGroups"]) for p in pages] == [50, 5]
    names = [g["logGroupName"] for p in pages for g in p["logGroups"]]
    assert names == [f"{prefix}{i:02d}" for i in range(55)]
    assert [g["logGroupName"] for g in logs.describe_log_groups(
        logGroupNamePattern=prefix + "3", limit=3)["logGroups"]] == [f"{prefix}{i}" for i in (30, 31, 32)]
    assert [g["logGroupName"] for g in logs.describe_log_groups(
        logGroupNamePrefix=prefix, logGroupClass="INFREQUENT_ACCESS")["logGroups"]] == [f"{prefix}07"]


def test_retention_drops_old_events_on_the_server_clock(fresh_server):
    s = fresh_server()
    logs = s.client("logs")
    logs.create_log_group(logGroupName="/r")
    logs.put_retention_policy(logGroupName="/r", retentionInDays=1)
    logs.create_log_stream(logGroupName="/r", logStreamName="s")
    t = server_now_ms(s)
    logs.put_log_events(logGroupName="/r", logStreamName="s", logEvents=[{"timestamp": t, "message": "day one"}])
    s.advance(days=2)
    assert logs.get_log_events(logGroupName="/r", logStreamName="s")["events"] == []
    assert logs.filter_log_events(logGroupName="/r")["events"] == []
    logs.delete_retention_policy(logGroupName="/r")
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix="/r")["logGroups"][0]


def test_iam_decides_on_log_group_and_stream_arns(server):
    iam = server.client("iam")
    account = server.client("sts").get_caller_identity()["Account"]
    name = f"lambda-logs-{now_ms()}"
    iam.create_user(UserName=name)
    # The rotation blog's Lambda policy: logs on its own function's log group only.
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": f"arn:aws:logs:us-east-1:{account}:*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"arn:aws:logs:us-east-1:{account}:log-group:/aws/lambda/rotator:*"}]}
    iam.put_user_policy(UserName=name, PolicyName="logs", PolicyDocument=json.dumps(doc))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    logs = server.client("logs", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    group = "/aws/lambda/rotator"
    try:
        logs.create_log_group(logGroupName=group)
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    logs.create_log_stream(logGroupName=group, logStreamName=name)
    logs.put_log_events(logGroupName=group, logStreamName=name,
                        logEvents=[{"timestamp": server_now_ms(server), "message": "hello"}])
    code, message = error_of(logs.get_log_events, logGroupName=group, logStreamName=name)
    assert code == "AccessDeniedException"
    assert f"logs:GetLogEvents on resource: arn:aws:logs:us-east-1:{account}:log-group:{group}:log-stream:{name}" \
        in message
    assert error_of(logs.create_log_stream, logGroupName="/aws/lambda/other", logStreamName="x")[0] == \
        "AccessDeniedException"


def test_messages_are_sealed_at_rest(fresh_server):
    s = fresh_server()
    logs = s.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/blog")
    logs.create_log_stream(logGroupName="/aws/lambda/blog", logStreamName="s")
    printed = '{"access_token": "Atza|IwEBI-a-printed-access-token-for-the-compat-test"}'
    logs.put_log_events(logGroupName="/aws/lambda/blog", logStreamName="s",
                        logEvents=[{"timestamp": server_now_ms(s), "message": printed}])
    assert logs.get_log_events(logGroupName="/aws/lambda/blog", logStreamName="s")["events"][0]["message"] == printed
    s.stop()
    for f in ("spcred.db", "spcred.db-wal"):
        path = s.data_dir / f
        if path.exists():
            assert b"a-printed-access-token" not in path.read_bytes(), f
    assert "a-printed-access-token" not in s.log()
