"""
Error reports never carry a password, a token or a secret: a view that takes one fails, and the
report Django would mail or show (ExceptionReporter, the logged record's request and traceback)
stars its body fields, its local variables and the credential headers.
"""

import logging
import uuid
from urllib.parse import urlencode

import pytest
from django.views.debug import ExceptionReporter

from accounts.models import Session
from tests.conftest import PASSWORD

SECRET_HEADERS = {
    "HTTP_AUTHORIZATION": "Bearer header.secret.jwt",
    "HTTP_X_ACCESS_TOKEN": "x-access-token-secret",
    "HTTP_X_GOOG_IAP_JWT_ASSERTION": "iap.assertion.secret",
    "HTTP_CF_ACCESS_JWT_ASSERTION": "cloudflare.assertion.secret",
}


class Boom(Exception):
    pass


def post_form(api, path, data, **headers):
    """Form-encoded, so that the report's POST items hold the fields."""
    return api.post(path, urlencode(data), content_type="application/x-www-form-urlencoded", **headers)


def report_of_failure(api, caplog, path, data):
    with caplog.at_level(logging.ERROR, logger="authsite.errors"):
        response = post_form(api, path, data, **SECRET_HEADERS)
    assert response.status_code == 500
    (record,) = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], Boom)]
    return ExceptionReporter(record.request, *record.exc_info).get_traceback_text()


def assert_no_secrets(report, *secrets):
    assert "Boom" in report
    for secret in (*secrets, *SECRET_HEADERS.values()):
        assert secret not in report
    assert "********************" in report


@pytest.fixture
def failing_session_start(monkeypatch):
    def fail(*args, **kwargs):
        raise Boom()

    monkeypatch.setattr(Session.objects, "start", fail)


@pytest.mark.django_db
def test_signin_failure_report_hides_the_password(api, alice, caplog, failing_session_start):
    report = report_of_failure(api, caplog, "/api/auth/signin", {"username": "alice", "password": PASSWORD})
    assert_no_secrets(report, PASSWORD)


@pytest.mark.django_db
def test_signup_failure_report_hides_the_password(api, caplog, monkeypatch):
    from accounts import serializers

    monkeypatch.setattr(serializers.SignupSerializer, "create", lambda self, data: (_ for _ in ()).throw(Boom()))
    report = report_of_failure(
        api, caplog, "/api/auth/signup", {"username": "zed", "email": "zed@example.com", "password": "zed secret pass 9"}
    )
    assert_no_secrets(report, "zed secret pass 9")


@pytest.mark.django_db
def test_refresh_and_signout_failure_reports_hide_the_refresh_token(api, alice, caplog, monkeypatch):
    def fail(*args, **kwargs):
        raise Boom()

    monkeypatch.setattr(Session.objects, "redeem_refresh_token", fail)
    monkeypatch.setattr(Session.objects, "with_refresh_token", fail)
    for path in ("/api/auth/refreshtoken", "/api/auth/signout"):
        caplog.clear()
        report = report_of_failure(api, caplog, path, {"refreshToken": "refresh-token-secret-123"})
        assert_no_secrets(report, "refresh-token-secret-123")


@pytest.mark.django_db
def test_password_change_failure_report_hides_both_passwords(api, alice, token_for, caplog, monkeypatch):
    monkeypatch.setattr(type(alice), "check_password", lambda self, raw: (_ for _ in ()).throw(Boom()))
    api.credentials(HTTP_X_ACCESS_TOKEN=token_for(alice))
    with caplog.at_level(logging.ERROR, logger="authsite.errors"):
        response = post_form(api, "/api/auth/password", {"oldPassword": PASSWORD, "newPassword": "new secret pass 77"})
    assert response.status_code == 500
    (record,) = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], Boom)]
    report = ExceptionReporter(record.request, *record.exc_info).get_traceback_text()
    assert "Boom" in report
    assert PASSWORD not in report
    assert "new secret pass 77" not in report


@pytest.mark.django_db
def test_reports_hide_the_cookies_of_cookie_mode_whatever_their_names(api, alice, caplog, monkeypatch, settings):
    settings.AUTH_COOKIES = "on"
    settings.AUTH_COOKIE_ACCESS_NAME, settings.AUTH_COOKIE_REFRESH_NAME = "at", "rt"

    def fail(*args, **kwargs):
        raise Boom()

    monkeypatch.setattr(Session.objects, "redeem_refresh_token", fail)
    refresh, access = f"refresh-{uuid.uuid4().hex}", f"access-{uuid.uuid4().hex}"  # not in this source
    api.cookies["rt"], api.cookies["at"] = refresh, access
    with caplog.at_level(logging.ERROR, logger="authsite.errors"):
        response = api.post("/api/auth/refreshtoken", {}, format="json", HTTP_ORIGIN="http://localhost:8081")
    assert response.status_code == 500
    (record,) = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], Boom)]
    reporter = ExceptionReporter(record.request, *record.exc_info)
    for report in (reporter.get_traceback_text(), reporter.get_traceback_html()):
        assert "Boom" in report
        assert refresh not in report and access not in report
