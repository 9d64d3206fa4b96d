"""The SP-API sandbox, as a new user tries it: Developer Central with the CLI, the LWA token endpoint
with curl and requests, an SP-API call, an hour later, revocation, and /metrics."""
import json
import re
import subprocess

import requests

from spapi import MP, Sandbox, error


def curl(*args):
    p = subprocess.run(["curl", "-s", "-i", *args], capture_output=True, text=True, timeout=30)
    head, _, body = p.stdout.replace("\r\n", "\n").partition("\n\n")
    status = int(head.split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in head.splitlines()[1:])}
    return status, headers, body


def metric(server, name, **labels):
    text = requests.get(f"{server.endpoint}/metrics", timeout=10).text
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if m and ",".join(sorted(m.group(1).split(","))) == want:
            return float(m.group(2))
    return 0.0


def test_self_authorized_app_reads_participations_for_an_hour(fresh_server):
    server = fresh_server()
    sb = Sandbox(server)
    sb.developer()
    app = sb.app()
    assert app["status"] == "Draft"
    assert app["applicationId"].startswith("amzn1.sp.solution.")
    assert re.fullmatch(r"amzn1\.application-oa2-client\.[0-9a-f]{32}", app["lwaCredentials"]["clientId"])
    assert re.fullmatch(r"amzn1\.oa2-cs\.v1\.[0-9a-f]{64}", app["clientSecret"])
    seller = sb.seller()
    assert re.fullmatch(r"A[A-Z0-9]{13}", seller)
    refresh = sb.authorize(app["applicationId"], seller)
    assert refresh.startswith("Atzr|")
    client_id, secret = app["lwaCredentials"]["clientId"], app["clientSecret"]

    # The exchange with curl, as Amazon's docs show it.
    status, headers, body = curl(f"{server.endpoint}/auth/o2/token", "-d", "grant_type=refresh_token",
                                 "--data-urlencode", f"refresh_token={refresh}", "-d", f"client_id={client_id}",
                                 "-d", f"client_secret={secret}")
    assert status == 200, body
    assert headers["cache-control"] == "no-store"
    token = json.loads(body)
    assert token["token_type"] == "bearer" and token["expires_in"] == 3600
    assert token["access_token"].startswith("Atza|") and token["refresh_token"] == refresh

    status, headers, body = curl(f"{server.endpoint}{MP}", "-H", f"x-amz-access-token: {token['access_token']}")
    assert status == 200, body
    assert headers["x-amzn-ratelimit-limit"] == "0.016"
    assert re.fullmatch(r"[0-9a-f-]{36}", headers["x-amzn-requestid"])
    participation = json.loads(body)["payload"][0]
    assert participation["marketplace"] == {
        "id": "ATVPDKIKX0DER", "countryCode": "US", "name": "Amazon.com", "defaultCurrencyCode": "USD",
        "defaultLanguageCode": "en_US", "domainName": "www.amazon.com"}
    assert participation["participation"] == {"isParticipating": True, "hasSuspendedListings": False}

    server.advance(seconds=3600)
    r = sb.call("GET", MP, token["access_token"])
    assert r.status_code == 403
    assert error(r) == ("Unauthorized", "Access to requested resource is denied.",
                        "The access token you provided has expired.")
    fresh = sb.access_token(client_id, secret, refresh)
    assert sb.call("GET", MP, fresh).status_code == 200

    # The selling partner revokes: the refresh token and its access tokens stop.
    sb.cli("revoke", "--app", app["applicationId"], "--seller", seller)
    r = sb.call("GET", MP, fresh)
    assert r.status_code == 403 and "revoked" in error(r)[2]
    r = sb.token(grant_type="refresh_token", refresh_token=refresh, client_id=client_id, client_secret=secret)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    assert "User may have revoked" in r.json()["error_description"]


def test_lwa_errors_are_lwas(server):
    sb = Sandbox(server)
    app, client_id, secret, _seller, refresh, _access = sb.authorized()
    cases = [
        (dict(refresh_token=refresh), 400, "invalid_request", "The request is missing a required parameter : grant_type"),
        (dict(grant_type="password"), 400, "unsupported_grant_type",
         "The authorization grant type is not supported by the authorization server"),
        (dict(grant_type="refresh_token", refresh_token=refresh, client_id=client_id, client_secret="amzn1.oa2-cs.v1.x"),
         401, "invalid_client", "Client authentication failed"),
        (dict(grant_type="refresh_token", refresh_token="Atzr|forged", client_id=client_id, client_secret=secret),
         400, "invalid_grant", "The request has an invalid grant parameter : refresh_token"),
        (dict(grant_type="client_credentials", scope="profile", client_id=client_id, client_secret=secret),
         400, "invalid_scope", "An unknown scope was requested"),
        (dict(grant_type="authorization_code", code="NOPE", redirect_uri="https://app.example/callback",
              client_id=client_id, client_secret=secret), 400, "invalid_grant",
         "The request has an invalid grant parameter : code"),
    ]
    for form, status, code, description in cases:
        r = sb.token(**form)
        assert (r.status_code, r.json()) == (status, {"error": code, "error_description": description}), form
        assert r.headers["Cache-Control"] == "no-store"
    # A JSON body works as well as a form.
    r = requests.post(f"{server.endpoint}/auth/o2/token", json=dict(
        grant_type="client_credentials", scope="sellingpartnerapi::notifications", client_id=client_id,
        client_secret=secret), timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["access_token"].startswith("Atc|")
    assert r.json()["scope"] == "sellingpartnerapi::notifications"


def test_a_token_request_over_64_kib_is_413_and_its_body_is_not_read(server, tmp_path):
    big = tmp_path / "big-body"
    with open(big, "wb") as f:
        f.truncate(20 * 1024 * 1024)
    p = subprocess.run(["curl", "-sS", "-o", str(tmp_path / "answer"), "-w", "%{http_code} %{size_upload}",
                        "-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", f"@{big}",
                        f"{server.endpoint}/auth/o2/token"], capture_output=True, text=True, timeout=60)
    status, uploaded = p.stdout.split()
    assert status == "413", p.stderr
    # curl waits for "100 Continue" before a large body; the refusal comes first, so it sent none.
    assert int(uploaded) < 20 * 1024 * 1024
    assert json.loads((tmp_path / "answer").read_text()) == {
        "error": "invalid_request", "error_description": "The request body is larger than 64 KiB"}


def test_sp_api_refusals_say_why(server):
    sb = Sandbox(server)
    _app, client_id, secret, _seller, _refresh, access = sb.authorized(["Pricing"])
    r = sb.call("GET", MP, None)
    assert r.status_code == 403 and error(r)[0] == "Unauthorized"
    assert "x-amz-access-token" in error(r)[2]
    r = sb.call("GET", MP, "Atza|made-up")
    assert error(r)[2] == "The access token you provided is revoked, malformed or invalid."
    grantless = sb.grantless(client_id, secret, "sellingpartnerapi::notifications")
    r = sb.call("GET", MP, grantless)
    assert r.status_code == 403 and "grantless" in error(r)[2]
    r = sb.call("GET", "/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=2020-01-01", access)
    assert r.status_code == 403 and "Inventory and Order Tracking" in error(r)[2]
    assert r.headers["x-amzn-RequestId"]


def test_usage_plans_and_metrics(fresh_server):
    server = fresh_server()
    sb = Sandbox(server)
    _app, client_id, secret, _seller, refresh, access = sb.authorized()
    before_ok = metric(server, "spcred_lwa_token_requests_total", grant_type="refresh_token", outcome="success")
    before_bad = metric(server, "spcred_lwa_token_requests_total", grant_type="refresh_token", outcome="invalid_client")
    sb.access_token(client_id, secret, refresh)
    sb.token(grant_type="refresh_token", refresh_token=refresh, client_id=client_id, client_secret="wrong")
    assert metric(server, "spcred_lwa_token_requests_total", grant_type="refresh_token", outcome="success") == before_ok + 1
    assert metric(server, "spcred_lwa_token_requests_total", grant_type="refresh_token",
                  outcome="invalid_client") == before_bad + 1

    # getMarketplaceParticipations: burst 15, then 429 until the bucket refills (0.016/s).
    codes = [sb.call("GET", MP, access).status_code for _ in range(16)]
    assert codes == [200] * 15 + [429]
    r = sb.call("GET", MP, access)
    assert r.status_code == 429
    assert error(r) == ("QuotaExceeded", "You exceeded your quota for the requested resource.", "")
    assert r.headers["x-amzn-RateLimit-Limit"] == "0.016"
    assert metric(server, "spcred_spapi_requests_total", operation="getMarketplaceParticipations", status="200") == 15
    assert metric(server, "spcred_spapi_requests_total", operation="getMarketplaceParticipations", status="429") == 2
    server.advance(seconds=63)
    assert sb.call("GET", MP, access).status_code == 200

    # A selling partner with a larger usage plan.
    big = sb.seller("Big Store", rate_scale=100)
    app = sb.app()
    token = sb.access_token(app["lwaCredentials"]["clientId"], app["clientSecret"],
                            sb.authorize(app["applicationId"], big))
    r = sb.call("GET", MP, token)
    assert r.headers["x-amzn-RateLimit-Limit"] == "1.6"
    assert all(sb.call("GET", MP, token).status_code == 200 for _ in range(100))


def test_the_audit_log_records_sp_calls_without_secrets(server):
    sb = Sandbox(server)
    app, client_id, secret, seller, refresh, access = sb.authorized()
    sb.call("GET", MP, access)
    records = server.admin("GET", "/_spcred/audit", params={"operation": "getMarketplaceParticipations"}).json()["records"]
    mine = [r for r in records if r["principal_arn"] == f"{app['applicationId']}/{seller}"]
    assert mine and mine[-1]["service"] == "sellingpartnerapi" and mine[-1]["outcome"] == "Allowed"
    everything = server.admin("GET", "/_spcred/audit", params={"limit": 100000}).text + server.log()
    for s in (secret, refresh, access):
        assert s not in everything


def test_an_app_needs_a_role(server):
    sb = Sandbox(server)
    sb.developer()
    p = sb.cli("app", "create", "--name", "no-role", "--redirect-uri", "https://app.example/callback", check=False)
    assert p.returncode != 0
    assert "an app needs at least one role (roles), from those approved on the developer profile" in p.stderr
    r = server.admin("POST", "/_spcred/sp/apps", json={"name": "no-role", "roles": []})
    assert r.status_code == 400
    error = r.json()
    assert error["error"] == "InvalidRequest" and "at least one role" in error["message"], error
