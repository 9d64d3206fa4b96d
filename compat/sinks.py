"""Local sinks the delivery tests run: an SMTP server (aiosmtpd) and an HTTP server that records
what it receives, plus an ordinary SNS message verifier (openssl does the RSA)."""
import base64
import email
import email.policy
import json
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import requests
from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=15, what="the condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class SmtpSink:
    """An SMTP server on a fixed port that keeps every message it accepts; it can be stopped and
    started again on the same port (a mail server that goes down)."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append({"to": list(envelope.rcpt_tos), "from": envelope.mail_from, "message": message})
        return "250 Message accepted for delivery"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def bodies(self):
        return [m["message"].get_content().replace("\r\n", "\n") for m in self.messages]


class HttpSink:
    """An HTTP server that records each request and answers with `status` (settable)."""

    def __init__(self):
        self.requests = []
        self.status = 200
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                sink.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                self.send_response(sink.status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def json_bodies(self):
        return [json.loads(r["body"]) for r in self.requests]

    def forms(self):
        return [{k: v[0] for k, v in parse_qs(r["body"]).items()} for r in self.requests]


def string_to_sign(message):
    """SNS's documented string to sign."""
    if message["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{k}\n{message[k]}\n" for k in keys if k in message)


def verify_sns_message(message, trusted_cert_pem=None):
    """Verifies an SNS message as SNS's verifiers do: fetch the certificate at SigningCertURL
    (which must be the certificate we trust, when given) and check the RSA signature (SHA1 for
    SignatureVersion 1, SHA256 for 2) over the string to sign."""
    cert = requests.get(message["SigningCertURL"], timeout=10)
    assert cert.status_code == 200, cert.text
    if trusted_cert_pem is not None:
        assert cert.text == trusted_cert_pem
    digest = {"1": "-sha1", "2": "-sha256"}[message["SignatureVersion"]]
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "cert.pem").write_text(cert.text)
        pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", d / "cert.pem"], capture_output=True, check=True)
        (d / "pub.pem").write_bytes(pub.stdout)
        (d / "sig").write_bytes(base64.b64decode(message["Signature"]))
        (d / "data").write_text(string_to_sign(message))
        p = subprocess.run(
            ["openssl", "dgst", digest, "-verify", d / "pub.pem", "-signature", d / "sig", d / "data"],
            capture_output=True,
            text=True,
        )
        return p.returncode == 0 and "Verified OK" in p.stdout
