"""The review engine and Amazon Data Portability, as a team rehearses them: the developer
registration's review, the app listing, the Identity and Security Assessment through `spcred dp`,
Amazon's reviewer decisions, deadlines and SLAs on the virtual clock, and the Data Portability API
called with requests after a customer consents in the HTML flow."""
import html
import json
import re
import urllib.parse

import requests

from sinks import wait_for
from spapi import Sandbox, listing_args, png

MONDAY = "2027-03-01T09:00:00Z"
PDF = b"%PDF-1.7\n% business license of Acme GmbH\n"


def outbox(server, to=None):
    mail = server.admin("GET", "/_spcred/outbox").json()["messages"]
    return [m for m in mail if to is None or m["recipient"] == to]


def mail_to(server, to, containing):
    server.advance(0)
    return wait_for(lambda: [m for m in outbox(server, to) if containing in m["body"]], what=f"mail to {to}: {containing}")


def start(fresh_server, *args):
    server = fresh_server(list(args))
    server.admin("POST", "/_spcred/clock", json={"set": MONDAY}).raise_for_status()
    return server, Sandbox(server)


def step(view, name):
    return next(s for s in view["steps"] if s["step"] == name)


def test_developer_registration_is_reviewed_by_hand_and_apps_wait_for_it(fresh_server):
    server, sb = start(fresh_server)
    profile = sb.register()
    assert profile["status"] == "UnderReview"
    case = profile["registrationCaseId"]
    assert re.fullmatch(r"[1-9]\d{10}", case)
    # Until Amazon approves, Developer Central refuses new apps.
    p = sb.cli("app", "create", "--name", "early", "--role", "Pricing", check=False)
    assert p.returncode != 0 and "DeveloperNotApproved" in p.stderr and "UnderReview" in p.stderr
    view = sb.dp("request", "show", case)
    assert step(view, "registration")["state"] == "Submitted"
    assert step(view, "registration")["dueBy"].startswith("2027-03-03T09:00")  # started within 2 business days
    # Amazon asks for more; the developer is told in the workspace and by e-mail, and resubmits.
    sb.dp("review", case, "--step", "registration", "--decision", "request-info", "--message", "Describe the use case")
    assert sb.cli("developer", "show")["status"] == "InfoRequested"
    assert mail_to(server, "ana@acme.example", "Describe the use case")
    again = sb.register()
    assert again["registrationCaseId"] == case
    sb.dp("review", case, "--step", "registration", "--decision", "start")
    done = sb.dp("review", case, "--step", "registration", "--decision", "approve")
    assert done["status"] == "Completed"
    assert [h["action"] for h in done["history"]] == ["open", "submit", "request-info", "submit", "start", "approve"]
    assert sb.cli("developer", "show")["status"] == "Approved"
    assert sb.app()["status"] == "Draft"
    # Deciding twice is an illegal transition, refused with nothing changed.
    p = sb.dp("review", case, "--step", "registration", "--decision", "deny", "--message", "x", check=False)
    assert p.returncode != 0 and "IllegalTransition" in p.stderr


def test_an_app_listing_is_checked_submitted_and_publishes_the_app_when_approved(fresh_server, tmp_path):
    server, sb = start(fresh_server)
    sb.developer()
    app = sb.app()["applicationId"]
    # Images have size rules: a screenshot of the wrong size is refused with the rule.
    p = sb.cli(*listing_args(app, tmp_path, screenshot=(800, 600)), check=False)
    assert p.returncode != 0 and "800x600" in p.stderr and "1280 by 800" in p.stderr
    p = sb.cli(*listing_args(app, tmp_path, logo=(512, 300)), check=False)
    assert p.returncode != 0 and "square" in p.stderr
    bad = sb.cli("listing", "create", "--app", app, "--name", "x", "--short-description", "x", "--description", "x",
                 "--category", "Gardening", "--website", "https://a.example", "--support-email", "a@a.example",
                 "--feature", "f", check=False)
    assert bad.returncode != 0 and "Order Management" in bad.stderr
    view = sb.cli(*listing_args(app, tmp_path))
    assert [d["kind"] for d in view["documents"]] == ["logo", "screenshot"]
    assert step(view, "listing")["state"] == "Open"
    submitted = sb.cli("listing", "submit", "--app", app)
    # "A review of up to two weeks": 10 business days.
    assert step(submitted, "listing")["dueBy"].startswith("2027-03-15T09:00")
    assert sb.cli("app", "show", "--app", app)["status"] == "Draft"
    sb.dp("review", submitted["id"], "--step", "listing", "--decision", "approve")
    assert sb.cli("app", "show", "--app", app)["status"] == "Published"
    assert sb.cli("listing", "show", "--app", app)["status"] == "Completed"


def upload(server, case, kind, body, name="file"):
    return server.admin("POST", f"/_spcred/sp/reviews/{case}/documents", params={"kind": kind, "fileName": name}, data=body)


def identity(sb, case, tmp_path):
    (tmp_path / "license.pdf").write_bytes(PDF)
    return sb.dp("identity", "submit", case, "--company-name", "Acme GmbH", "--address", "Hauptstr. 1, 10115 Berlin",
                 "--representative", "Ana Silva", "--email", "compliance@acme.example",
                 "--license-file", str(tmp_path / "license.pdf"))


def through_stage_two(server, sb, tmp_path, categories="1,2"):
    sb.developer()
    app = sb.app()
    case = sb.dp("request", "create", "--app", app["applicationId"], "--categories", categories)["id"]
    identity(sb, case, tmp_path)
    sb.dp("review", case, "--step", "business-license", "--decision", "approve")
    (tmp_path / "id.png").write_bytes(png(40, 30))
    (tmp_path / "face.png").write_bytes(png(30, 30))
    sb.dp("identity", "verify", case, "--photo-id-file", str(tmp_path / "id.png"), "--face-image-file", str(tmp_path / "face.png"))
    sb.dp("review", case, "--step", "identity-verification", "--decision", "approve")
    questions = sb.dp("privacy", "questions", "--categories", categories)["questions"]
    (tmp_path / "privacy.json").write_text(json.dumps({q["id"]: "Answered in full." for q in questions}))
    sb.dp("privacy", "submit", case, "--answers-file", str(tmp_path / "privacy.json"))
    sb.dp("review", case, "--step", "privacy-review", "--decision", "approve")
    return app, case


def consent(server, app, customer, scopes):
    """The customer's LWA consent in HTML: sign in as `customer`, tick `scopes`, authorize; returns the code."""
    params = {"client_id": app["lwaCredentials"]["clientId"], "scope": " ".join(scopes), "response_type": "code",
              "redirect_uri": "https://app.example/callback", "state": "xyz"}
    page = requests.get(f"{server.endpoint}/ap/oa", params=params, timeout=30)
    assert page.status_code == 200 and customer in page.text
    boxes = re.findall(r'<input type="checkbox" name="grant" value="([^"]+)">', page.text)
    assert sorted(html.unescape(b) for b in boxes) == sorted(scopes)  # voluntary: none ticked
    form = {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text)}
    form.update({"customer_id": customer, "decision": "allow"})
    r = requests.post(f"{server.endpoint}/ap/oa", data=list(form.items()) + [("grant", s) for s in scopes],
                      allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text
    q = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["Location"]).query)
    assert q["state"] == ["xyz"] and q["scope"] == [" ".join(scopes)]
    return q["code"][0]


def test_the_whole_assessment_from_request_to_production_access_and_the_api(fresh_server, tmp_path):
    server, sb = start(fresh_server)
    app, case = through_stage_two(server, sb, tmp_path)
    view = sb.dp("request", "show", case)
    assert view["unlockedCategories"] == [1] and step(view, "sandbox-access")["state"] == "Open"
    # Data handling changed: a new privacy submission reopens that review.
    reopened = sb.dp("privacy", "submit", case, "--answers-file", str(tmp_path / "privacy.json"))
    assert step(reopened, "privacy-review")["state"] == "Submitted"
    sb.dp("review", case, "--step", "privacy-review", "--decision", "approve")
    assert step(view, "security-review")["state"] == "Open"
    # The identity verification invitation went out by e-mail.
    assert mail_to(server, "compliance@acme.example", "Instant identity verification")
    customers = [sb.dp("customer", "create", "--name", f"Customer {i}", "--email", f"c{i}@example.com",
                       "--query-seconds", "60")["customerId"] for i in range(6)]
    assert all(re.fullmatch(r"amzn1\.account\.[A-Z2-7]{28}", c) for c in customers)
    # A sixth customer is refused with a clear error.
    p = sb.dp("sandbox", case, *[a for c in customers for a in ("--customer", c)], check=False)
    assert p.returncode != 0 and "limited to 5" in p.stderr
    sb.dp("sandbox", case, "--customer", customers[0])
    granted = sb.dp("review", case, "--step", "sandbox-access", "--decision", "approve")
    assert granted["sandboxAccess"] is True and granted["productionAccess"] is False

    # The customer consents in HTML; the code is exchanged at LWA like any authorization code.
    code = consent(server, app, customers[0], ["portability::physical_orders", "portability::customer_profile"])
    tokens = sb.token(grant_type="authorization_code", code=code, redirect_uri="https://app.example/callback",
                      client_id=app["lwaCredentials"]["clientId"], client_secret=app["clientSecret"]).json()
    assert tokens["refresh_token"].startswith("Atzr|") and "portability::physical_orders" in tokens["scope"]
    auth = {"authorization": f"Bearer {tokens['access_token']}"}
    base = f"{server.endpoint}/portability-physical-orders/data-queries"
    r = requests.post(base, headers=auth, timeout=30)
    assert r.status_code == 201, r.text
    query = r.json()["id"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", query)
    # 1 request per second: an immediate second one is throttled.
    r = requests.post(base, headers=auth, timeout=30)
    assert r.status_code == 429 and r.json()["category"] == "THROTTLED"
    server.advance(2)
    # Within five minutes the same request gets the same response.
    assert requests.post(base, headers=auth, timeout=30).json() == {"id": query}
    r = requests.get(f"{base}/{query}/records", headers=auth, timeout=30)
    assert r.status_code == 409 and r.json()["type"] == "REQUEST_CONFLICT"
    server.advance(60)
    pages, token = [], None
    while True:
        params = {"maxResults": 1} | ({"nextPageToken": token} if token else {})
        body = requests.get(f"{base}/{query}/records", headers=auth, params=params, timeout=30).json()
        pages += body["records"]
        token = body.get("nextPageToken")
        if not token:
            break
    assert len(pages) >= 3
    data = requests.get(pages[0]["file"], timeout=30).json()
    assert data["customerId"] == customers[0] and data["data"][0]["orderId"]
    assert requests.get(pages[0]["schema"], timeout=30).json()["properties"]["scope"]["const"] == "portability::physical_orders"
    assert requests.get(pages[0]["file"].replace("signature=", "signature=0"), timeout=30).status_code == 403
    bad = requests.get(f"{base}/{query}/records", headers=auth, params={"maxResults": 251}, timeout=30)
    assert bad.status_code == 400 and set(bad.json()) == {"category", "type", "message"}
    # A scope the customer did not grant, a missing token, and a customer outside the sandbox list.
    r = requests.post(f"{server.endpoint}/portability-addresses/data-queries", headers=auth, timeout=30)
    assert r.status_code == 403 and r.json()["type"] == "SCOPE_NOT_AUTHORIZED"
    assert requests.post(base, timeout=30).status_code == 401
    outsider = sb.dp("authorize", "--app", app["applicationId"], "--customer", customers[1],
                     "--scope", "portability::physical_orders")["refreshToken"]
    other = sb.access_token(app["lwaCredentials"]["clientId"], app["clientSecret"], outsider)
    r = requests.post(base, headers={"authorization": f"Bearer {other}"}, timeout=30)
    assert r.status_code == 403 and r.json()["type"] == "CUSTOMER_NOT_ALLOWED"
    # Such a token is not a selling partner's: SP-API refuses it.
    assert sb.call("GET", "/sellers/v1/marketplaceParticipations", other).status_code == 403

    # Stage three in the TPS portal: questionnaire, evidence, collaborators, findings.
    (tmp_path / "evidence.txt").write_text("TLS 1.2+ everywhere; AES-256 at rest.")
    security = {q["id"]: "Documented." for q in sb.dp("security", "questions", "--categories", "1,2")["questions"]}
    (tmp_path / "security.json").write_text(json.dumps(security))
    sb.dp("security", "submit", case, "--answers-file", str(tmp_path / "security.json"),
          "--evidence-file", str(tmp_path / "evidence.txt"), "--follow-up", "Pen test report on request")
    sb.dp("security", "invite", case, "--email", "cto@acme.example")
    assert mail_to(server, "cto@acme.example", "TPS portal")
    finding = sb.dp("finding", "issue", case, "--title", "No MFA", "--detail", "Enable MFA for admins",
                    "--severity", "High")["findings"][0]["findingId"]
    p = sb.dp("review", case, "--step", "security-review", "--decision", "approve", check=False)
    assert p.returncode != 0 and "not resolved" in p.stderr
    assert step(sb.dp("request", "show", case), "security-review")["state"] == "Submitted"
    # A failed review tells the developer why; remediating and submitting again appeals it.
    sb.dp("review", case, "--step", "security-review", "--decision", "deny", "--message", "MFA is missing for admins")
    assert mail_to(server, "compliance@acme.example", "MFA is missing for admins")
    sb.dp("finding", "remediate", case, "--finding", finding, "--remediation", "MFA enforced via SSO")
    sb.dp("finding", "resolve", case, "--finding", finding)
    appealed = sb.dp("security", "submit", case, "--answers-file", str(tmp_path / "security.json"))
    s = step(appealed, "security-review")
    assert s["state"] == "InReview" and s["dueBy"].startswith("2027-03-04T09:01")  # 3 business days
    done = sb.dp("review", case, "--step", "security-review", "--decision", "approve")
    assert done["unlockedCategories"] == [1, 2]
    sb.dp("production", case)
    final = sb.dp("review", case, "--step", "production-access", "--decision", "approve")
    assert final["status"] == "Completed" and final["productionAccess"] is True
    server.advance(400)
    assert requests.post(base, headers={"authorization": f"Bearer {other}"}, timeout=30).status_code == 201


def test_documents_are_checked_sealed_and_deleted_on_withdrawal(fresh_server, tmp_path):
    server, sb = start(fresh_server)
    sb.developer()
    case = sb.dp("request", "create", "--app", sb.app()["applicationId"], "--categories", "1")["id"]
    assert "security-review" not in [s["step"] for s in sb.dp("request", "show", case)["steps"]]
    r = upload(server, case, "business-license", b"MZ\x90\x00binary")
    assert r.status_code == 400 and "application/pdf" in r.json()["message"]
    r = upload(server, case, "business-license", b"%PDF-" + b"0" * (10 * 1024 * 1024))
    assert r.status_code == 413 and r.json()["error"] == "PayloadTooLarge"
    identity(sb, case, tmp_path)
    # Sealed at rest: the license's bytes are nowhere in the store's files.
    assert not any(PDF in f.read_bytes() for f in server.data_dir.glob("*.db*"))
    doc = sb.dp("request", "show", case)["documents"][0]
    assert server.admin("GET", f"/_spcred/sp/reviews/{case}/documents/{doc['documentId']}").content == PDF
    sb.dp("request", "reply", case, "--message", "When will you start?")
    asked = sb.dp("request", "reply", case, "--thread", "consultation", "--message", "Which TLS versions pass?")
    assert asked["messages"][-1]["answerDueBy"].startswith("2027-03-04")  # TPS consultations: 3 business days
    answered = sb.dp("answer", case, "--thread", "consultation", "--message", "TLS 1.2 and 1.3")
    thread = [m for m in answered["messages"] if m["thread"] == "consultation"]
    assert thread[0]["answeredAt"] and thread[1]["author"] == "amazon"
    assert [m for m in answered["messages"] if m["thread"] == "case"][0]["answerDueBy"].startswith("2027-03-08")
    assert mail_to(server, "compliance@acme.example", "TLS 1.2 and 1.3")
    r = server.admin("POST", f"/_spcred/sp/reviews/{case}/documents", data=b"%PDF-1.7")
    assert r.status_code == 400 and r.json()["error"] == "InvalidRequest"
    view = sb.dp("request", "withdraw", case, "--reason", "changed plans")
    assert view["status"] == "Withdrawn" and view["documents"] == []
    p = sb.dp("identity", "submit", case, "--company-name", "x", "--address", "x", "--representative", "x",
              "--email", "x@x.example", "--license-file", str(tmp_path / "license.pdf"), check=False)
    assert p.returncode != 0 and "Withdrawn" in p.stderr


def test_a_denied_party_is_refused_without_the_reason(fresh_server, tmp_path):
    server, sb = start(fresh_server)
    sb.developer()
    case = sb.dp("request", "create", "--app", sb.app()["applicationId"], "--categories", "1")["id"]
    identity(sb, case, tmp_path)
    view = sb.dp("review", case, "--step", "business-license", "--decision", "deny", "--message", "listed on OFAC SDN")
    assert view["status"] == "Denied"
    shown = [step(view, "business-license")["message"]] + [h["message"] for h in view["history"]]
    assert "We are unable to proceed with your onboarding request." in shown
    assert not any("OFAC" in (m or "") for m in shown)
    assert not any("OFAC" in m["body"] for m in outbox(server))


def test_unanswered_requests_close_after_ten_business_days_and_missed_slas_are_counted(fresh_server, tmp_path):
    # Wednesday 2027-03-03 is a holiday on this server's calendar.
    server, sb = start(fresh_server, "--sp-holidays", "2027-03-03")
    sb.developer()
    case = sb.dp("request", "create", "--app", sb.app()["applicationId"], "--categories", "1")["id"]
    submitted = identity(sb, case, tmp_path)
    assert step(submitted, "business-license")["dueBy"].startswith("2027-03-04T09:00")  # skips the holiday
    server.advance(days=4)  # Friday: Amazon's start is overdue
    wait_for(lambda: step(sb.dp("request", "show", case), "business-license")["breached"], what="the breach")
    metrics = requests.get(f"{server.endpoint}/metrics", timeout=30).text
    assert re.search(r'spcred_review_sla_breaches_total\{kind="onboarding"\} [1-9]', metrics), metrics
    queue = sb.dp("queue")["queue"]
    assert queue[0]["id"] == case and queue[0]["breached"] is True
    view = sb.dp("review", case, "--step", "business-license", "--decision", "request-info", "--message", "Upload a newer license")
    assert step(view, "business-license")["owner"] == "developer"
    server.advance(days=9)  # 6 business days (one holiday already behind): still open
    assert sb.dp("request", "show", case)["status"] == "InProgress"
    server.advance(days=6)
    closed = wait_for(lambda: (v := sb.dp("request", "show", case))["status"] == "Closed" and v, what="the closure")
    assert closed["documents"] == []
    assert mail_to(server, "compliance@acme.example", "is closed")
