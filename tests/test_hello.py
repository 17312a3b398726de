"""
``GET /hello`` for callers with authsite's own access tokens: HTML by default, JSON on request,
the contract's JSON errors always. (Proxy-authenticated callers: tests/test_proxy_*.py.)
"""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken as PlainAccessToken

HTML = "text/html"
JSON = "application/json"


@pytest.mark.parametrize(
    "accept, content_type",
    [
        (None, HTML),
        ("*/*", HTML),
        (HTML, HTML),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", HTML),  # a browser
        ("text/plain", HTML),  # neither: HTML, never a 406
        (JSON, JSON),
        ("application/json, text/plain, */*", JSON),  # axios
    ],
)
def test_hello_negotiates_html_or_json(api, alice, token_for, accept, content_type):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(alice)}"}
    if accept:
        headers["HTTP_ACCEPT"] = accept
    response = api.get("/hello", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    if content_type == JSON:
        assert response.json() == {"message": "Hello alice@example.com"}
    else:
        assert b"<h1>Hello alice@example.com</h1>" in response.content


@pytest.mark.django_db
def test_hello_is_one_query(api, alice, token_for, django_assert_num_queries):
    """The email comes with authentication's one query (accounts.queries.USER_FIELDS), not a second."""
    token = token_for(alice)
    with django_assert_num_queries(1):
        response = api.get("/hello", HTTP_ACCEPT=JSON, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.json() == {"message": "Hello alice@example.com"}


@pytest.mark.parametrize("fmt,content_type", [("json", JSON), ("html", HTML), ("AAA", HTML)])
def test_hello_format_query_parameter(api, alice, token_for, fmt, content_type):
    """``?format=`` picks the renderer; one that no renderer has gets HTML, not a 404 (schemathesis)."""
    response = api.get("/hello", {"format": fmt}, HTTP_X_ACCESS_TOKEN=token_for(alice))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)


@pytest.mark.parametrize("path", ["/hello", "/hello/"])
def test_hello_with_x_access_token_and_trailing_slash(api, alice, token_for, path):
    response = api.get(path, HTTP_X_ACCESS_TOKEN=token_for(alice), HTTP_ACCEPT=JSON)
    assert response.status_code == 200
    assert response.json() == {"message": "Hello alice@example.com"}


@pytest.mark.parametrize("accept", [HTML, JSON])
def test_hello_is_never_stored_by_shared_caches(api, alice, token_for, accept):
    response = api.get("/hello", HTTP_X_ACCESS_TOKEN=token_for(alice), HTTP_ACCEPT=accept)
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


def test_hello_escapes_the_email_of_a_local_account(api, make_user, token_for):
    user = make_user("mallory", email="<b>mallory</b>@example.com")
    response = api.get("/hello", HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    assert b"<b>" not in response.content
    assert b"Hello &lt;b&gt;mallory&lt;/b&gt;@example.com" in response.content


def expired_token(user):
    token = PlainAccessToken()
    token["id"] = user.pk
    token.set_exp(lifetime=-PlainAccessToken.lifetime)
    return str(token)


@pytest.mark.parametrize("accept", [HTML, JSON])
@pytest.mark.parametrize(
    "make_headers, status, message",
    [
        (lambda user, token_for: {}, 403, "No token provided!"),
        (lambda user, token_for: {"HTTP_AUTHORIZATION": "Bearer not-a-jwt"}, 401, "Unauthorized!"),
        (lambda user, token_for: {"HTTP_X_ACCESS_TOKEN": expired_token(user)}, 401,
         "Unauthorized! Access Token was expired!"),
    ],
    ids=["no token", "bad token", "expired token"],
)
def test_hello_errors_are_the_contract_json(api, alice, token_for, accept, make_headers, status, message):
    response = api.get("/hello", HTTP_ACCEPT=accept, **make_headers(alice, token_for))
    assert response.status_code == status
    assert response["Content-Type"] == JSON
    assert response.json() == {"message": message}


def test_hello_answers_405_in_json_to_post(alice, token_for):
    response = APIClient().post("/hello", HTTP_AUTHORIZATION=f"Bearer {token_for(alice)}")
    assert response.status_code == 405
    assert response.json() == {"message": 'Method "POST" not allowed.'}
