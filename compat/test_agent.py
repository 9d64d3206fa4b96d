"""`spcred agent` as a new user meets it: the blog's parameters in SSM, the agent beside the app,
and an app that knows only the agent's URL. Against `spcred serve --test-mode` and its SP-API sandbox."""
import threading
import time

import requests

from agentproc import PREFIX, SECRET_PARAM, blog_setup, put, sp_metric, start_agent
from spapi import MP, error

ORDERS = "/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=2020-01-01T00:00:00Z"


def test_an_app_that_knows_only_the_agent_lists_orders_and_reads_an_address(fresh_server, request):
    server = fresh_server()
    sb, app, (seller,) = blog_setup(server)
    agent = start_agent(request.addfinalizer, server, "--app-name", "Acme ERP", "--app-version", "3.1",
                        "--default-seller", seller)

    r = agent.get(f"/sp/na{ORDERS}")
    assert r.status_code == 200, r.text
    orders = r.json()["payload"]["Orders"]
    assert orders and "Name" not in orders[0].get("ShippingAddress", {})
    assert r.headers["x-amzn-RateLimit-Limit"]
    order = orders[0]["AmazonOrderId"]

    r = agent.get(f"/sp/na/orders/v0/orders/{order}/address")
    assert r.status_code == 200, r.text
    assert r.json()["payload"]["AmazonOrderId"] == order
    assert r.json()["payload"]["ShippingAddress"]["Name"]

    # PII in getOrders on request: the agent makes the RDT with those data elements.
    r = agent.get(f"/sp/na{ORDERS}", headers={"x-spcred-data-elements": "shippingAddress"})
    assert r.status_code == 200, r.text
    assert r.json()["payload"]["Orders"][0]["ShippingAddress"]["Name"]
    r = agent.get(f"/sp/na{ORDERS}", headers={"x-spcred-data-elements": "creditCard"})
    assert r.status_code == 400 and error(r)[0] == "InvalidInput"

    # The token API: a token that works at SP-API directly, a grantless one, and an RDT.
    t = agent.get("/v1/token", params={"selling_partner_id": seller})
    assert t.status_code == 200 and set(t.json()) == {"access_token", "token_type", "expires_in", "expires_at"}
    assert 3000 < t.json()["expires_in"] <= 3600
    assert sb.call("GET", MP, t.json()["access_token"]).status_code == 200
    assert agent.get("/v1/token").json()["access_token"] == t.json()["access_token"]
    g = agent.get("/v1/token", params={"scope": "sellingpartnerapi::notifications"})
    assert sb.call("GET", "/notifications/v1/destinations", g.json()["access_token"]).status_code == 200
    assert agent.get("/sp/na/notifications/v1/destinations").status_code == 200
    bad = agent.get("/v1/token", params={"scope": "sellingpartnerapi::everything"})
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidInput"
    rdt = agent.request("POST", "/v1/rdt", json={"restrictedResources": [
        {"method": "GET", "path": f"/orders/v0/orders/{order}/address"}]})
    assert rdt.status_code == 200, rdt.text
    assert sb.call("GET", f"/orders/v0/orders/{order}/address", rdt.json()["restrictedDataToken"]).status_code == 200
    again = agent.request("POST", "/v1/rdt", json={"restrictedResources": [
        {"method": "GET", "path": f"/orders/v0/orders/{order}/address"}]})
    assert again.json()["restrictedDataToken"] == rdt.json()["restrictedDataToken"]

    assert agent.get("/sp/xx/orders/v0/orders").status_code == 400
    assert agent.get(f"/sp/na{MP}", headers={"x-amzn-selling-partner-id": "NOPE"}).json()["errors"][0]["code"] \
        == "UnknownSellingPartner"

    # Amazon's user-agent reached the sandbox; no token or secret in the agent's log.
    health = agent.get("/health").json()
    assert health["status"] == "ok" and health["credentials"]["clientSecretVersion"] == 1
    metrics = agent.get("/metrics").text
    assert 'spcred_agent_proxied_calls_total{operation="getOrderAddress",status="200"} 1' in metrics
    assert 'spcred_agent_lwa_exchanges_total{grant_type="refresh_token",outcome="success"} 1' in metrics
    log = agent.log()
    for secret in (app["clientSecret"], t.json()["access_token"], rdt.json()["restrictedDataToken"]):
        assert secret not in log


def test_a_thousand_concurrent_calls_on_a_just_expired_token_make_one_exchange(fresh_server, request):
    server = fresh_server()
    _, _, (seller,) = blog_setup(server, rate_scale=100000)
    agent = start_agent(request.addfinalizer, server)
    assert agent.get(f"/sp/na{MP}").status_code == 200
    server.advance(seconds=3601)  # the sandbox's token expired; the agent finds out from SP-API
    before = sp_metric(server)

    clients = [requests.Session() for _ in range(50)]
    start = threading.Barrier(1000)
    statuses = []

    def call(i):
        session = clients[i % 50]
        start.wait()
        statuses.append(session.get(f"{agent.url}/sp/na{MP}", headers={"x-amzn-selling-partner-id": seller},
                                    timeout=120).status_code)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(1000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(200) == 1000, {s: statuses.count(s) for s in set(statuses)}
    assert sp_metric(server) - before == 1
    assert agent.metric("spcred_agent_lwa_exchanges_total", grant_type="refresh_token") == 2


def test_a_rotated_secret_is_picked_up_without_a_restart(fresh_server, request):
    server = fresh_server()
    sb, app, _ = blog_setup(server)
    agent = start_agent(request.addfinalizer, server)
    assert agent.get(f"/sp/na{MP}").status_code == 200

    rotated = sb.cli("app", "rotate", "--app", app["applicationId"])
    server.advance(days=8)  # the old secret died, and with it every token
    r = agent.get(f"/sp/na{MP}")
    assert r.status_code == 503, r.text
    code, message, _ = error(r)
    assert code == "ClientSecretRejected"
    assert f"{SECRET_PARAM} version 1" in message and "invalid_client" in message
    assert agent.get("/health").status_code == 503

    put(server, SECRET_PARAM, rotated["clientSecret"])
    deadline = time.time() + 10
    while agent.get("/health").json()["credentials"]["clientSecretVersion"] != 2:
        assert time.time() < deadline, "the agent did not see the new version"
        time.sleep(0.2)
    r = agent.get(f"/sp/na{MP}")
    assert r.status_code == 200, r.text
    assert agent.get("/health").json()["status"] == "ok"
    assert rotated["clientSecret"] not in agent.log() and app["clientSecret"] not in agent.log()


def test_a_revoked_seller_gets_a_clear_error_while_the_others_keep_working(fresh_server, request):
    server = fresh_server()
    sb, app, (a, b) = blog_setup(server, sellers=2)
    agent = start_agent(request.addfinalizer, server)
    for seller in (a, b):
        assert agent.get(f"/sp/na{MP}", headers={"x-amzn-selling-partner-id": seller}).status_code == 200

    sb.cli("revoke", "--app", app["applicationId"], "--seller", a)
    r = agent.get(f"/sp/na{MP}", headers={"x-amzn-selling-partner-id": a})
    assert r.status_code == 403, r.text
    code, message, _ = error(r)
    assert code == "SellerAuthorizationRevoked"
    assert f"selling partner {a} revoked" in message and f"{PREFIX}/sellers/{a}/refreshToken" in message
    t = agent.get("/v1/token", params={"selling_partner_id": a})
    assert t.status_code == 403 and t.json()["error"] == "SellerAuthorizationRevoked"
    assert agent.get(f"/sp/na{MP}", headers={"x-amzn-selling-partner-id": b}).status_code == 200
    assert agent.get("/health").json()["credentials"]["revokedSellers"] == [a]

    # The seller authorizes again; the new refresh token lifts the mark without a restart.
    put(server, f"{PREFIX}/sellers/{a}/refreshToken", sb.authorize(app["applicationId"], a))
    deadline = time.time() + 10
    while agent.get("/health").json()["credentials"]["revokedSellers"]:
        assert time.time() < deadline
        time.sleep(0.2)
    assert agent.get(f"/sp/na{MP}", headers={"x-amzn-selling-partner-id": a}).status_code == 200


def test_a_burst_above_the_rate_is_absorbed(fresh_server, request):
    server = fresh_server()
    _, _, (seller,) = blog_setup(server)
    agent = start_agent(request.addfinalizer, server)
    # getOrder: 0.5 requests a second, burst 30. Forty calls at once: 30 now, 10 at 2 s intervals.
    order = agent.get(f"/sp/na{ORDERS}").json()["payload"]["Orders"][0]["AmazonOrderId"]
    statuses = []

    def call():
        statuses.append(agent.get(f"/sp/na/orders/v0/orders/{order}", timeout=120).status_code)

    started = time.time()
    threads = [threading.Thread(target=call) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    assert statuses == [200] * 40, statuses
    assert 15 <= elapsed <= 40, elapsed
    assert agent.metric("spcred_agent_proxied_calls_total", operation="getOrder", status="429") == 0


def test_off_loopback_the_agent_requires_a_bearer_token(fresh_server, request, tmp_path):
    server = fresh_server()
    blog_setup(server)
    import subprocess

    from agentproc import env_without_spcred
    from conftest import BIN
    p = subprocess.run([BIN, "agent", "--listen", "0.0.0.0:0"], capture_output=True, text=True,
                       env=env_without_spcred(), timeout=30)
    assert p.returncode != 0 and "needs a bearer token" in p.stderr
    token = tmp_path / "token"
    token.write_text("s3cr3t-agent-token-0123456789\n")
    agent = start_agent(request.addfinalizer, server, "--auth-token-file", str(token))
    assert agent.get(f"/sp/na{MP}").status_code == 401
    assert agent.get("/v1/token").status_code == 401
    assert agent.get("/health").status_code == 200
    ok = agent.get(f"/sp/na{MP}", headers={"Authorization": "Bearer s3cr3t-agent-token-0123456789"})
    assert ok.status_code == 200, ok.text
