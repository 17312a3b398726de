"""
The OIDC flow end to end over HTTP against the production server (server.py) and a real provider:
login -> provider login and consent -> callback -> one-time code -> tokens -> /api/test/user.
"""

import json

import pytest
import requests

from tests.oidcop import SPA, production_site


@pytest.fixture(scope="module")
def stack():
    with production_site("127.0.0.1", SPA) as (site, op):
        yield site, op


def test_sign_in_through_the_production_server(stack):
    site, op = stack
    browser = requests.Session()
    started = browser.get(f"{site}/api/auth/oidc/corp/login", params={"next": SPA + "/"}, allow_redirects=False)
    assert started.status_code == 302 and started.headers["location"].startswith(op.issuer)
    assert "no-store" in started.headers["cache-control"]
    flow_cookie = started.headers["set-cookie"]
    assert "HttpOnly" in flow_cookie and "Path=/api/auth/oidc/" in flow_cookie and "SameSite=Lax" in flow_cookie

    back = op.sign_in(started.headers["location"], "zoe")
    finished = browser.get(back, allow_redirects=False)
    assert finished.status_code == 302, finished.text
    location = finished.headers["location"]
    assert location.startswith(SPA + "/#code=")
    code = location.split("#code=", 1)[1]

    answer = requests.post(f"{site}/api/auth/oidc/token", json={"code": code}, headers={"Origin": SPA})
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == SPA
    assert "no-store" in answer.headers["cache-control"]
    body = answer.json()
    assert body["username"] == "zoe@example.test" and body["roles"] == ["ROLE_USER"]
    board = requests.get(f"{site}/api/test/user", headers={"x-access-token": body["accessToken"]})
    assert board.status_code == 200 and board.text == "User Content."

    replay = requests.post(f"{site}/api/auth/oidc/token", json={"code": code})
    assert replay.status_code == 400 and replay.json() == {
        "message": "Invalid or expired code!", "errors": {"code": ["Invalid or expired code!"]}
    }


def test_errors_are_json_never_500(stack):
    site, _ = stack
    for path in ("/api/auth/oidc/nope/login", "/api/auth/oidc/corp/callback?state=x&code=y"):
        response = requests.get(site + path, allow_redirects=False)
        assert response.status_code in (400, 404) and "message" in json.loads(response.text)
