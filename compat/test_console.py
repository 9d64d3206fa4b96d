"""The web console in a real browser: Debian's Chromium driven by Selenium through
/usr/bin/chromedriver (nothing is downloaded or reported: SE_AVOID_STATS, no Selenium Manager).

A developer signs up, fills the developer profile, the operator approves it from the reviewer
queue in a second browser, the developer adds an app client, reveals its secret (which LWA then
accepts), edits the app's IAM ARN and rotates the secret; a second developer cannot reach the
first one's app; forms without the session's CSRF token, and signed-out posts, change nothing;
failed sign-ins are limited. Screenshots at 1280 and 390 pixels go to SPCRED_SCREENSHOTS (or the
test's work directory)."""
import os
import re
from pathlib import Path

import pytest
import requests

os.environ["SE_AVOID_STATS"] = "true"

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not (CHROMEDRIVER.exists() and CHROMIUM.exists()),
    reason="needs Debian's chromium and chromium-driver (scripts/test.sh installs them when run as root)",
)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def browsers(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opened = []

    def make(width=1280):
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    f"--window-size={width},900", "--no-first-run", "--disable-background-networking",
                    f"--user-data-dir={tmp_path / f'profile-{len(opened)}'}"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
        if width < 500:
            # Chrome's windows are at least 500 px wide; a phone's viewport is emulated.
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        driver.implicitly_wait(5)
        opened.append(driver)
        return driver

    yield make
    for d in opened:
        d.quit()


def shots_dir(workdir):
    d = Path(os.environ.get("SPCRED_SCREENSHOTS") or workdir / "screenshots")
    d.mkdir(parents=True, exist_ok=True)
    return d


def fill(driver, field_id, value):
    from selenium.webdriver.common.by import By
    el = driver.find_element(By.ID, field_id)
    el.clear()
    el.send_keys(value)


def gone(element):
    """A wait condition: `element`'s page has been replaced."""
    from selenium.common.exceptions import WebDriverException

    def check(_):
        try:
            element.is_enabled()
            return False
        except WebDriverException:
            return True
    return check


def press(driver, element):
    """Clicks `element`, which loads a page, and waits until the old page is gone."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 10).until(gone(old), "the click did not load a page")


def click(driver, element_id, navigates=True):
    """Clicks `element_id`; when that loads a page, waits until the old one is gone."""
    from selenium.webdriver.common.by import By
    if navigates:
        press(driver, driver.find_element(By.ID, element_id))
    else:
        driver.find_element(By.ID, element_id).click()


def check(driver, name, value):
    from selenium.webdriver.common.by import By
    box = driver.find_element(By.CSS_SELECTOR, f"input[name='{name}'][value='{value}']")
    if not box.is_selected():
        box.click()


def text(driver):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.TAG_NAME, "body").text


def sign_up(driver, base, email):
    driver.get(f"{base}/console/")
    assert driver.current_url.endswith("/console/signin"), "signed out, the console sends you to sign in"
    driver.get(f"{base}/console/signup")
    fill(driver, "email", email)
    fill(driver, "password", PASSWORD)
    fill(driver, "confirm", PASSWORD)
    click(driver, "signup")
    assert driver.current_url.endswith("/console/profile"), text(driver)


def no_horizontal_scroll(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def session_cookie(driver):
    return {"spcred_console": driver.get_cookie("spcred_console")["value"]}


def csrf_of(html):
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def operator_signs_in(op, server):
    op.get(f"{server.endpoint}/console/signin")
    fill(op, "admin_token", server.admin_token)
    click(op, "operator-signin")
    assert op.current_url.endswith("/console/reviews")


def approve(op, server, review_id, step):
    """The operator approves `step` of review `review_id` from its page."""
    from selenium.webdriver.common.by import By
    op.get(f"{server.endpoint}/console/reviews/{review_id}")
    click(op, f"approve-{step}")
    assert "That did not work" not in text(op) and not op.find_elements(By.CSS_SELECTOR, "p.error"), text(op)


def approved_developer_with_app(browsers, server, email):
    """A developer signed up, registered, approved by the operator, with one app: (browser, operator browser, app id)."""
    base = server.endpoint
    dev = browsers()
    sign_up(dev, base, email)
    fill(dev, "organization", "Acme Integrations")
    fill(dev, "contact_name", "Ana Silva")
    check(dev, "roles", "Pricing")
    click(dev, "register")
    op = browsers()
    operator_signs_in(op, server)
    from selenium.webdriver.common.by import By
    press(op, op.find_elements(By.CSS_SELECTOR, "#queue tbody tr a")[0])
    click(op, "approve-registration")
    dev.get(f"{base}/console/apps/new")
    fill(dev, "name", "Acme DP")
    check(dev, "roles", "Pricing")
    click(dev, "save-app")
    return dev, op, dev.current_url.rsplit("/", 1)[1]


def test_developer_central_in_a_browser(fresh_server, browsers, workdir):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    server = fresh_server()
    base = server.endpoint
    shots = shots_dir(workdir)
    ana = browsers()

    # Sign up, then the developer profile form, which Amazon reviews by hand.
    sign_up(ana, base, "Ana@Acme.example")
    cookie = ana.get_cookie("spcred_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert ana.find_element(By.ID, "contact_email").get_attribute("value") == "ana@acme.example"
    fill(ana, "organization", "Acme Integrations")
    fill(ana, "contact_name", "Ana Silva")
    check(ana, "roles", "Pricing")
    check(ana, "roles", "Inventory and Order Tracking")
    fill(ana, "description", "order sync for our ERP")
    ana.save_screenshot(str(shots / "profile-1280.png"))
    click(ana, "register")
    assert ana.find_element(By.ID, "profile-status").text == "UnderReview"
    ana.get(f"{base}/console/apps/new")
    assert "not approved yet" in text(ana)

    # The operator signs in with the admin token and approves it from the reviewer queue.
    op = browsers()
    operator_signs_in(op, server)
    rows = op.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
    assert len(rows) == 1 and "registration" in rows[0].text
    press(op, rows[0].find_element(By.TAG_NAME, "a"))
    assert "Acme Integrations" in text(op), "the reviewer sees the submission"
    click(op, "approve-registration")
    assert op.find_element(By.ID, "review-status").text == "Completed"
    op.get(f"{base}/console/apps")
    assert op.find_element(By.TAG_NAME, "h1").text == "Not a developer"

    # "Add new app client", then "View" under LWA credentials.
    ana.get(f"{base}/console/profile")
    assert ana.find_element(By.ID, "profile-status").text == "Approved"
    ana.get(f"{base}/console/apps")
    click(ana, "add-app")
    fill(ana, "name", "Acme ERP sync")
    check(ana, "roles", "Pricing")
    fill(ana, "redirect_uris", "https://app.acme.example/callback")
    click(ana, "save-app")
    app_url = ana.current_url
    app_id = app_url.rsplit("/", 1)[1]
    assert app_id.startswith("amzn1.sp.solution."), app_url
    client_id = ana.find_element(By.ID, "client-id").text
    assert client_id.startswith("amzn1.application-oa2-client.")
    assert "amzn1.oa2-cs.v1." not in ana.page_source, "the secret is shown only on an explicit action"
    click(ana, "view-secret", navigates=False)
    secret = WebDriverWait(ana, 10).until(ec.presence_of_element_located((By.ID, "client-secret"))).text
    assert secret.startswith("amzn1.oa2-cs.v1."), secret
    assert ana.current_url == app_url, "htmx swapped the secret in place"
    ana.save_screenshot(str(shots / "app-1280.png"))
    token = requests.post(f"{base}/auth/o2/token", data={
        "grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications",
        "client_id": client_id, "client_secret": secret}, timeout=30)
    assert token.status_code == 200, token.text

    # "Edit App": the IAM ARN, with the same check as the CLI.
    click(ana, "edit-app")
    fill(ana, "iam_arn", "arn:aws:iam::123456789012:group/nope")
    click(ana, "save-edit")
    assert "must name an IAM user or role" in text(ana)
    fill(ana, "iam_arn", "arn:aws:iam::123456789012:role/SellingPartnerAPIRole")
    click(ana, "save-edit")
    assert ana.find_element(By.ID, "iam-arn").text == "arn:aws:iam::123456789012:role/SellingPartnerAPIRole"

    # Rotation: a new secret, shown once, which LWA accepts; the old one keeps working.
    click(ana, "rotate")
    rotated = ana.find_element(By.ID, "client-secret").text
    assert rotated.startswith("amzn1.oa2-cs.v1.") and rotated != secret
    assert "keeps working for 7 days" in text(ana)
    for s in (rotated, secret):
        r = requests.post(f"{base}/auth/o2/token", data={
            "grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications",
            "client_id": client_id, "client_secret": s}, timeout=30)
        assert r.status_code == 200, r.text
    secrets_before = len(ana.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=lwa] tbody tr"))
    assert secrets_before == 2

    # A form without the session's CSRF token, and a signed-out post, change nothing.
    forged = requests.post(f"{app_url}/rotate", data={"csrf": "0" * 64}, cookies=session_cookie(ana),
                           allow_redirects=False, timeout=30)
    assert forged.status_code == 403 and "CSRF" in forged.text
    assert requests.post(f"{app_url}/rotate", timeout=30, allow_redirects=False).status_code == 403
    ana.get(app_url)
    assert len(ana.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=lwa] tbody tr")) == secrets_before

    # Narrow screens: nothing overflows sideways.
    narrow = browsers(width=390)
    narrow.get(f"{base}/console/signin")
    fill(narrow, "email", "ana@acme.example")
    fill(narrow, "password", PASSWORD)
    click(narrow, "signin")
    narrow.get(app_url)
    assert narrow.execute_script("return window.innerWidth") == 390
    assert no_horizontal_scroll(narrow)
    narrow.save_screenshot(str(shots / "app-390.png"))
    ana.get(app_url)
    assert no_horizontal_scroll(ana)

    # A second developer cannot see the first one's app, even by its URL.
    bob = browsers()
    sign_up(bob, base, "bob@other.example")
    bob.get(app_url)
    assert bob.find_element(By.TAG_NAME, "h1").text == "Not found" and client_id not in bob.page_source
    page = requests.get(app_url, cookies=session_cookie(bob), timeout=30)
    assert page.status_code == 404
    stolen = requests.post(f"{app_url}/reveal", data={"csrf": csrf_of(page.text)}, cookies=session_cookie(bob),
                           timeout=30)
    assert stolen.status_code == 404 and "amzn1.oa2-cs.v1." not in stolen.text

    # The operator's view of the platform: names, versions and depths, never a parameter's value.
    server.aws("ssm", "put-parameter", "--name", "/acme/lwa/client-secret", "--type", "SecureString",
               "--value", "s3cr3t-value-xyz", "--tier", "Advanced", "--policies",
               '[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-06-01T00:00:00.000Z"}}]')
    server.aws("sqs", "create-queue", "--queue-name", "rotation-notices")
    server.aws("iam", "create-policy", "--policy-name", "SellingPartnerAPI", "--policy-document",
               '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke",'
               '"Resource":"arn:aws:execute-api:*:*:*"}]}')
    op.get(f"{base}/console/platform")
    assert "/acme/lwa/client-secret" in text(op) and "rotation-notices" in text(op)
    assert "SellingPartnerAPI" in text(op)
    events = op.find_element(By.ID, "policy-event-list").text
    assert "2030-06-01T00:00:00Z" in events and "Expiration" in events, events
    assert "s3cr3t-value-xyz" not in op.page_source

    # Every action is in the audit log, which the operator filters.
    op.get(f"{base}/console/platform?operation=RevealClientSecret")
    audit = op.find_element(By.ID, "audit-log").text
    assert "console:developer/ana@acme.example" in audit and "bob@other.example" not in audit
    op.get(f"{base}/console/platform")
    platform = text(op)
    assert "ana@acme.example" in platform and "Acme Integrations" in platform
    op.save_screenshot(str(shots / "platform-1280.png"))
    records = server.admin("GET", "/_spcred/audit").json()
    ops = [(r["operation"], r["outcome"]) for r in records["records"] if r["service"] == "console"]
    for expected in [("SignUp", "Allowed"), ("RegisterDeveloper", "Allowed"), ("DecideReview", "Allowed"),
                     ("CreateApplication", "Allowed"), ("RevealClientSecret", "Allowed"),
                     ("UpdateApplication", "Error"), ("UpdateApplication", "Allowed"),
                     ("RotateClientSecret", "Allowed")]:
        assert expected in ops, (expected, ops)

    # Signing out ends the session on the server, not only in the browser.
    old = session_cookie(ana)
    ana.get(f"{base}/console/apps")
    press(ana, ana.find_element(By.CSS_SELECTOR, "form[action='/console/signout'] button"))
    assert ana.current_url.endswith("/console/signin")
    replay = requests.get(app_url, cookies=old, allow_redirects=False, timeout=30)
    assert replay.status_code == 303 and replay.headers["location"] == "/console/signin"


def test_sign_in_failures_are_limited(fresh_server):
    server = fresh_server()
    base = server.endpoint
    s = requests.Session()
    csrf = csrf_of(s.get(f"{base}/console/signup", timeout=30).text)
    made = s.post(f"{base}/console/signup", data={"csrf": csrf, "email": "carol@acme.example",
                                                   "password": PASSWORD, "confirm": PASSWORD}, timeout=30)
    assert made.url.endswith("/console/profile")

    fresh = requests.Session()
    csrf = csrf_of(fresh.get(f"{base}/console/signin", timeout=30).text)
    # Without the pre-session cookie the form is refused before any password is checked.
    assert requests.post(f"{base}/console/signin", data={"csrf": csrf, "email": "carol@acme.example",
                                                          "password": PASSWORD}, timeout=30).status_code == 403
    for _ in range(10):
        wrong = fresh.post(f"{base}/console/signin", data={"csrf": csrf, "email": "carol@acme.example",
                                                           "password": "not the password"}, timeout=30)
        assert wrong.status_code == 401 and "wrong" in wrong.text
    limited = fresh.post(f"{base}/console/signin", data={"csrf": csrf, "email": "carol@acme.example",
                                                         "password": PASSWORD}, timeout=30)
    assert limited.status_code == 429 and "Too many failed sign-ins" in limited.text
    # The limit is on the server clock: 15 minutes later the right password works again.
    server.advance(seconds=15 * 60 + 1)
    ok = fresh.post(f"{base}/console/signin", data={"csrf": csrf, "email": "carol@acme.example",
                                                    "password": PASSWORD}, timeout=30)
    assert ok.status_code == 200 and ok.url.endswith("/console/apps"), ok.text


def test_data_portability_workspace_and_tps_portal(fresh_server, browsers, workdir, tmp_path):
    """The Identity and Security Assessment end to end in the browser: documents, business
    information, identity verification, the privacy questionnaire, the TPS portal's security
    questionnaire with a finding remediated and resolved, a case message; Amazon's side from the
    operator's review page."""
    from selenium.webdriver.common.by import By
    from spapi import png

    server = fresh_server()
    base = server.endpoint
    ana, op, app_id = approved_developer_with_app(browsers, server, "ana@acme.example")

    ana.get(f"{base}/console/dp")
    check(ana, "categories", "2")
    click(ana, "open-request")
    request_url = ana.current_url
    request_id = request_url.rsplit("/", 1)[1]
    assert ana.find_element(By.ID, "request-status").text == "InProgress"
    steps = [r.get_attribute("data-step") for r in ana.find_elements(By.CSS_SELECTOR, "#steps tbody tr")]
    assert steps[:3] == ["business-license", "identity-verification", "privacy-review"] and "security-review" in steps

    files = {"license.pdf": b"%PDF-1.4 business license", "id.png": png(40, 30), "face.png": png(30, 30),
             "policy.txt": b"We encrypt with AES-256-GCM; keys in KMS."}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)

    def upload(kind, name):
        from selenium.webdriver.support.ui import Select
        Select(ana.find_element(By.ID, "kind")).select_by_value(kind)
        ana.find_element(By.ID, "file").send_keys(str(tmp_path / name))
        click(ana, "upload")
        assert "The document was uploaded." in text(ana), text(ana)

    def step_state(step):
        return ana.find_element(By.CSS_SELECTOR, f"#steps tr[data-step='{step}'] td:nth-child(2)").text

    # Stage one: the business license, then instant identity verification.
    upload("business-license", "license.pdf")
    fill(ana, "company_name", "Acme Integrations Ltd")
    fill(ana, "address", "1 Main St, Dublin")
    fill(ana, "representative", "Ana Silva")
    fill(ana, "rep_email", "ana@acme.example")
    click(ana, "submit-identity")
    assert "submitted for review" in text(ana), text(ana)
    approve(op, server, request_id, "business-license")
    ana.get(request_url)
    assert step_state("business-license") == "Approved"
    upload("photo-id", "id.png")
    upload("face-image", "face.png")
    click(ana, "submit-verification")
    approve(op, server, request_id, "identity-verification")

    # Stage two: the privacy questionnaire, whose questions follow the categories asked for.
    ana.get(request_url)
    questions = ana.find_elements(By.CSS_SELECTOR, "form[action$='/privacy'] textarea")
    assert any(q.get_attribute("name") == "q_purchaseDataUse" for q in questions), "category 2 asks more"
    for q in questions:
        q.send_keys("Answered in full.")
    click(ana, "submit-privacy")
    approve(op, server, request_id, "privacy-review")
    ana.get(request_url)
    assert ana.find_element(By.ID, "unlocked").text == "1"

    # Stage three, the TPS portal: questionnaire and evidence; a finding, remediated and resolved.
    upload("evidence", "policy.txt")
    for q in ana.find_elements(By.CSS_SELECTOR, "form[action$='/security'] textarea[name^='q_']"):
        q.send_keys("Documented in the attached policy.")
    click(ana, "submit-security")
    assert "submitted for review" in text(ana), text(ana)
    op.get(f"{base}/console/reviews/{request_id}")
    fill(op, "finding-title", "No MFA for admins")
    fill(op, "finding-detail", "Enforce MFA on every administrative account.")
    click(op, "issue-finding")
    ana.get(request_url)
    assert ana.find_element(By.CSS_SELECTOR, ".finding-status").text == "Open"
    ana.find_element(By.CSS_SELECTOR, "textarea[name=remediation]").send_keys("MFA is enforced since Monday.")
    press(ana, ana.find_element(By.CSS_SELECTOR, "button.remediate"))
    assert ana.find_element(By.CSS_SELECTOR, ".finding-status").text == "Remediated"
    op.get(f"{base}/console/reviews/{request_id}")
    press(op, op.find_element(By.CSS_SELECTOR, "button.resolve"))
    approve(op, server, request_id, "security-review")
    ana.get(request_url)
    assert ana.find_element(By.ID, "unlocked").text == "1, 2"

    # A case message reaches Amazon's side.
    fill(ana, "body", "When can we expect production access?")
    click(ana, "send-message")
    op.get(f"{base}/console/reviews/{request_id}")
    assert "When can we expect production access?" in text(op)
    ana.save_screenshot(str(shots_dir(workdir) / "dp-1280.png"))

    # Another developer cannot open the request, nor act on it.
    bob = browsers()
    sign_up(bob, base, "bob@other.example")
    bob.get(request_url)
    assert bob.find_element(By.TAG_NAME, "h1").text == "Not found"
    page = requests.get(f"{base}/console/dp", cookies=session_cookie(bob), timeout=30)
    assert request_id not in page.text
    withdrawn = requests.post(f"{request_url}/withdraw", data={"csrf": csrf_of(page.text)},
                              cookies=session_cookie(bob), timeout=30)
    assert withdrawn.status_code == 404
    ana.get(request_url)
    assert ana.find_element(By.ID, "request-status").text == "InProgress"

    # The operator sees the e-mails the review sent (the finding's notice among them) and their fate.
    op.get(f"{base}/console/platform")
    deliveries = op.find_element(By.ID, "delivery-list").text
    assert "email" in deliveries and "ana@acme.example" in deliveries, deliveries

    records = server.admin("GET", "/_spcred/audit").json()["records"]
    ops = {r["operation"] for r in records if r["service"] == "console"}
    assert {"CreateOnboardingRequest", "UploadDocument", "SubmitIdentity", "VerifyIdentity",
            "SubmitPrivacyQuestionnaire", "SubmitSecurityQuestionnaire", "IssueFinding", "RemediateFinding",
            "ResolveFinding", "ReplyToCase", "DecideReview"} <= ops, ops
