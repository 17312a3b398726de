"""Notices and security log lines of the second factor: enabling, disabling, recovery codes, resets."""

import json
import logging

import pytest
from django.core.management import call_command

from accounts.models import Session
from mfa.models import TOTPDevice

from .conftest import PASSWORD, text_of


def events(caplog, name):
    return [json.loads(r.getMessage()) for r in caplog.records
            if r.name == "authsite.security" and json.loads(r.getMessage())["event"] == name]


@pytest.fixture
def caplog_security(caplog):
    caplog.set_level(logging.INFO, logger="authsite.security")
    return caplog


def delivered(smtp, run_mailworker):
    before = len(smtp.messages)
    run_mailworker()
    return smtp.messages[before:]


@pytest.mark.django_db
def test_enabling_mails_and_logs(api, alice, enable_totp, smtp, run_mailworker, caplog_security):
    Session.objects.start(alice)  # another session: revoked
    enable_totp(alice)
    [mail] = delivered(smtp, run_mailworker)
    assert mail["To"] == "alice@example.com"
    assert mail["Subject"] == "authsite: two-factor sign-in turned on"
    assert "other sessions were signed out" in text_of(mail)
    [event] = events(caplog_security, "mfa_enabled")
    assert event["user"] == alice.pk and event["sessions_revoked"] == 1


@pytest.mark.django_db
def test_disabling_mails_and_logs(api, alice, enable_totp, token_for, smtp, run_mailworker, caplog_security):
    enable_totp(alice)
    delivered(smtp, run_mailworker)
    response = api.delete("/api/auth/mfa/totp", {"password": PASSWORD}, format="json",
                          HTTP_X_ACCESS_TOKEN=token_for(alice))
    assert response.status_code == 200
    [mail] = delivered(smtp, run_mailworker)
    assert mail["Subject"] == "authsite: two-factor sign-in turned off"
    assert "by an administrator" not in text_of(mail)
    [event] = events(caplog_security, "mfa_disabled")
    assert event["user"] == alice.pk and "by" not in event


@pytest.mark.django_db
def test_using_a_recovery_code_mails_the_count_left(api, alice, enable_totp, smtp, run_mailworker, caplog_security):
    _, codes = enable_totp(alice)
    delivered(smtp, run_mailworker)
    token = api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json").json()["mfaToken"]
    assert api.post("/api/auth/signin/mfa", {"mfaToken": token, "code": codes[0]}, format="json").status_code == 200
    [mail] = delivered(smtp, run_mailworker)
    assert mail["Subject"] == "authsite: a recovery code was used"
    assert "9 unused recovery codes are left" in text_of(mail)
    [event] = events(caplog_security, "mfa_recovery_code_used")
    assert event["remaining"] == 9 and "code" not in event


@pytest.mark.django_db
def test_regenerating_mails_and_logs(api, alice, enable_totp, token_for, smtp, run_mailworker, caplog_security):
    enable_totp(alice)
    delivered(smtp, run_mailworker)
    response = api.post("/api/auth/mfa/recovery-codes", {"password": PASSWORD}, format="json",
                        HTTP_X_ACCESS_TOKEN=token_for(alice))
    assert response.status_code == 200
    [mail] = delivered(smtp, run_mailworker)
    assert mail["Subject"] == "authsite: new recovery codes"
    assert events(caplog_security, "mfa_recovery_codes_regenerated")[0]["user"] == alice.pk


@pytest.mark.django_db
def test_a_wrong_code_is_logged_without_the_code(api, alice, enable_totp, caplog_security):
    enable_totp(alice)
    token = api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json").json()["mfaToken"]
    api.post("/api/auth/signin/mfa", {"mfaToken": token, "code": "zzzz-zzzz-zzzz-zzzz"}, format="json")
    [event] = events(caplog_security, "mfa_failed")
    assert event == {"event": "mfa_failed", "ip": "127.0.0.1", "user": alice.pk}
    assert token not in caplog_security.text


@pytest.mark.django_db
def test_the_reset_command_for_a_lost_phone(alice, enable_totp, smtp, run_mailworker, caplog_security, capsys):
    enable_totp(alice)
    delivered(smtp, run_mailworker)
    session, _ = Session.objects.start(alice)
    call_command("mfa", "reset", "alice", "--by", "ops: ticket 7")
    assert not TOTPDevice.objects.filter(user=alice).exists()
    session.refresh_from_db()
    assert session.revoked_at is not None
    [event] = events(caplog_security, "mfa_disabled")
    assert event["by"] == "ops: ticket 7"
    [mail] = delivered(smtp, run_mailworker)
    assert "by an administrator" in text_of(mail)
    call_command("mfa", "status", "alice")
    assert "alice: second factor off" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_reset_command_refuses_a_user_without_a_factor(alice):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="has no second factor"):
        call_command("mfa", "reset", "alice")
