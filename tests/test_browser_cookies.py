"""
Cookie mode in a real browser: Debian's chromium, headless, driven by Playwright for Python (no
browser download), against the production server (server.py, DJANGO_DEBUG=0: Secure cookies,
which Chromium keeps for http://localhost). The client page (tests/browser_pages/cookie_client.html)
does what the tutorial's Angular cookie clients do: absolute URLs, credentials on every request,
no token header.

- From http://localhost:8081 (the allowed origin, same site as the API on localhost): sign up, sign
  in, boards by role, refresh after the access cookie expired, sign out, and the old cookies,
  put back, no longer work (401 / 403: the session was revoked, not only the cookies dropped).
- From http://127.0.0.1:8081 (another site): CORS refuses to let it read or preflight anything,
  and SameSite keeps the cookies off its form posts: the session survives.
- From http://localhost:<other port> (same site, not allowed): the cookies do ride along on a form
  post, and the origin check answers 403; the session survives.
- From the allowed origin, a text/plain POST with the cookies is refused (JSON only).
- The docs page (Swagger UI, the API's own origin) reads a board and signs out with the cookies.
"""

import functools
import json
import os
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.servers import ProductionServer, free_port

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PAGES = Path(__file__).resolve().parent / "browser_pages"
APP_PORT = 8081  # where the tutorial's clients run: the allowed origin is http://localhost:8081
ACCESS_LIFETIME = 6
PASSWORD = "cookie pass 1234"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def static_pages():
    """The test pages on 127.0.0.1:8081 (reached as localhost:8081 and 127.0.0.1:8081) and on a
    second, free port (reached as localhost:<port>: same site, an origin not allowed)."""
    servers = []
    for port in (APP_PORT, free_port()):
        server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=str(PAGES)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield servers[1].server_address[1]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


def open_client(context, origin, api):
    page = context.new_page()
    page.goto(f"{origin}/cookie_client.html?api={api}")
    return page


def call(page, method, path, body=None, content_type="application/json"):
    return page.evaluate("([m, p, b, t]) => call(m, p, b === null ? undefined : b, t)",
                         [method, path, body, content_type])


def site_cookies(context):
    """The API's cookies in the browser (the docs page adds Django's csrftoken: not ours)."""
    return {cookie["name"]: cookie for cookie in context.cookies()
            if cookie["domain"] == "localhost" and cookie["name"].startswith("authsite-")}


@pytest.mark.parametrize("mode", ["on", "both"])
def test_a_cookie_client_in_chromium(chromium, static_pages, mode):
    env = {"AUTH_COOKIES": mode, "CORS_ALLOWED_ORIGINS": f"http://localhost:{APP_PORT}",
           "JWT_ACCESS_TOKEN_LIFETIME": str(ACCESS_LIFETIME)}
    with ProductionServer(env=env) as server:
        api = f"http://localhost:{server.port}"
        context = chromium.new_context()
        try:
            page = open_client(context, f"http://localhost:{APP_PORT}", api)
            signed_up = call(page, "POST", "/api/auth/signup",
                             {"username": "alice", "email": "alice@example.com", "password": PASSWORD})
            assert signed_up == {"status": 200, "body": '{"message":"User registered successfully!"}'}

            signed_in = page.evaluate("([u, p]) => signin(u, p)", ["alice", PASSWORD])
            assert signed_in["status"] == 200, signed_in
            body = json.loads(signed_in["body"])
            assert body["username"] == "alice" and body["roles"] == ["ROLE_USER"]
            assert ("accessToken" in body) is (mode == "both")
            assert page.evaluate("document.cookie") == ""  # HttpOnly: no script reads them
            assert json.loads(page.evaluate("sessionStorage.getItem('auth-user')"))["id"] == body["id"]
            cookies = site_cookies(context)
            assert set(cookies) == {"authsite-access", "authsite-refresh"}
            for cookie in cookies.values():
                assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
            assert cookies["authsite-access"]["path"] == "/api"
            assert cookies["authsite-refresh"]["path"] == "/api/auth"

            # Boards by role: roles are read on every request.
            assert call(page, "GET", "/api/test/user") == {"status": 200, "body": "User Content."}
            assert call(page, "GET", "/api/test/mod")["status"] == 403
            server.manage("roles", "grant", "alice", "moderator")
            assert call(page, "GET", "/api/test/mod") == {"status": 200, "body": "Moderator Content."}
            assert call(page, "GET", "/api/test/admin") == {
                "status": 403, "body": '{"message":"Require Admin Role!"}'}

            # The access cookie expires with its token; the refresh cookie brings a new one.
            time.sleep(ACCESS_LIFETIME + 0.5)
            assert "authsite-access" not in site_cookies(context)
            assert call(page, "GET", "/api/test/user") == {
                "status": 403, "body": '{"message":"No token provided!"}'}
            refreshed = call(page, "POST", "/api/auth/refreshtoken", {})
            assert refreshed["status"] == 200, refreshed
            assert ("accessToken" in json.loads(refreshed["body"])) is (mode == "both")
            assert call(page, "GET", "/api/test/user") == {"status": 200, "body": "User Content."}

            # Sign out: both cookies dropped, and the server session revoked.
            saved = context.cookies()
            assert call(page, "POST", "/api/auth/signout", {}) == {
                "status": 200, "body": '{"message":"You\'ve been signed out!"}'}
            assert site_cookies(context) == {}
            assert call(page, "GET", "/api/test/user")["status"] == 403
            context.add_cookies(saved)  # a copy of the old cookies, replayed
            assert call(page, "GET", "/api/test/user") == {"status": 401, "body": '{"message":"Unauthorized!"}'}
            assert call(page, "POST", "/api/auth/refreshtoken", {}) == {
                "status": 403, "body": '{"message":"Refresh token is not in database!"}'}
            context.clear_cookies()

            # A fresh session, then other origins try to act with it.
            assert call(page, "POST", "/api/auth/signin", {"username": "alice", "password": PASSWORD})["status"] == 200

            other_site = open_client(context, f"http://127.0.0.1:{APP_PORT}", api)
            assert "error" in call(other_site, "GET", "/api/test/user")  # CORS: unreadable
            assert "error" in call(other_site, "POST", "/api/auth/signout", {})  # preflight refused
            assert other_site.evaluate("blindPost('/api/auth/signout')") == "sent"
            with other_site.expect_navigation():
                other_site.evaluate("submitForm('/api/auth/signout')")
            assert "signed out" not in other_site.content()  # no cookie came along: nothing to end

            same_site = open_client(context, f"http://localhost:{static_pages}", api)
            assert "error" in call(same_site, "GET", "/api/test/user")
            assert same_site.evaluate("blindPost('/api/auth/signout')") == "sent"
            with same_site.expect_navigation():
                same_site.evaluate("submitForm('/api/auth/signout')")
            assert '{"message":"Origin not allowed!"}' in same_site.content()  # the cookies came; refused

            # The allowed origin itself, but not JSON: refused.
            assert call(page, "POST", "/api/auth/signout", "{}", "text/plain") == {
                "status": 403, "body": '{"message":"Content-Type must be application/json!"}'}

            # Through all of that the session lived on.
            assert call(page, "GET", "/api/test/user") == {"status": 200, "body": "User Content."}
            assert set(site_cookies(context)) == {"authsite-access", "authsite-refresh"}

            # The docs (Swagger UI, on the API's own origin) use the cookie: reading, and signing out.
            docs = context.new_page()
            docs.goto(f"{api}/api/docs")
            assert docs.title() == "authsite API"
            own_origin = """async ([method, path]) => {
                const init = {method, headers: {"Content-Type": "application/json"}};
                if (method === "POST") init.body = "{}";
                const response = await fetch(path, init);
                return {status: response.status, body: await response.text()};
            }"""
            assert docs.evaluate(own_origin, ["GET", "/api/test/user"]) == {"status": 200, "body": "User Content."}
            assert docs.evaluate(own_origin, ["POST", "/api/auth/signout"])["status"] == 200
            assert site_cookies(context) == {}
        finally:
            context.close()
