"""Helpers for the SP-API sandbox tests: Developer Central through the `spcred sp` CLI, LWA and
SP-API calls with `requests`, exactly as an app written against Amazon would make them."""
import json
import os
import subprocess

import requests

from conftest import BIN

ROLES = ["Inventory and Order Tracking", "Direct-to-Consumer Shipping", "Pricing"]
MP = "/sellers/v1/marketplaceParticipations"


class Sandbox:
    def __init__(self, server):
        self.server = server
        self.base = server.endpoint

    # --- Developer Central, through the CLI ---------------------------------------------

    def cli(self, *args, check=True, group="sp"):
        """Runs `spcred sp ...` (or `spcred dp ...` with group="dp"); returns parsed --json output, or the
        CompletedProcess when check=False."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPCRED_")}
        env["SPCRED_ENDPOINT"] = self.base
        cmd = [BIN, group, *args, "--data-dir", str(self.server.data_dir)]
        p = subprocess.run(cmd + ["--json"], capture_output=True, text=True, env=env, timeout=60)
        if not check:
            return p
        assert p.returncode == 0, f"spcred {group} {' '.join(args)} failed: {p.stderr}"
        return json.loads(p.stdout)

    def dp(self, *args, check=True):
        return self.cli(*args, check=check, group="dp")

    def register(self, roles=ROLES):
        """Submits the developer registration (Amazon reviews it); returns the profile."""
        role_args = [a for r in roles for a in ("--role", r)]
        return self.cli("developer", "register", "--organization", "Acme Integrations", "--contact-name", "Ana Silva",
                        "--contact-email", "ana@acme.example", "--data-access", "public", *role_args,
                        "--use-case", "order sync", "--incident-response-policy", "notify within 24 hours")

    def developer(self, roles=ROLES):
        """Registers and has Amazon's side approve the registration, as the guides' later steps assume."""
        case = self.register(roles)["registrationCaseId"]
        review = self.dp("review", case, "--step", "registration", "--decision", "approve")
        assert review["status"] == "Completed", review
        return self.cli("developer", "show")

    def app(self, roles=ROLES, name=None, iam_arn=None, redirect="https://app.example/callback",
            login="https://app.example/login"):
        args = ["app", "create", "--name", name or f"app-{os.urandom(4).hex()}", "--redirect-uri", redirect,
                "--login-uri", login]
        args += [a for r in roles for a in ("--role", r)]
        if iam_arn:
            args += ["--iam-arn", iam_arn]
        return self.cli(*args)

    def seller(self, name="Demo Store", rate_scale=None):
        args = ["seller", "create", "--name", name]
        if rate_scale:
            args += ["--rate-scale", str(rate_scale)]
        return self.cli(*args)["sellingPartnerId"]

    def authorize(self, app_id, seller):
        return self.cli("authorize", "--app", app_id, "--seller", seller)["refreshToken"]

    def order_ids(self, seller):
        return self.server.admin("GET", f"/_spcred/sp/sellers/{seller}").json()["orderIds"]

    # --- LWA and SP-API, with requests ---------------------------------------------------

    def token(self, **form):
        return requests.post(f"{self.base}/auth/o2/token", data=form, timeout=30)

    def access_token(self, client_id, secret, refresh):
        r = self.token(grant_type="refresh_token", refresh_token=refresh, client_id=client_id, client_secret=secret)
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def grantless(self, client_id, secret, scope):
        r = self.token(grant_type="client_credentials", scope=scope, client_id=client_id, client_secret=secret)
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def call(self, method, path, token, **kw):
        headers = kw.pop("headers", {})
        if token is not None:
            headers["x-amz-access-token"] = token
        return requests.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kw)

    def authorized(self, roles=ROLES):
        """Developer, app, seller, self-authorization, access token."""
        self.developer()
        app = self.app(roles)
        seller = self.seller()
        refresh = self.authorize(app["applicationId"], seller)
        client_id, secret = app["lwaCredentials"]["clientId"], app["clientSecret"]
        return app, client_id, secret, seller, refresh, self.access_token(client_id, secret, refresh)


def error(response):
    """(code, message, details) of an SP-API error response."""
    e = response.json()["errors"][0]
    return e["code"], e["message"], e.get("details", "")


def png(width, height):
    """A valid PNG image of `width` x `height` pixels (grey)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def listing_args(app_id, tmp_path, logo=(512, 512), screenshot=(1280, 800)):
    """`spcred sp listing create` arguments with a logo and a screenshot written to `tmp_path`."""
    (tmp_path / "logo.png").write_bytes(png(*logo))
    (tmp_path / "shot.png").write_bytes(png(*screenshot))
    return ["listing", "create", "--app", app_id, "--name", "Acme Order Sync",
            "--short-description", "Syncs Amazon orders into your ERP", "--description", "Order sync, every 5 minutes.",
            "--category", "Order Management", "--website", "https://acme.example", "--support-email", "help@acme.example",
            "--feature", "Order import", "--feature", "Shipment confirmation",
            "--logo", str(tmp_path / "logo.png"), "--screenshot", str(tmp_path / "shot.png")]


def publish(sb, app_id, tmp_path):
    """Lists the app and has Amazon's side approve the listing: the app is Published."""
    sb.cli(*listing_args(app_id, tmp_path))
    case = sb.cli("listing", "submit", "--app", app_id)["id"]
    done = sb.dp("review", case, "--step", "listing", "--decision", "approve")
    assert done["status"] == "Completed", done
