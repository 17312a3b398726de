"""
The whole recovery in a real browser (Debian's chromium, headless, driven by Playwright for
Python; no browser download) against the production server (server.py) and the mail worker:
forgot → the mail arrives at the SMTP server → open its link → authsite's page → new password →
sign in through the API with it. Screenshots go to tests/output/browser/ (named in the output).
"""

import os
import subprocess
import time
from pathlib import Path

import pytest

from bench.harness import PYTHON, ROOT, Server
from tests.servers import free_port

from .conftest import SMTPFixture, link_in

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parent / "output" / "browser"
OLD_PASSWORD, NEW_PASSWORD = "bench-password-9f3k", "a brand new secret 42"



def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def mail_with(smtp_server, subject):
    """The first mail whose subject contains ``subject`` (waiting for it)."""
    found = []
    wait_for(lambda: found.extend(m for m in smtp_server.messages if subject in m["Subject"]) or found)
    return found[0]


@pytest.fixture
def smtp_server():
    server = SMTPFixture()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def site(smtp_server):
    """The production server and a mail worker, sharing a fresh database and the SMTP server."""
    port = free_port()
    env = {
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SITE_NAME": "authsite browser test",
    }
    with Server(port, env=env) as server:
        worker = subprocess.Popen(
            [PYTHON, "manage.py", "mailworker", "--interval", "0.2"],
            cwd=ROOT, env=server.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            yield server
        finally:
            worker.terminate()
            worker.wait(15)


def test_password_recovery_in_chromium(site, smtp_server, capsys):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    site.user("alice", password=OLD_PASSWORD)
    status, body = site.request("POST", "/api/auth/password/forgot", {"email": "alice@example.com"})
    assert status == 200, body
    # Delivered by the worker, after the response (after signup's verification mail).
    reset_mail = mail_with(smtp_server, "reset your password")
    link = link_in(reset_mail)
    assert link.startswith(site.base + "/account/reset/")

    OUTPUT.mkdir(parents=True, exist_ok=True)
    shots = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.goto(link)
            # The token left the address bar before the form showed.
            assert page.url.endswith("/set-password/")
            assert link.rstrip("/").rsplit("/", 1)[1] not in page.url
            assert page.get_by_role("heading").inner_text() == "Choose a new password"
            shots.append(OUTPUT / "1-reset-form.png")
            page.screenshot(path=shots[-1], full_page=True)

            page.get_by_label("New password", exact=True).fill("password")
            page.get_by_label("New password again").fill("password")
            page.get_by_role("button", name="Set the new password").click()
            assert "This password is too common." in page.content()
            shots.append(OUTPUT / "2-validator-refusal.png")
            page.screenshot(path=shots[-1], full_page=True)

            page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
            page.get_by_label("New password again").fill(NEW_PASSWORD)
            page.get_by_role("button", name="Set the new password").click()
            assert page.get_by_role("heading").inner_text() == "Password changed"
            shots.append(OUTPUT / "3-done.png")
            page.screenshot(path=shots[-1], full_page=True)

            page.goto(link)  # used up
            assert page.get_by_role("heading").inner_text() == "This link does not work"
            shots.append(OUTPUT / "4-link-used.png")
            page.screenshot(path=shots[-1], full_page=True)
        finally:
            browser.close()

    status, body = site.request("POST", "/api/auth/signin", {"username": "alice", "password": NEW_PASSWORD})
    assert status == 200, body
    status, _ = site.request("POST", "/api/auth/signin", {"username": "alice", "password": OLD_PASSWORD})
    assert status == 401
    notice = mail_with(smtp_server, "your password was changed")
    assert notice["Subject"] == "authsite browser test: your password was changed"
    with capsys.disabled():
        print("\nscreenshots:", *(str(shot) for shot in shots), sep="\n  ")
    assert all(shot.stat().st_size > 1000 for shot in shots)
