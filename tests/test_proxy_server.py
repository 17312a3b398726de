"""
Proxy sign-in through a real HTTP server (duplicate and underscored headers), the admin's view of
external identities, and health checks while proxy sign-in is on.
"""

import http.client
import json

import pytest
from django.test import override_settings

from accounts.models import User
from proxyauth import profiles
from proxyauth.models import ExternalIdentity
from tests.proxy import (
    ALICE_SUB,
    NO_TOKEN,
    UNAUTHORIZED,
    iap_profile,
    sign,
)

# --- Through a real HTTP server ---------------------------------------------------------------


def raw_get(base_url, headers):
    """GET /hello with ``headers`` (a list of pairs: duplicates allowed); (status, JSON body)."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("GET", "/hello")
    for name, value in [("Accept", "application/json"), *headers]:
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    status, body = response.status, json.loads(response.read())
    conn.close()
    return status, body


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_i18_duplicate_and_underscore_headers_through_django_server(live_server, key_server):
    token = sign()
    with override_settings(PROXY_AUTH_PROFILE=iap_profile(key_server.url("/jwks"))):
        once = raw_get(live_server.url, [("X-Goog-Iap-Jwt-Assertion", token)])
        twice = raw_get(live_server.url, [("X-Goog-Iap-Jwt-Assertion", token)] * 2)
        underscore = raw_get(live_server.url, [("X_Goog_Iap_Jwt_Assertion", token)])
    assert once == (200, {"message": "Hello alice@example.com"})
    assert twice == (401, UNAUTHORIZED)
    assert underscore == (403, NO_TOKEN)


def test_admin_lists_and_links_external_identities(client, make_user, alice):
    User.objects.filter(pk=alice.pk).update(email_verified=True)  # only a verified email is linked
    make_user("root", is_staff=True, is_superuser=True)
    client.force_login(User.objects.get(username="root"))
    response = client.post("/admin/proxyauth/externalidentity/add/",
                           {"provider": profiles.IAP_ISSUER, "subject": ALICE_SUB, "user": alice.pk})
    assert response.status_code == 302
    assert ExternalIdentity.objects.get().user == alice
    response = client.get("/admin/proxyauth/externalidentity/?q=alice")
    assert response.status_code == 200
    assert ALICE_SUB.encode() in response.content


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_X_GOOG_IAP_JWT_ASSERTION": "not.a.jwt"}],
    ids=["no-assertion", "invalid-assertion"],
)
def test_i25_health_check_answers_without_identity_while_proxy_auth_is_on(proxy_on, api, headers):
    """Load-balancer health checks carry no assertion: /healthz answers 200 and reads none."""
    response = api.get("/healthz", **headers)
    assert response.status_code == 200
    assert api.get("/hello", **headers).status_code in (401, 403)  # while every other path refuses
