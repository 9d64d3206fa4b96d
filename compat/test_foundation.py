"""Issue: the foundation. `spcred serve`, SigV4, STS GetCallerIdentity, audit, admin, metrics."""
import datetime
import json
import os
import re
import stat
import subprocess
import time
import urllib.parse

import botocore.exceptions
import pytest
import requests

from conftest import BIN, Server, sign_and_send, sqlite_only, xml_error

GCI = "Action=GetCallerIdentity&Version=2011-06-15"


def account_of(server):
    out = server.read_stdout()
    return re.search(r"account:\s+(\d{12})", out).group(1)


def test_the_quickstart_works_with_the_written_profile(server):
    # Exactly the quickstart: only the credentials file and the profile, no config file.
    env = server.cli_env()
    del env["AWS_CONFIG_FILE"]
    out = server.aws("sts", "get-caller-identity", env=env)
    key_id, _ = server.root_credentials()
    assert re.fullmatch(r"\d{12}", out["Account"])
    assert out["Arn"] == f"arn:aws:iam::{out['Account']}:root"
    assert out["UserId"] == out["Account"]
    assert key_id.startswith("AKIA") and len(key_id) == 20


def test_first_start_prints_ids_and_paths_but_no_secret(server):
    out = server.read_stdout()
    key_id, secret = server.root_credentials()
    assert key_id in out
    assert str(server.data_dir / "credentials") in out
    assert str(server.data_dir / "admin-token") in out
    assert secret not in out
    assert server.admin_token not in out


def test_data_directory_files_are_private(server):
    for name in ("credentials", "admin-token", "master.key"):
        mode = stat.S_IMODE(os.stat(server.data_dir / name).st_mode)
        assert mode == 0o600, f"{name} has mode {oct(mode)}"
    assert (server.data_dir / "credentials").read_text().startswith("[spcred]\n")
    assert len(bytes.fromhex((server.data_dir / "master.key").read_text().strip())) == 32


def test_boto3_get_caller_identity(server):
    identity = server.client("sts").get_caller_identity()
    assert identity["Arn"].endswith(":root")
    assert identity["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def test_presigned_get_caller_identity_with_curl(server):
    url = server.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=300, HttpMethod="GET")
    assert "X-Amz-Signature=" in url
    out = subprocess.run(["curl", "-s", "-i", url], capture_output=True, text=True, check=True).stdout
    assert out.startswith("HTTP/1.1 200"), out
    assert "<GetCallerIdentityResult>" in out and ":root</Arn>" in out
    assert re.search(r"(?im)^x-amzn-requestid: [0-9a-f-]{36}", out)


def test_presigned_url_is_bound_to_its_method(server):
    # botocore signs the model's method (POST) unless told otherwise; as on AWS, such a URL works
    # with POST and not with GET.
    url = server.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=300)
    post = subprocess.run(["curl", "-s", "-i", "-X", "POST", url], capture_output=True, text=True, check=True).stdout
    assert post.startswith("HTTP/1.1 200"), post
    get = subprocess.run(["curl", "-s", "-i", url], capture_output=True, text=True, check=True).stdout
    assert get.startswith("HTTP/1.1 403") and "SignatureDoesNotMatch" in get


def test_a_presigned_url_past_its_expiry_is_refused(server):
    url = server.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=1, HttpMethod="GET")
    time.sleep(2.2)
    r = requests.get(url, timeout=10)
    assert r.status_code == 403
    _, code, message, _ = xml_error(r)
    assert code in ("SignatureDoesNotMatch", "AccessDenied", "ExpiredToken"), (code, message)
    assert "expired" in message.lower()


def test_unsigned_request_is_missing_authentication_token(server):
    r = requests.post(server.endpoint, data=GCI, headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert r.status_code == 403
    kind, code, message, request_id = xml_error(r)
    assert (kind, code) == ("Sender", "MissingAuthenticationToken")
    assert message
    assert request_id == r.headers["x-amzn-RequestId"]


def test_wrong_secret_is_signature_does_not_match(server):
    key_id, secret = server.root_credentials()
    wrong = ("x" if secret[0] != "x" else "y") + secret[1:]
    r = sign_and_send(server, GCI, key_id=key_id, secret=wrong)
    assert r.status_code == 403
    assert xml_error(r)[1] == "SignatureDoesNotMatch"
    # And through a real client, as the user sees it.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        server.client("sts", key_id, wrong).get_caller_identity()
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_unknown_key_is_invalid_client_token_id(server):
    r = sign_and_send(server, GCI, key_id="AKIAIOSFODNN7EXAMPLE", secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert r.status_code == 403
    assert xml_error(r)[1] == "InvalidClientTokenId"
    assert "security token included in the request is invalid" in xml_error(r)[2]


@pytest.mark.parametrize("minutes", [20, -20])
def test_a_signature_20_minutes_off_is_expired(server, minutes):
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes)
    r = sign_and_send(server, GCI, when=when)
    assert r.status_code == 403
    _, code, message, _ = xml_error(r)
    assert code == "SignatureDoesNotMatch"
    assert message.startswith("Signature expired" if minutes > 0 else "Signature not yet current"), message


def test_a_signature_10_minutes_off_is_still_accepted(server):
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    assert sign_and_send(server, GCI, when=when).status_code == 200


def test_a_body_changed_after_signing_is_refused(server):
    def tamper(p):
        p.body = GCI.replace("2011-06-15", "2011-06-16")
    r = sign_and_send(server, GCI, tamper=tamper)
    assert r.status_code == 403
    assert xml_error(r)[1] == "SignatureDoesNotMatch"


def test_a_signature_scoped_to_another_service_is_refused(server):
    r = sign_and_send(server, GCI, service="iam")
    # Routed by its scope to IAM, which has no such action, or refused for the scope: never a 200.
    assert r.status_code in (400, 403)


def test_unknown_action_is_invalid_action(server):
    r = sign_and_send(server, "Action=GetCallerIdentityy&Version=2011-06-15")
    assert r.status_code == 400
    _, code, message, _ = xml_error(r)
    assert code == "InvalidAction"
    assert "GetCallerIdentityy" in message


def test_unknown_json_target_is_unknown_operation_exception(server):
    r = sign_and_send(server, "{}", service="sts", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "NoSuchService_20200101.DoThing"})
    assert r.status_code == 400
    assert r.headers["x-amzn-RequestId"]
    assert r.json()["__type"].endswith("UnknownOperationException")


def test_every_response_has_a_request_id(server):
    for r in (
        requests.post(server.endpoint, data=GCI, timeout=10),
        requests.get(server.endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15", timeout=10),
        sign_and_send(server, GCI),
    ):
        assert re.fullmatch(r"[0-9a-f-]{36}", r.headers["x-amzn-RequestId"])


def test_health_needs_no_token_and_the_rest_of_admin_does(server):
    r = requests.get(f"{server.endpoint}/_spcred/health", timeout=10)
    assert r.json()["status"] == "ok" and r.json()["version"]
    assert requests.get(f"{server.endpoint}/_spcred/audit", timeout=10).status_code == 401
    assert requests.get(f"{server.endpoint}/_spcred/audit", headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 401
    assert server.admin("GET", "/_spcred/audit").status_code == 200


def test_virtual_clock_moves_forward_only(server):
    before = server.admin("GET", "/_spcred/clock").json()["now_ms"]
    after = server.advance(seconds=3600)["now_ms"]
    assert after - before >= 3600 * 1000
    r = server.admin("POST", "/_spcred/clock", json={"set": "2001-01-01T00:00:00Z"})
    assert r.status_code == 400
    target = datetime.datetime.fromtimestamp(after / 1000 + 86400, datetime.timezone.utc).isoformat()
    assert server.admin("POST", "/_spcred/clock", json={"set": target}).json()["now_ms"] >= after + 86400 * 1000
    assert server.admin("POST", "/_spcred/clock", json={"advance_seconds": "x"}).status_code == 400
    # After jumping days ahead, clients (signing with the real clock) still get through.
    assert server.client("sts").get_caller_identity()["Arn"].endswith(":root")


def test_audit_records_principal_operation_and_outcome(server):
    server.client("sts").get_caller_identity()
    requests.post(server.endpoint, data=GCI, timeout=10)
    records = server.admin("GET", "/_spcred/audit", params={"operation": "GetCallerIdentity"}).json()["records"]
    allowed = [r for r in records if r["outcome"] == "Allowed"]
    denied = [r for r in records if r["error_code"] == "MissingAuthenticationToken"]
    assert allowed and allowed[-1]["principal_arn"].endswith(":root")
    assert allowed[-1]["service"] == "sts" and allowed[-1]["source_ip"] == "127.0.0.1"
    assert denied and denied[-1]["principal_arn"] is None
    # The CLI prints them too.
    p = subprocess.run([BIN, "audit", "--endpoint", server.endpoint, "--data-dir", str(server.data_dir),
                        "--operation", "GetCallerIdentity"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "sts:GetCallerIdentity" in p.stdout and "MissingAuthenticationToken" in p.stdout


def test_metrics_count_requests_by_service_operation_and_status(server):
    server.client("sts").get_caller_identity()
    text = requests.get(f"{server.endpoint}/metrics", timeout=10).text
    assert re.search(r'spcred_requests_total\{[^}]*operation="GetCallerIdentity"[^}]*status="200"[^}]*\} \d+', text) or \
        re.search(r'spcred_requests_total\{[^}]*status="200"[^}]*operation="GetCallerIdentity"', text), text[:2000]
    assert "spcred_request_duration_seconds_bucket" in text


def test_kill_9_and_restart_keeps_account_credentials_and_audit(fresh_server):
    s = fresh_server()
    account = s.client("sts").get_caller_identity()["Account"]
    creds = s.root_credentials()
    ids = []
    for _ in range(5):
        r = s.client("sts").get_caller_identity()
        ids.append(r["ResponseMetadata"]["RequestId"])
    s.restart(kill=True)
    assert s.root_credentials() == creds
    assert s.client("sts").get_caller_identity()["Account"] == account
    assert "(created)" not in s.read_stdout()
    audited = {r["request_id"] for r in s.admin("GET", "/_spcred/audit").json()["records"]}
    assert set(ids) <= audited


def test_sigterm_shuts_down_cleanly(fresh_server):
    s = fresh_server()
    s.client("sts").get_caller_identity()
    s.stop()
    assert s.proc.returncode == 0
    assert "stopped" in s.log()


def test_the_root_secret_never_reaches_the_log(fresh_server):
    s = fresh_server(env={"RUST_LOG": "trace"})
    key_id, secret = s.root_credentials()
    s.client("sts").get_caller_identity()
    s.aws("sts", "get-caller-identity")
    sign_and_send(s, GCI, secret=secret[::-1], key_id=key_id)
    requests.get(s.client("sts").generate_presigned_url("get_caller_identity", HttpMethod="GET"), timeout=10)
    s.stop()
    log = s.log()
    assert "GetCallerIdentity" in log  # the log is really there, at trace level
    for needle in (secret, s.admin_token, (s.data_dir / "master.key").read_text().strip()):
        assert needle not in log


def test_bootstrap_values_from_the_environment(fresh_server):
    s = fresh_server(env={
        "SPCRED_ACCOUNT_ID": "123456789012",
        "SPCRED_ROOT_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "SPCRED_ROOT_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    })
    assert s.root_credentials() == ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert s.client("sts").get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:root"


def run_serve(*args, env=None, timeout=20):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SPCRED_")}
    e.update(env or {})
    return subprocess.run([BIN, "serve", *args], capture_output=True, text=True, timeout=timeout, env=e)


@sqlite_only
def test_startup_failures_are_clear_and_exit_non_zero(fresh_server, workdir):
    s = fresh_server()
    # Port in use.
    p = run_serve("--listen", f"127.0.0.1:{s.port}", "--data-dir", str(workdir / "other"))
    assert p.returncode != 0 and "cannot listen on" in p.stderr and "in use" in p.stderr.lower(), p.stderr
    # Wrong master key for this store.
    wrong = workdir / "wrong.key"
    wrong.write_text("11" * 32)
    wrong.chmod(0o600)
    s.stop()
    p = run_serve("--listen", "127.0.0.1:0", "--data-dir", str(s.data_dir), env={"SPCRED_MASTER_KEY_FILE": str(wrong)})
    assert p.returncode != 0 and "does not belong to the store" in p.stderr, p.stderr
    # Unwritable data directory.
    locked = workdir / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() != 0:  # root writes anywhere; the next case covers root too
        p = run_serve("--listen", "127.0.0.1:0", "--data-dir", str(locked / "data"))
        assert p.returncode != 0 and "not writable" in p.stderr, p.stderr
    p = run_serve("--listen", "127.0.0.1:0", "--data-dir", "/proc/spcred-data")
    assert p.returncode != 0 and "not writable" in p.stderr, p.stderr
    # A store from a newer version.
    import sqlite3
    db = sqlite3.connect(s.data_dir / "spcred.db")
    db.execute("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (9999, 'future', 0)")
    db.commit()
    db.close()
    p = run_serve("--listen", "127.0.0.1:0", "--data-dir", str(s.data_dir))
    assert p.returncode != 0 and "newer than this spcred supports" in p.stderr, p.stderr


def test_flags_beat_env_beat_config_file(workdir):
    cfg = workdir / "spcred.toml"
    port = Server(workdir / "x").port
    cfg.write_text(f'listen = "127.0.0.1:1"\ndata-dir = "{workdir / "from-file"}"\ntest-mode = true\n')
    e = {k: v for k, v in os.environ.items() if not k.startswith("SPCRED_")}
    e["SPCRED_LISTEN"] = f"127.0.0.1:{port}"
    proc = subprocess.Popen([BIN, "serve", "--config", str(cfg), "--region", "eu-west-1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/_spcred/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        # env's listen beat the file's; the file's data dir and test mode were used.
        assert (workdir / "from-file" / "credentials").exists()
        assert requests.get(f"http://127.0.0.1:{port}/_spcred/clock",
                            headers={"Authorization": "Bearer " + (workdir / "from-file" / "admin-token").read_text().strip()},
                            timeout=5).ok
    finally:
        proc.terminate()
        proc.wait(timeout=20)
