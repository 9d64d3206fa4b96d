"""The website authorization workflow driven through its redirects with requests, as a browser and
the app's web server would, and the authorization code's single use within five minutes."""
import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from spapi import MP, Sandbox, publish


def query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def consent(server, app, state):
    """Seller Central's consent page -> the app's login URI -> back to Amazon -> the redirect URI."""
    base = server.endpoint
    page = requests.get(f"{base}/apps/authorize/consent", params={
        "application_id": app["applicationId"], "state": state, "version": "beta"}, timeout=30)
    assert page.status_code == 200, page.text
    assert "text/html" in page.headers["Content-Type"]
    assert html.escape(app["name"]) in page.text
    seller = re.search(r'name="selling_partner_id" value="([A-Z0-9]+)"', page.text).group(1)
    form = {"application_id": app["applicationId"], "state": state, "version": "beta",
            "selling_partner_id": seller, "decision": "confirm"}
    to_login = requests.post(f"{base}/apps/authorize/consent", data=form, allow_redirects=False, timeout=30)
    assert to_login.status_code == 302, to_login.text
    login = to_login.headers["Location"]
    assert login.startswith("https://app.example/login?")
    q = query(login)
    assert q["selling_partner_id"] == seller
    # The app's login page signs the seller in, then sends the browser back to Amazon.
    back = q["amazon_callback_uri"] + "?" + urlencode({
        "redirect_uri": "https://app.example/callback", "amazon_state": q["amazon_state"], "state": state})
    to_app = requests.get(back, allow_redirects=False, timeout=30)
    assert to_app.status_code == 302, to_app.text
    final = to_app.headers["Location"]
    assert final.startswith("https://app.example/callback?")
    q = query(final)
    assert q["state"] == state and q["selling_partner_id"] == seller
    assert re.fullmatch(r"[A-Z0-9]{20}", q["spapi_oauth_code"])
    # amazon_state is good for one trip.
    assert requests.get(back, allow_redirects=False, timeout=30).status_code == 400
    return q["spapi_oauth_code"], seller


def test_the_consent_flow_yields_a_code_that_becomes_a_refresh_token(fresh_server):
    server = fresh_server()
    sb = Sandbox(server)
    sb.developer()
    app = sb.app()
    sb.seller()
    client_id, secret = app["lwaCredentials"]["clientId"], app["clientSecret"]

    def exchange(code, redirect_uri="https://app.example/callback"):
        return sb.token(grant_type="authorization_code", code=code, redirect_uri=redirect_uri,
                        client_id=client_id, client_secret=secret)

    code, seller = consent(server, app, "state-1")
    r = exchange(code)
    assert r.status_code == 200, r.text
    refresh = r.json()["refresh_token"]
    assert refresh.startswith("Atzr|") and r.json()["access_token"].startswith("Atza|")
    access = sb.access_token(client_id, secret, refresh)
    assert sb.call("GET", MP, access).status_code == 200

    again = exchange(code)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "The request has an invalid grant parameter : code"}

    late, _ = consent(server, app, "state-2")
    server.advance(seconds=6 * 60)
    r = exchange(late)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"

    other, _ = consent(server, app, "state-3")
    r = exchange(other, redirect_uri="https://app.example/elsewhere")
    assert r.json()["error_description"] == "The request has an invalid grant parameter : redirect_uri"

    view = sb.cli("app", "show", "--app", app["applicationId"])
    assert {"sellingPartnerId": seller, "via": "oauth"}.items() <= view["authorizations"][0].items()


def test_consent_errors_carry_seller_centrals_codes(server, tmp_path):
    sb = Sandbox(server)
    sb.developer()
    app = sb.app()
    base = f"{server.endpoint}/apps/authorize/consent"
    r = requests.get(base, params={"application_id": app["applicationId"], "state": "s"}, timeout=30)
    assert r.status_code == 400 and "MD1000" in r.text
    r = requests.get(base, params={"application_id": app["applicationId"], "state": "s", "version": "beta",
                                   "redirect_uri": "https://evil.example/cb"}, timeout=30)
    assert r.status_code == 400 and "MD5101" in r.text
    r = requests.get(base, params={"application_id": "amzn1.sp.solution.nope", "state": "s"}, timeout=30)
    assert r.status_code == 400
    # Published apps (listed, and the listing approved) need no version=beta.
    publish(sb, app["applicationId"], tmp_path)
    r = requests.get(base, params={"application_id": app["applicationId"], "state": "s"}, timeout=30)
    assert r.status_code == 200, r.text
