"""
Passkeys in a real browser: Debian's chromium, headless, driven by Playwright for Python (no
browser download), with the DevTools protocol's virtual authenticator (``WebAuthn.*``: CTAP2,
internal transport, resident keys, user verification) against the production server
(server.py) on a fixed origin its relying-party settings allow (WebAuthn needs a host name, not an
IP: http://localhost:19381, a port no other test uses).

- authsite's page /account/passkeys/: sign in with the password, add, rename, delete passkeys,
  sign out, sign in with a passkey alone;
- the API from a page on that origin (fetch + navigator.credentials): register, sign in;
- a cloned credential (``WebAuthn.getCredentials`` → ``WebAuthn.addCredential`` into a second
  authenticator with a lower signCount) is refused, and logged; the genuine one still works;
- a passkey as the second factor of a password sign-in (an account with TOTP, turned on with
  pyotp's codes): through the API from a page on the origin, and through authsite's page.

Screenshots go to tests/output/browser/ (named in the output).
"""

import json
import os
from pathlib import Path

import pyotp
import pytest

from accounts.messages import PASSKEY_SIGNIN_FAILED, SECOND_FACTOR_REQUIRED
from tests.servers import ProductionServer

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parent / "output" / "browser"
PORT = 19381
ORIGIN = f"http://localhost:{PORT}"
PASSWORD = "browser pass 123"
AUTHENTICATOR = {
    "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
    "isUserVerified": True, "automaticPresenceSimulation": True,
}


def serve(port, **env):
    """server.py on http://localhost:``port``, the relying party's only origin, with four users signed up."""
    origin = f"http://localhost:{port}"
    server = ProductionServer(env={"PASSKEY_RP_ID": "localhost", "PASSKEY_ORIGINS": origin,
                                   "SITE_NAME": "authsite browser test", **env})
    server.port, server.base = port, origin  # fixed: the origin is part of the RP configuration
    with server:
        for name in ("alice", "bob", "carol", "dave"):
            status, _, body = server.request(
                "POST", "/api/auth/signup",
                json.dumps({"username": name, "email": f"{name}@example.com", "password": PASSWORD}),
                {"content-type": "application/json"},
            )
            assert status == 200, body
        yield server


@pytest.fixture(scope="module")
def site():
    yield from serve(PORT)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        # localhost → 127.0.0.1, where server.py listens (not ::1).
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--host-resolver-rules=MAP localhost 127.0.0.1"],
        )
        try:
            yield browser
        finally:
            browser.close()


def with_authenticator(browser):
    """A page with a CDP session and a virtual platform authenticator: ``(page, cdp, authenticator id)``."""
    page = browser.new_page()
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})["authenticatorId"]
    return page, cdp, authenticator


def shoot(page, shots, name):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shots.append(OUTPUT / name)
    page.screenshot(path=shots[-1], full_page=True)


def status_is(page, text):
    page.wait_for_function("t => document.getElementById('status').textContent === t", arg=text, timeout=15000)


def test_passkeys_through_authsites_page(site, browser, capsys):
    page, cdp, authenticator = with_authenticator(browser)
    shots = []
    page.goto(site.base + "/account/passkeys/")
    assert page.get_by_role("heading", level=1).inner_text() == "Passkeys"
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in with password").click()
    status_is(page, "Signed in with your password.")
    assert page.locator("#passkeys").inner_text() == "No passkeys yet."

    page.get_by_label("Name of the new passkey").fill("laptop")
    page.get_by_role("button", name="Add a passkey").click()
    status_is(page, "Passkey \u201claptop\u201d added.")
    page.wait_for_selector("input[aria-label^='Name of passkey']")
    assert page.locator("input[aria-label^='Name of passkey']").input_value() == "laptop"
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert credential["isResidentCredential"] and credential["rpId"] == "localhost"
    shoot(page, shots, "passkeys-1-added.png")

    page.locator("input[aria-label^='Name of passkey']").fill("work laptop")
    page.get_by_role("button", name="Rename").click()
    status_is(page, "Renamed.")
    assert page.locator("input[aria-label^='Name of passkey']").input_value() == "work laptop"

    page.get_by_role("button", name="Sign out").click()
    status_is(page, "Signed out.")
    page.get_by_role("button", name="Sign in with a passkey").click()
    status_is(page, "Signed in with a passkey.")
    assert page.locator("#who").inner_text() == "alice"
    assert "used " in page.locator("#passkeys").inner_text()
    shoot(page, shots, "passkeys-2-signed-in-with-passkey.png")

    # A second passkey (another authenticator), then delete it.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    page.get_by_label("Name of the new passkey").fill("phone")
    page.get_by_role("button", name="Add a passkey").click()
    status_is(page, "Passkey \u201cphone\u201d added.")
    page.get_by_role("button", name="Delete phone").click()
    status_is(page, "Passkey deleted.")
    assert [page.locator("input[aria-label^='Name of passkey']").input_value()] == ["work laptop"]
    shoot(page, shots, "passkeys-3-deleted.png")
    with capsys.disabled():
        print("\nscreenshots:", *(str(shot) for shot in shots), sep="\n  ")


API_REGISTER = """async (password) => {
  const json = (r) => r.json().then((body) => ({status: r.status, body}));
  const post = (path, body, token) => fetch("/api/auth" + path, {method: "POST",
      headers: {"content-type": "application/json", ...(token ? {"x-access-token": token} : {})},
      body: JSON.stringify(body || {})}).then(json);
  const signin = await post("/signin", {username: "bob", password});
  const token = signin.body.accessToken;
  const options = (await post("/passkeys/register/begin", {}, token)).body;
  const credential = await navigator.credentials.create(
      {publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)});
  return post("/passkeys/register/complete", {credential: credential.toJSON(), name: "bob's key"}, token);
}"""

API_REGISTER_AS = """async ([username, password]) => {
  const json = (r) => r.json().then((body) => ({status: r.status, body}));
  const post = (path, body, token) => fetch("/api/auth" + path, {method: "POST",
      headers: {"content-type": "application/json", ...(token ? {"x-access-token": token} : {})},
      body: JSON.stringify(body || {})}).then(json);
  const token = (await post("/signin", {username, password})).body.accessToken;
  const options = (await post("/passkeys/register/begin", {}, token)).body;
  const credential = await navigator.credentials.create(
      {publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)});
  const registered = await post("/passkeys/register/complete", {credential: credential.toJSON()}, token);
  return {token, registered};
}"""

API_PASSWORD_THEN_PASSKEY = """async ([username, password]) => {
  const json = (r) => r.json().then((body) => ({status: r.status, body}));
  const post = (path, body) => fetch("/api/auth" + path, {method: "POST",
      headers: {"content-type": "application/json"}, body: JSON.stringify(body || {})}).then(json);
  const first = await post("/signin", {username, password});
  const mfaToken = first.body.mfaToken;
  const options = (await post("/passkeys/signin/begin", {mfaToken})).body;
  const credential = await navigator.credentials.get(
      {publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
  const second = await post("/signin/mfa", {mfaToken, credential: credential.toJSON()});
  return {first, options, second};
}"""

API_SIGNIN = """async () => {
  const json = (r) => r.json().then((body) => ({status: r.status, body}));
  const post = (path, body) => fetch("/api/auth" + path, {method: "POST",
      headers: {"content-type": "application/json"}, body: JSON.stringify(body || {})}).then(json);
  const options = (await post("/passkeys/signin/begin")).body;
  const credential = await navigator.credentials.get(
      {publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
  return post("/passkeys/signin/complete", {credential: credential.toJSON()});
}"""


def test_passkeys_through_the_api_and_a_clone_refused(site, browser):
    page, cdp, authenticator = with_authenticator(browser)
    page.goto(ORIGIN + "/api/test/all")  # any page of the allowed origin
    registered = page.evaluate(API_REGISTER, PASSWORD)
    assert registered["status"] == 200, registered
    assert registered["body"]["name"] == "bob's key"

    for _ in range(2):
        signed_in = page.evaluate(API_SIGNIN)
        assert signed_in["status"] == 200, signed_in
        assert signed_in["body"]["username"] == "bob" and signed_in["body"]["accessToken"]
    [genuine] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert genuine["signCount"] >= 2

    # The clone: the same key and id in another authenticator, its counter behind.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    clone = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})["authenticatorId"]
    cdp.send("WebAuthn.addCredential", {"authenticatorId": clone, "credential": {**genuine, "signCount": 0}})
    refused = page.evaluate(API_SIGNIN)
    assert refused == {"status": 401, "body": {"accessToken": None, "message": PASSKEY_SIGNIN_FAILED}}
    assert '"event": "passkey_clone_suspected"' in site.log()
    assert '"reason": "sign_count"' in site.log()

    # The genuine authenticator, with its own counter, goes on signing in.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": clone})
    restored = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})["authenticatorId"]
    cdp.send("WebAuthn.addCredential", {"authenticatorId": restored, "credential": genuine})
    assert page.evaluate(API_SIGNIN)["status"] == 200


def test_the_page_in_cookie_mode(browser):
    """With AUTH_COOKIES=on the page gets no tokens, only the HttpOnly cookies, and works the same."""
    port = PORT + 2  # 19383: its own origin, while the module's server holds 19381
    origin = f"http://localhost:{port}"
    for server in serve(port, AUTH_COOKIES="on", CORS_ALLOWED_ORIGINS=origin):
        page, cdp, authenticator = with_authenticator(browser)
        page.goto(origin + "/account/passkeys/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in with password").click()
        status_is(page, "Signed in with your password.")
        page.get_by_role("button", name="Add a passkey").click()
        status_is(page, "Passkey \u201cPasskey\u201d added.")
        page.get_by_role("button", name="Sign out").click()
        status_is(page, "Signed out.")
        page.get_by_role("button", name="Sign in with a passkey").click()
        status_is(page, "Signed in with a passkey.")
        assert page.evaluate("accessToken") is None and page.evaluate("document.cookie") == ""
        names = {cookie["name"] for cookie in page.context.cookies() if cookie["httpOnly"]}
        assert {"authsite-access", "authsite-refresh"} <= names


def turn_totp_on(server, token):
    """TOTP on for the token's user, through the API, with pyotp's code for the secret authsite made."""
    headers = {"content-type": "application/json", "x-access-token": token}
    status, _, body = server.request("POST", "/api/auth/mfa/totp/setup", "{}", headers)
    assert status == 200, body
    code = pyotp.TOTP(json.loads(body)["secret"]).now()
    status, _, body = server.request("POST", "/api/auth/mfa/totp/confirm", json.dumps({"code": code}), headers)
    assert status == 200, body


def passkey_and_totp(site, page, username):
    """``username`` gets a passkey (in the page's virtual authenticator) and then TOTP: its credential id."""
    page.goto(site.base + "/api/test/all")  # any page of the allowed origin
    made = page.evaluate(API_REGISTER_AS, [username, PASSWORD])
    assert made["registered"]["status"] == 200, made
    turn_totp_on(site, made["token"])
    return made["registered"]["body"]["id"]


def test_a_passkey_as_the_second_factor_through_the_api(site, browser):
    page, cdp, authenticator = with_authenticator(browser)
    passkey_and_totp(site, page, "carol")
    [stored] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    result = page.evaluate(API_PASSWORD_THEN_PASSKEY, ["carol", PASSWORD])
    assert result["first"]["status"] == 401
    assert result["first"]["body"]["message"] == SECOND_FACTOR_REQUIRED
    assert result["first"]["body"]["methods"] == ["totp", "recovery_code", "passkey"]
    # The options name carol's passkey only (base64url of the id the authenticator holds).
    allowed = [c["id"] for c in result["options"]["allowCredentials"]]
    assert allowed == [stored["credentialId"].replace("+", "-").replace("/", "_").rstrip("=")]
    assert result["second"]["status"] == 200, result
    assert result["second"]["body"]["username"] == "carol" and result["second"]["body"]["accessToken"]
    assert '"step": "mfa"' in site.log()


def test_the_page_completes_a_password_sign_in_with_a_passkey(site, browser, capsys):
    page, cdp, authenticator = with_authenticator(browser)
    passkey_and_totp(site, page, "dave")
    page.goto(site.base + "/account/passkeys/")
    page.get_by_label("Username").fill("dave")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in with password").click()
    status_is(page, "Signed in with your password and a passkey.")
    assert page.locator("#who").inner_text() == "dave"
    assert "used " in page.locator("#passkeys").inner_text()  # the second step used it
    shots = []
    shoot(page, shots, "passkeys-4-password-then-passkey.png")
    with capsys.disabled():
        print("\nscreenshot:", shots[0])
