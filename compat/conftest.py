"""Fixtures that run a real `spcred serve` and point real AWS clients at it.

Every test talks to the server over a socket, as a user would: the AWS CLI, boto3, curl and
requests. The server binary comes from SPCRED_BIN (set by scripts/test.sh).
"""
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import boto3
import botocore.config
import pytest
import requests

from sinks import HttpSink, SmtpSink

ROOT = Path(__file__).resolve().parent.parent
BIN = os.environ.get("SPCRED_BIN") or str(ROOT / "target" / "debug" / "spcred")
VENV_BIN = Path(os.environ.get("SPCRED_VENV_BIN", ROOT / ".venv" / "bin"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DATABASE_SERVER = os.environ.get("SPCRED_COMPAT_DATABASE_SERVER", "")


def new_database(server):
    """A new, empty database on the PostgreSQL server at `server`; returns its URL."""
    name = f"compat_{os.getpid()}_{next(_DATABASES)}"
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", server, "-c", f"CREATE DATABASE {name}"], check=True)
    return server.rsplit("/", 1)[0] + "/" + name


_DATABASES = itertools.count()

# For the tests that look inside the SQLite file of a data directory (PostgreSQL's side of the
# same guarantees is in test_multinode.py).
sqlite_only = pytest.mark.skipif(bool(DATABASE_SERVER), reason="looks inside the data directory's SQLite file")


class Server:
    """One `spcred serve --test-mode` process with its own data directory."""

    def __init__(self, data_dir, extra_args=(), env=None, database_url=None):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        # Under SPCRED_COMPAT_DATABASE_SERVER (a PostgreSQL server's URL), each server keeps its
        # store in a new database there instead of SQLite in its data directory.
        self.database_url = database_url or (new_database(DATABASE_SERVER) if DATABASE_SERVER else None)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        # What requests verifies HTTPS with (a CA file for a server under --tls-*).
        self.verify = True
        self.extra_args = list(extra_args)
        self.extra_env = dict(env or {})
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-server.log"
        self.proc = None
        self.stdout = ""

    def start(self):
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPCRED_")}
        env.update(self.extra_env)
        env.setdefault("RUST_LOG", "debug,sqlx=warn,hyper=info,h2=info")
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.data_dir), "--test-mode",
             *(["--database-url", self.database_url] if self.database_url else []), *self.extra_args],
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"spcred exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                if requests.get(f"{self.endpoint}/_spcred/health", timeout=1, verify=self.verify).ok:
                    break
            except (requests.ConnectionError, OSError):
                # Not listening yet (or, under TLS, its CA file not written yet).
                time.sleep(0.05)
        else:
            raise RuntimeError("spcred did not become healthy in 30 s")
        return self

    def read_stdout(self):
        """What the server printed at start (it prints a few lines, then only logs to stderr)."""
        import select

        out = b""
        while select.select([self.proc.stdout], [], [], 0.2)[0]:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
        self.stdout += out.decode()
        return self.stdout

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self, kill=True):
        self.kill9() if kill else self.stop()
        self.stdout = ""
        return self.start()

    def log(self):
        return self.log_path.read_text(errors="replace")

    # --- clients -------------------------------------------------------------------------

    @property
    def admin_token(self):
        return (self.data_dir / "admin-token").read_text().strip()

    def admin(self, method, path, **kw):
        headers = kw.pop("headers", {})
        headers["Authorization"] = f"Bearer {self.admin_token}"
        return requests.request(method, f"{self.endpoint}{path}", headers=headers, timeout=120, verify=self.verify, **kw)

    def advance(self, seconds=0, days=0):
        r = self.admin("POST", "/_spcred/clock", json={"advance_seconds": int(seconds + days * 86400)})
        r.raise_for_status()
        return r.json()

    def root_credentials(self):
        text = (self.data_dir / "credentials").read_text()
        values = dict(line.split(" = ", 1) for line in text.splitlines() if " = " in line)
        return values["aws_access_key_id"], values["aws_secret_access_key"]

    def cli_env(self, **extra):
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("AWS_"):
                del env[k]
        env.update(
            AWS_SHARED_CREDENTIALS_FILE=str(self.data_dir / "credentials"),
            AWS_CONFIG_FILE=str(self.data_dir / "config"),
            AWS_PROFILE="spcred",
            AWS_EC2_METADATA_DISABLED="true",
        )
        if self.verify is not True:
            env["AWS_CA_BUNDLE"] = str(self.verify)
        env.update(extra)
        return env

    def aws(self, *args, env=None, check=True, input=None):
        """Runs the AWS CLI against the server; returns parsed JSON output (or text)."""
        cmd = [str(VENV_BIN / "aws"), "--endpoint-url", self.endpoint, "--output", "json", *args]
        p = subprocess.run(cmd, capture_output=True, text=True, env=env or self.cli_env(), input=input, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
        if not check:
            return p
        return json.loads(p.stdout) if p.stdout.strip() else None

    def client(self, service, key_id=None, secret=None, token=None, region="us-east-1", **config):
        if key_id is None:
            key_id, secret = self.root_credentials()
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
            verify=None if self.verify is True else str(self.verify),
            config=botocore.config.Config(retries={"max_attempts": 1}, **config),
        )


@pytest.fixture(scope="session")
def workdir():
    d = tempfile.mkdtemp(prefix="spcred-compat-")
    yield Path(d)
    if not os.environ.get("SPCRED_KEEP_TEST_DATA"):
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def server(workdir):
    """A server shared by the tests that do not restart or break it."""
    s = Server(workdir / "shared").start()
    yield s
    s.stop()


@pytest.fixture
def fresh_server(workdir, request):
    """A server of this test's own, for tests that restart, kill or reconfigure it."""
    servers = []

    def make(extra_args=(), env=None):
        s = Server(workdir / f"{request.node.name}-{len(servers)}", extra_args, env).start()
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


def sign_and_send(server, body, *, service="sts", region="us-east-1", key_id=None, secret=None, token=None,
                  headers=None, when=None, method="POST", path="/", tamper=None):
    """Signs a request with botocore's own SigV4 signer (optionally at a given time) and sends it.

    `tamper(prepared_request)` may change the request after signing, as an attacker would.
    """
    import datetime
    from unittest import mock

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    if key_id is None:
        key_id, secret = server.root_credentials()
    hdrs = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    hdrs.update(headers or {})
    req = AWSRequest(method=method, url=f"{server.endpoint}{path}", data=body, headers=hdrs)
    signer = SigV4Auth(Credentials(key_id, secret, token), service, region)
    if when is None:
        signer.add_auth(req)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when.astimezone(datetime.timezone.utc).replace(tzinfo=None)):
            signer.add_auth(req)
    prepared = req.prepare()
    if tamper:
        tamper(prepared)
    return requests.request(prepared.method, prepared.url, headers=dict(prepared.headers), data=prepared.body, timeout=30)


def xml_error(response):
    """(Type, Code, Message, RequestId) of an awsQuery error response."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(response.content)
    ns = {"a": root.tag.split("}")[0][1:]} if root.tag.startswith("{") else {}

    def text(path):
        el = root.find("/".join(f"a:{p}" for p in path.split("/")), ns) if ns else root.find(path)
        return None if el is None else el.text
    assert root.tag.endswith("ErrorResponse"), response.text
    return text("Error/Type"), text("Error/Code"), text("Error/Message"), text("RequestId")


@pytest.fixture
def http_sink():
    """An HTTP endpoint that records what SNS and EventBridge send it."""
    sink = HttpSink()
    yield sink
    sink.close()


@pytest.fixture
def smtp_sink():
    """An SMTP server that keeps the mail spcred sends it."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def sms_sink():
    """An SMS provider's HTTP API, as a local sink."""
    sink = HttpSink()
    yield sink
    sink.close()
