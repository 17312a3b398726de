"""
The whole redirect dance in a real browser (Debian's chromium, headless, Playwright for Python, no
browser download): a small SPA page (tests/oidcspa/) on another origin, ``http://localhost:SPA_PORT``
(the issue's ``localhost:8081``, the tutorial clients' origin; another port here so as not to
collide with a development client), links to authsite's login; the real provider's login and
consent pages; the callback; the SPA reads the one-time code from the fragment, trades it for the
tokens (a CORS request) and calls ``/api/test/user``. Screenshots go to tests/output/browser/.
"""

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.oidcop import production_site

# The SPA's port: the one place it is set.
SPA_PORT = 19281
SPA = f"http://localhost:{SPA_PORT}"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parent / "output" / "browser"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def spa():
    handler = functools.partial(QuietHandler, directory=str(Path(__file__).resolve().parent / "oidcspa"))
    server = ThreadingHTTPServer(("127.0.0.1", SPA_PORT), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield SPA
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(spa):
    with production_site("localhost", SPA) as (api, _):
        yield api


def test_sign_in_with_oidc_from_an_spa_in_chromium(site, spa, capsys):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.goto(f"{spa}/index.html?api={site}")
            page.click("#signin")
            page.wait_for_selector("input[name=login]")
            page.fill("input[name=login]", "wendy")
            page.fill("input[name=password]", "any password")
            page.click("button[type=submit]")
            page.wait_for_selector("text=Continue")
            page.click("button[type=submit]")
            page.wait_for_function("document.getElementById('out').textContent !== 'working...'")
            page.screenshot(path=OUTPUT / "oidc-signed-in.png", full_page=True)
            assert page.text_content("#out") == "wendy@example.test ROLE_USER: User Content."
            assert page.url == f"{spa}/callback.html"  # the code left the address bar
            stored = page.evaluate("JSON.parse(localStorage.getItem('user'))")
            assert stored["tokenType"] == "Bearer" and stored["refreshToken"]
        finally:
            browser.close()
    with capsys.disabled():
        print("\nscreenshot:", OUTPUT / "oidc-signed-in.png")
