"""Issue: TLS. `spcred serve` over HTTPS with a certificate it makes and keeps (its CA in
`ca.pem` for AWS_CA_BUNDLE) or one given as PEM files and reloaded on SIGHUP; aws:SecureTransport
true exactly over TLS; plain HTTP refused on an address other machines reach."""
import hashlib
import json
import re
import signal
import socket
import ssl
import subprocess
import time

import pytest
import requests

from conftest import BIN, Server, free_port
from test_iam import cli_env_for, cli_error


def tls_server(data_dir, *args):
    s = Server(data_dir, extra_args=args)
    s.endpoint = f"https://localhost:{s.port}"
    s.verify = str(s.data_dir / "ca.pem")
    return s


def served_fingerprint(port, cafile=None):
    """The SHA-256 of the certificate the server presents, as spcred prints it."""
    context = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
    with socket.create_connection(("localhost", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            der = tls.getpeercert(binary_form=True)
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def printed_fingerprint(server):
    m = re.search(r"tls sha-256:\s+(\S+)", server.read_stdout())
    assert m, server.stdout
    return m.group(1)


SECURE_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def secure_only_user(server):
    iam = server.client("iam")
    iam.create_user(UserName="tls-only")
    iam.put_user_policy(UserName="tls-only", PolicyName="p", PolicyDocument=json.dumps(SECURE_ONLY))
    key = iam.create_access_key(UserName="tls-only")["AccessKey"]
    return cli_env_for(server, key["AccessKeyId"], key["SecretAccessKey"])


def test_self_signed_https_with_the_aws_cli_boto3_and_secure_transport(workdir, server):
    s = tls_server(workdir / "tls-self", "--tls-self-signed").start()
    try:
        out = s.read_stdout()
        assert f"listening on https://127.0.0.1:{s.port}" in out
        assert f"ca bundle:     {s.data_dir / 'ca.pem'} (AWS_CA_BUNDLE)" in out
        printed = printed_fingerprint(s)
        assert served_fingerprint(s.port, s.verify) == printed
        ca = (s.data_dir / "ca.pem").read_text()
        assert ca.startswith("-----BEGIN CERTIFICATE-----")

        # The AWS CLI and boto3, trusting ca.pem.
        assert s.aws("sts", "get-caller-identity")["Arn"].endswith(":root")
        assert s.client("sts").get_caller_identity()["Account"]
        # Without it, the certificate is not trusted.
        env = s.cli_env()
        del env["AWS_CA_BUNDLE"]
        p = s.aws("sts", "get-caller-identity", env=env, check=False)
        assert p.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in p.stderr
        # Plain HTTP to the TLS port is not answered as HTTP.
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{s.port}/_spcred/health", timeout=5)

        # aws:SecureTransport is true over TLS, so a policy denying insecure transport allows...
        over_tls = secure_only_user(s)
        s.aws("ssm", "put-parameter", "--name", "/tls/p", "--value", "v", "--type", "String", env=over_tls)
        assert s.aws("ssm", "get-parameter", "--name", "/tls/p", env=over_tls)["Parameter"]["Value"] == "v"
        # ...and over plain HTTP the same policy denies.
        plain = secure_only_user(server)
        p = server.aws("ssm", "get-parameter", "--name", "/tls/p", env=plain, check=False)
        assert cli_error(p)[0] == "AccessDeniedException"

        # The certificate is kept sealed in the store: the same one after a restart, and its key
        # is nowhere in the clear.
        s.restart(kill=False)
        assert printed_fingerprint(s) == printed
        assert (s.data_dir / "ca.pem").read_text() == ca
        for f in s.data_dir.iterdir():
            assert b"PRIVATE KEY" not in f.read_bytes(), f
    finally:
        s.stop()


def openssl_cert(directory, name):
    cert, key = directory / f"{name}.pem", directory / f"{name}-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "30", "-subj", f"/CN={name}",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def test_certificate_files_are_reloaded_on_sighup(workdir, tmp_path):
    cert, key = openssl_cert(tmp_path, "first")
    s = Server(workdir / "tls-files", extra_args=["--tls-cert", str(cert), "--tls-key", str(key)])
    s.endpoint = f"https://localhost:{s.port}"
    s.verify = str(cert)
    s.start()
    try:
        first = printed_fingerprint(s)
        assert served_fingerprint(s.port, str(cert)) == first
        assert s.aws("sts", "get-caller-identity")["Account"]

        # New files in place, then SIGHUP: new connections get the new certificate.
        new_cert, new_key = openssl_cert(tmp_path, "second")
        cert.write_bytes(new_cert.read_bytes())
        key.write_bytes(new_key.read_bytes())
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while served_fingerprint(s.port) == first and time.time() < deadline:
            time.sleep(0.1)
        second = served_fingerprint(s.port, str(cert))
        assert second != first
        assert "reloaded the TLS certificate" in s.log()
        # A broken file on reload keeps the certificate in use.
        key.write_text("not a key")
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "reloading the TLS certificate failed" not in s.log() and time.time() < deadline:
            time.sleep(0.1)
        assert "reloading the TLS certificate failed; the old one stays" in s.log()
        assert served_fingerprint(s.port, str(cert)) == second
        assert s.client("sts").get_caller_identity()["Account"]
    finally:
        s.stop()


def serve_once(tmp_path, *args):
    """Runs `spcred serve` expecting it to exit at once; returns (code, stderr)."""
    p = subprocess.run([BIN, "serve", "--data-dir", str(tmp_path / "d"), *args], capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stderr


def test_plain_http_beyond_loopback_is_refused_unless_insecure_http(tmp_path, workdir):
    port = free_port()
    code, err = serve_once(tmp_path, "--listen", f"0.0.0.0:{port}")
    assert code != 0
    assert f"refusing to serve plain HTTP on 0.0.0.0:{port}" in err and "--tls-self-signed" in err
    code, err = serve_once(tmp_path, "--tls-cert", str(tmp_path / "missing.pem"), "--tls-key", str(tmp_path / "k"))
    assert code != 0 and "missing.pem" in err
    code, err = serve_once(tmp_path, "--tls-cert", str(tmp_path / "missing.pem"))
    assert code != 0 and "--tls-key" in err

    # With --insecure-http it serves, and says so in its log.
    s = Server(workdir / "insecure")
    s.proc = subprocess.Popen([BIN, "serve", "--listen", f"0.0.0.0:{s.port}", "--data-dir", str(s.data_dir),
                               "--insecure-http"], stdout=subprocess.PIPE, stderr=open(s.log_path, "ab"))
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{s.port}/_spcred/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert "serving plain HTTP beyond loopback" in s.log()
    finally:
        s.stop()


def test_the_agent_serves_https_and_refuses_plain_http_beyond_loopback(fresh_server, request, tmp_path):
    from agentproc import Agent, blog_setup, env_without_spcred

    token = tmp_path / "token"
    token.write_text("s3cr3t-agent-token-0123456789\n")
    # A bearer token alone is not enough off loopback: it would cross the network in the clear.
    p = subprocess.run([BIN, "agent", "--listen", "0.0.0.0:0", "--auth-token-file", str(token)],
                       capture_output=True, text=True, env=env_without_spcred(), timeout=30)
    assert p.returncode != 0 and "needs HTTPS (--tls-cert and --tls-key)" in p.stderr

    server = fresh_server()
    blog_setup(server)
    cert, key = openssl_cert(tmp_path, "agent")
    agent = Agent(server, "--tls-cert", str(cert), "--tls-key", str(key), "--auth-token-file", str(token))
    agent.url = f"https://localhost:{agent.port}"
    agent.start(wait=False)
    request.addfinalizer(agent.stop)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if requests.get(f"{agent.url}/health", timeout=1, verify=str(cert)).ok:
                break
        except (requests.ConnectionError, OSError):
            time.sleep(0.1)
    token_headers = {"Authorization": "Bearer s3cr3t-agent-token-0123456789"}
    r = agent.get("/v1/token", headers=token_headers, verify=str(cert))
    assert r.status_code == 200 and r.json()["access_token"].startswith("Atza|")
    assert served_fingerprint(agent.port, str(cert)) == served_fingerprint(agent.port)
