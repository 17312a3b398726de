"""
The OpenAPI schema (/api/schema) and its docs pages (/api/docs, /api/redoc).

The schema must validate, and document every endpoint with every status and message of API.md;
the docs pages must work offline (their assets come from this server, not from a CDN).
"""

import json
import re

import pytest
import yaml
from django.core.management import call_command

from authsite.exceptions import UNAVAILABLE_MESSAGE

pytestmark = pytest.mark.django_db

# API.md, endpoint by endpoint: (method, path, status, message or None for "no message").
CONTRACT = [
    ("post", "/api/auth/signup", 200, "User registered successfully!"),
    ("post", "/api/auth/signup", 400, "Failed! Username is already in use!"),
    ("post", "/api/auth/signup", 400, "Failed! Email is already in use!"),
    ("post", "/api/auth/signup", 400, "Failed! Role does not exist = superuser"),
    ("post", "/api/auth/signup", 400, "Username is required."),
    ("post", "/api/auth/signup", 403, "Require Admin Role!"),
    ("post", "/api/auth/signin", 200, None),
    ("post", "/api/auth/signin", 400, "Username is required."),
    ("post", "/api/auth/signin", 401, "Invalid username or password!"),
    ("post", "/api/auth/refreshtoken", 200, None),
    ("post", "/api/auth/refreshtoken", 403, "Refresh Token is required!"),
    ("post", "/api/auth/refreshtoken", 403, "Refresh token is not in database!"),
    ("post", "/api/auth/refreshtoken", 403, "Refresh token was expired. Please make a new signin request"),
    ("post", "/api/auth/signout", 200, "You've been signed out!"),
    ("get", "/api/test/all", 200, "Public Content."),
    ("get", "/api/test/user", 200, "User Content."),
    ("get", "/api/test/mod", 200, "Moderator Content."),
    ("get", "/api/test/admin", 200, "Admin Content."),
    ("get", "/healthz", 200, None),
    ("get", "/readyz", 200, None),
    ("get", "/readyz", 503, UNAVAILABLE_MESSAGE),
]
for board, role_message in [
    ("user", None),
    ("mod", "Require Moderator Role!"),
    ("admin", "Require Admin Role!"),
]:
    CONTRACT += [
        ("get", f"/api/test/{board}", 403, "No token provided!"),
        ("get", f"/api/test/{board}", 401, "Unauthorized!"),
        ("get", f"/api/test/{board}", 401, "Unauthorized! Access Token was expired!"),
    ]
    if role_message:
        CONTRACT.append(("get", f"/api/test/{board}", 403, role_message))
# authsite's own endpoints (not in API.md): every one that needs a token answers the token errors.
CONTRACT += [
    ("get", "/api/auth/me", 200, None),
    ("get", "/api/auth/sessions", 200, None),
    ("delete", "/api/auth/sessions/{session_id}", 200, "Session revoked."),
    ("delete", "/api/auth/sessions/{session_id}", 404, "Not found."),
    ("post", "/api/auth/password", 200, None),
    ("post", "/api/auth/password", 400, "Old password is incorrect!"),
    ("post", "/api/auth/password", 403, "Require a session: sign in with /api/auth/signin."),
    ("get", "/hello", 200, None),
    ("get", "/.well-known/jwks.json", 200, None),
]
for method, path in [
    ("get", "/api/auth/me"),
    ("get", "/api/auth/sessions"),
    ("delete", "/api/auth/sessions/{session_id}"),
    ("post", "/api/auth/password"),
    ("get", "/hello"),
]:
    CONTRACT += [
        (method, path, 403, "No token provided!"),
        (method, path, 401, "Unauthorized!"),
        (method, path, 401, "Unauthorized! Access Token was expired!"),
        (method, path, 503, UNAVAILABLE_MESSAGE),
    ]
# Throttled endpoints answer 429.
for path in ["/api/auth/signup", "/api/auth/signin", "/api/auth/refreshtoken", "/api/auth/password"]:
    CONTRACT.append(("post", path, 429, "Request was throttled. Expected available in 60 seconds."))
# Every endpoint that reads a body answers the body errors; every one that reads the database, 503.
for auth_path in ["signup", "signin", "refreshtoken", "signout", "password"]:
    CONTRACT += [
        ("post", f"/api/auth/{auth_path}", 400, "JSON parse error - Expecting value: line 1 column 1 (char 0)"),
        ("post", f"/api/auth/{auth_path}", 413, "Request body too large (limit 65536 bytes)."),
        ("post", f"/api/auth/{auth_path}", 415, 'Unsupported media type "text/xml" in request.'),
    ]
    if auth_path != "password":  # listed above
        CONTRACT.append(("post", f"/api/auth/{auth_path}", 503, UNAVAILABLE_MESSAGE))
for board in ["all", "user", "mod", "admin"]:
    CONTRACT.append(("get", f"/api/test/{board}", 503, UNAVAILABLE_MESSAGE))

# Account recovery and email (recovery/): every status and message.
INVALID_LINK = "Invalid or expired link!"
EMAIL_TAKEN = "Failed! Email is already in use!"
CONTRACT += [
    ("post", "/api/auth/password/forgot", 200, "If an account has this email address, a link to reset its password has been sent to it."),
    ("post", "/api/auth/password/forgot", 400, "Email must be a valid email address."),
    ("post", "/api/auth/password/reset/verify", 200, "The link is valid."),
    ("post", "/api/auth/password/reset/verify", 400, INVALID_LINK),
    ("post", "/api/auth/password/reset/verify", 400, "uid is required."),
    ("post", "/api/auth/password/reset", 200, "Password reset successfully! Sign in with the new password."),
    ("post", "/api/auth/password/reset", 400, INVALID_LINK),
    ("post", "/api/auth/password/reset", 400, "This password is too common."),
    ("post", "/api/auth/email/verify", 200, "Email verified!"),
    ("post", "/api/auth/email/verify", 400, INVALID_LINK),
    ("post", "/api/auth/email/verify", 400, EMAIL_TAKEN),
    ("post", "/api/auth/email/verify/resend", 200, "Verification email sent!"),
    ("post", "/api/auth/email/verify/resend", 400, "Email already verified!"),
    ("post", "/api/auth/email", 200, "A confirmation link has been sent to the new email address."),
    ("post", "/api/auth/email", 400, "Password is incorrect!"),
    ("post", "/api/auth/email", 400, "New email must be a valid email address."),
    ("post", "/api/auth/email", 400, "This is already your email address!"),
    ("post", "/api/auth/email", 400, EMAIL_TAKEN),
    ("post", "/api/auth/signin", 403, "Email not verified!"),
]
for path in ["/api/auth/email/verify/resend", "/api/auth/email"]:
    CONTRACT += [
        ("post", path, 403, "No token provided!"),
        ("post", path, 401, "Unauthorized!"),
        ("post", path, 401, "Unauthorized! Access Token was expired!"),
    ]
for path in [
    "/api/auth/password/forgot", "/api/auth/password/reset/verify", "/api/auth/password/reset",
    "/api/auth/email/verify", "/api/auth/email/verify/resend", "/api/auth/email",
]:
    CONTRACT += [
        ("post", path, 429, "Request was throttled. Expected available in 60 seconds."),
        ("post", path, 503, UNAVAILABLE_MESSAGE),
    ]
    if path != "/api/auth/email/verify/resend":  # reads no body
        CONTRACT += [
            ("post", path, 400, "JSON parse error - Expecting value: line 1 column 1 (char 0)"),
            ("post", path, 413, "Request body too large (limit 65536 bytes)."),
            ("post", path, 415, 'Unsupported media type "text/xml" in request.'),
        ]

# Sign-in with OpenID Connect (oidc/): every status and message.
OIDC_LOGIN, OIDC_CALLBACK = "/api/auth/oidc/{provider}/login", "/api/auth/oidc/{provider}/callback"
CONTRACT += [
    ("get", OIDC_LOGIN, 302, None),
    ("get", OIDC_LOGIN, 400, "Invalid next URL!"),
    ("get", OIDC_LOGIN, 400, "Invalid or expired link request!"),
    ("get", OIDC_CALLBACK, 302, None),
    ("get", OIDC_CALLBACK, 400, "Invalid or expired sign-in attempt!"),
    ("post", "/api/auth/oidc/token", 200, None),
    ("post", "/api/auth/oidc/token", 400, "Invalid or expired code!"),
    ("post", "/api/auth/oidc/{provider}/link", 200, None),
    ("post", "/api/auth/oidc/{provider}/link", 400, "Invalid next URL!"),
    ("get", "/api/auth/identities", 200, None),
    ("delete", "/api/auth/identities/{identity_id}", 200, "Identity unlinked."),
    ("delete", "/api/auth/identities/{identity_id}", 400, "This identity is the account's last way to sign in!"),
]
for method, path in [("get", OIDC_LOGIN), ("get", OIDC_CALLBACK), ("post", "/api/auth/oidc/{provider}/link"),
                     ("delete", "/api/auth/identities/{identity_id}")]:
    CONTRACT.append((method, path, 404, "Not found."))
for method, path in [("post", "/api/auth/oidc/{provider}/link"), ("get", "/api/auth/identities"),
                     ("delete", "/api/auth/identities/{identity_id}")]:
    CONTRACT += [
        (method, path, 403, "No token provided!"),
        (method, path, 401, "Unauthorized!"),
        (method, path, 401, "Unauthorized! Access Token was expired!"),
    ]
for method, path in [("get", OIDC_LOGIN), ("get", OIDC_CALLBACK), ("post", "/api/auth/oidc/token")]:
    CONTRACT.append((method, path, 429, "Request was throttled. Expected available in 60 seconds."))
for path in ["/api/auth/oidc/token", "/api/auth/oidc/{provider}/link"]:
    CONTRACT += [
        ("post", path, 400, "JSON parse error - Expecting value: line 1 column 1 (char 0)"),
        ("post", path, 413, "Request body too large (limit 65536 bytes)."),
        ("post", path, 415, 'Unsupported media type "text/xml" in request.'),
    ]
for method, path in [("get", OIDC_LOGIN), ("get", OIDC_CALLBACK), ("post", "/api/auth/oidc/token"),
                     ("post", "/api/auth/oidc/{provider}/link"), ("get", "/api/auth/identities"),
                     ("delete", "/api/auth/identities/{identity_id}")]:
    CONTRACT.append((method, path, 503, UNAVAILABLE_MESSAGE))

# Second factor (mfa/): every status and message.
SETUP, CONFIRM, TOTP = "/api/auth/mfa/totp/setup", "/api/auth/mfa/totp/confirm", "/api/auth/mfa/totp"
CODES, SIGNIN_MFA = "/api/auth/mfa/recovery-codes", "/api/auth/signin/mfa"
CONTRACT += [
    ("post", "/api/auth/signin", 401, "Second factor required!"),
    ("post", "/api/auth/signin", 403, "Second factor setup required!"),
    ("post", SETUP, 200, None),
    ("post", SETUP, 400, "Second factor already enabled!"),
    ("post", CONFIRM, 200, None),
    ("post", CONFIRM, 400, "Invalid code!"),
    ("post", CONFIRM, 400, "Set up the second factor first!"),
    ("post", CONFIRM, 400, "Second factor already enabled!"),
    ("post", CONFIRM, 400, "This field is required."),
    ("delete", TOTP, 200, "Second factor disabled!"),
    ("post", CODES, 200, None),
    ("post", SIGNIN_MFA, 200, None),
    ("post", SIGNIN_MFA, 400, "This field is required."),
    ("post", SIGNIN_MFA, 401, "Invalid or expired mfaToken!"),
    ("post", SIGNIN_MFA, 400, "Code or credential is required!"),
    ("post", SIGNIN_MFA, 400, "Send a code or a credential, not both!"),
    ("post", SIGNIN_MFA, 401, "Invalid code!"),
    ("post", SIGNIN_MFA, 401, "Passkey sign-in failed!"),
    ("post", SIGNIN_MFA, 403, "Origin not allowed!"),
    ("post", SIGNIN_MFA, 429, "Request was throttled. Expected available in 60 seconds."),
]
for method, path in [("delete", TOTP), ("post", CODES)]:
    CONTRACT += [
        (method, path, 400, "Password or code is required!"),
        (method, path, 400, "Password or code is incorrect!"),
        (method, path, 400, "No second factor enabled!"),
        (method, path, 429, "Request was throttled. Expected available in 60 seconds."),
    ]
for method, path in [("post", SETUP), ("post", CONFIRM), ("delete", TOTP), ("post", CODES)]:
    CONTRACT += [
        (method, path, 403, "No token provided!"),
        (method, path, 401, "Unauthorized!"),
        (method, path, 401, "Unauthorized! Access Token was expired!"),
        (method, path, 503, UNAVAILABLE_MESSAGE),
    ]
for path in [SETUP, CONFIRM]:
    CONTRACT.append(("post", path, 401, "Invalid or expired setup token!"))
for method, path in [("post", CONFIRM), ("delete", TOTP), ("post", CODES), ("post", SIGNIN_MFA)]:
    CONTRACT += [
        (method, path, 400, "JSON parse error - Expecting value: line 1 column 1 (char 0)"),
        (method, path, 413, "Request body too large (limit 65536 bytes)."),
        (method, path, 415, 'Unsupported media type "text/xml" in request.'),
    ]
CONTRACT.append(("post", SIGNIN_MFA, 503, UNAVAILABLE_MESSAGE))

# Passkeys (passkeys/): every status and message.
PASSKEYS, PASSKEY = "/api/auth/passkeys", "/api/auth/passkeys/{passkey_id}"
REGISTER_BEGIN, REGISTER_COMPLETE = PASSKEYS + "/register/begin", PASSKEYS + "/register/complete"
SIGNIN_BEGIN, SIGNIN_COMPLETE = PASSKEYS + "/signin/begin", PASSKEYS + "/signin/complete"
CONTRACT += [
    ("post", REGISTER_BEGIN, 200, None),
    ("post", REGISTER_COMPLETE, 200, None),
    ("post", REGISTER_COMPLETE, 400, "This field is required."),
    ("post", REGISTER_COMPLETE, 400, "Passkey challenge is invalid or expired! Start again."),
    ("post", REGISTER_COMPLETE, 400, "Passkey could not be verified!"),
    ("post", REGISTER_COMPLETE, 400, "This passkey is already registered!"),
    ("get", PASSKEYS, 200, None),
    ("patch", PASSKEY, 200, None),
    ("patch", PASSKEY, 400, "This field is required."),
    ("delete", PASSKEY, 200, "Passkey deleted."),
    ("post", SIGNIN_BEGIN, 200, None),
    ("post", SIGNIN_BEGIN, 400, "Ensure this field has no more than 200 characters."),
    ("post", SIGNIN_BEGIN, 401, "Invalid or expired mfaToken!"),
    ("post", SIGNIN_COMPLETE, 200, None),
    ("post", SIGNIN_COMPLETE, 400, "This field is required."),
    ("post", SIGNIN_COMPLETE, 401, "Passkey sign-in failed!"),
    ("post", SIGNIN_COMPLETE, 403, "Email not verified!"),
]
for method, path in [("post", REGISTER_BEGIN), ("post", REGISTER_COMPLETE), ("get", PASSKEYS), ("patch", PASSKEY),
                     ("delete", PASSKEY)]:
    CONTRACT += [
        (method, path, 403, "No token provided!"),
        (method, path, 401, "Unauthorized!"),
        (method, path, 401, "Unauthorized! Access Token was expired!"),
    ]
for method, path in [("patch", PASSKEY), ("delete", PASSKEY)]:
    CONTRACT.append((method, path, 404, "Not found."))
for method, path in [("post", REGISTER_COMPLETE), ("patch", PASSKEY), ("post", SIGNIN_BEGIN), ("post", SIGNIN_COMPLETE)]:
    CONTRACT += [
        (method, path, 400, "JSON parse error - Expecting value: line 1 column 1 (char 0)"),
        (method, path, 413, "Request body too large (limit 65536 bytes)."),
        (method, path, 415, 'Unsupported media type "text/xml" in request.'),
    ]
for path in [SIGNIN_BEGIN, SIGNIN_COMPLETE]:
    CONTRACT.append(("post", path, 429, "Request was throttled. Expected available in 60 seconds."))
for method, path in [("post", REGISTER_BEGIN), ("post", REGISTER_COMPLETE), ("get", PASSKEYS), ("patch", PASSKEY),
                     ("delete", PASSKEY), ("post", SIGNIN_BEGIN), ("post", SIGNIN_COMPLETE)]:
    CONTRACT.append((method, path, 503, UNAVAILABLE_MESSAGE))

TOKEN_PATHS = [
    "/api/test/user", "/api/test/mod", "/api/test/admin", "/api/auth/me", "/api/auth/sessions", "/hello"
]


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return json.loads(response.content)


def example_values(response):
    """Every example value of a documented response, over all its media types."""
    for media in response.get("content", {}).values():
        for example in media.get("examples", {}).values():
            yield example["value"]


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    assert yaml.safe_load((tmp_path / "s.yaml").read_text())["openapi"].startswith("3.")


@pytest.mark.parametrize("path", ["/api/schema", "/api/schema/"])
def test_schema_is_yaml_by_default_and_json_on_request(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(response.content)["info"]["title"] == "authsite API"
    response = client.get(path, {"format": "json"})
    assert response.status_code == 200
    assert json.loads(response.content)["info"]["title"] == "authsite API"


def test_schema_lists_exactly_the_api_paths_without_trailing_slash(schema):
    assert sorted(schema["paths"]) == sorted({path for _, path, _, _ in CONTRACT})


@pytest.mark.parametrize("method,path,status,message", CONTRACT)
def test_every_status_and_message_is_documented(schema, method, path, status, message):
    responses = schema["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
    if message is not None:
        values = list(example_values(responses[str(status)]))
        messages = [value if isinstance(value, str) else value.get("message") for value in values]
        assert message in messages


def test_no_other_statuses_are_documented(schema):
    documented = {
        (method, path, int(status))
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        for status in operation["responses"]
    }
    assert documented == {(method, path, status) for method, path, status, _ in CONTRACT}


def test_both_token_schemes_are_documented(schema):
    assert schema["components"]["securitySchemes"] == {
        "accessToken": {
            "type": "apiKey",
            "in": "header",
            "name": "x-access-token",
            "description": "The access token from signin, raw (no prefix). Wins over Bearer.",
        },
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        # The restricted token of MFA_REQUIRED_ROLES (mfa/), on the setup endpoints only.
        "mfaSetupToken": {
            "type": "apiKey",
            "in": "header",
            "name": "x-mfa-setup-token",
            "description": "The setupToken of a sign-in answered 403 'Second factor setup required!' "
            "(MFA_REQUIRED_ROLES): valid on mfa/totp/setup and mfa/totp/confirm only.",
        },
    }


@pytest.mark.parametrize("path", TOKEN_PATHS)
def test_token_endpoints_require_either_scheme(schema, path):
    assert schema["paths"][path]["get"]["security"] == [{"accessToken": []}, {"bearerAuth": []}]


@pytest.mark.parametrize("path", ["/api/auth/signup", "/api/auth/signout", "/api/test/all"])
def test_public_endpoints_take_a_token_optionally(schema, path):
    operation = next(iter(schema["paths"][path].values()))
    assert {} in operation["security"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints_take_no_token(schema, path):
    assert "security" not in schema["paths"][path]["get"]


@pytest.mark.parametrize("path", [f"/api/test/{board}" for board in ["all", "user", "mod", "admin"]])
def test_boards_are_plain_text_and_errors_json(schema, path):
    responses = schema["paths"][path]["get"]["responses"]
    assert responses["200"]["content"] == {
        "text/plain": {
            "schema": {"type": "string"},
            "examples": responses["200"]["content"]["text/plain"]["examples"],
        }
    }
    for status, response in responses.items():
        if status != "200":
            assert list(response["content"]) == ["application/json"]


@pytest.mark.parametrize(
    "path,fields",
    [
        ("/api/auth/signup", {"username", "email", "password", "roles"}),
        ("/api/auth/signin", {"username", "password"}),
        ("/api/auth/refreshtoken", {"refreshToken"}),
        ("/api/auth/signout", {"refreshToken", "all"}),
    ],
)
def test_request_bodies_are_json_or_form(schema, path, fields):
    body = schema["paths"][path]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "application/x-www-form-urlencoded"}
    name = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][name]["properties"]) == fields


def test_signin_success_and_failure_bodies(schema):
    responses = schema["paths"]["/api/auth/signin"]["post"]["responses"]
    component = schema["components"]["schemas"]
    ok = component[responses["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(ok["required"]) == {
        "id", "username", "email", "roles", "accessToken", "refreshToken", "tokenType", "emailVerified"
    }
    failed = responses["401"]["content"]["application/json"]
    assert list(example_values(responses["401"])) == [
        {"accessToken": None, "message": "Invalid username or password!"},
        {"message": "Second factor required!", "mfaToken": "...", "methods": ["totp", "recovery_code", "passkey"]},
    ]
    # Either body: the tutorial's failure, or the second factor's challenge (mfa/).
    refused = component[failed["schema"]["$ref"].rsplit("/", 1)[1]]
    failed_schema, challenge = (component[one["$ref"].rsplit("/", 1)[1]] for one in refused["oneOf"])
    assert failed_schema["properties"]["accessToken"]["nullable"] is True
    assert set(challenge["required"]) == {"message", "mfaToken", "methods"}


@pytest.mark.parametrize("path", ["/api/docs", "/api/docs/", "/api/redoc", "/api/redoc/"])
def test_docs_pages_load_only_local_assets(client, path):
    response = client.get(path, HTTP_X_ACCESS_TOKEN="garbage")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content)
    # A CDN host name, not the letters "cdn" inside a random token of the page (it happened).
    assert not re.search(r"\bcdn", page.lower())
    assert "/api/schema" in page


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc"])
def test_docs_page_with_a_disallowed_host_is_a_json_400(client, path):
    response = client.get(path, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json() == {"message": "Bad request."}


@pytest.mark.parametrize("path", ["/api/schema?format=xyz", "/api/schema/?format=html"])
def test_unknown_schema_format_is_the_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": "Not found."}
