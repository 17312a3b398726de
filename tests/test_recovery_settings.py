"""Mail and recovery settings: bad values are refused at start, naming the variable."""

import pytest

from .test_settings import start


@pytest.mark.parametrize(
    "env, message",
    [
        ({"EMAIL_URL": "imap://mail.example.com"}, "EMAIL_URL must be smtp://host"),
        ({"EMAIL_URL": "smtp://mail.example.com:99999"}, "EMAIL_URL has an invalid port."),
        ({"SITE_URL": "example.com"}, "SITE_URL must be an absolute http:// or https:// URL"),
        ({"PASSWORD_RESET_URL": "https://app.example.com/reset/{token}"}, "PASSWORD_RESET_URL must contain {uid}."),
        ({"PASSWORD_RESET_URL": "https://app.example.com/{uid}/{token}/{user}"}, "PASSWORD_RESET_URL may hold only"),
        ({"EMAIL_VERIFY_URL": "https://app.example.com/verify"}, "EMAIL_VERIFY_URL must contain {token}."),
        ({"EMAIL_VERIFY_URL": "javascript:alert(1)//{token}"}, "EMAIL_VERIFY_URL must be an absolute"),
        ({"EMAIL_VERIFICATION": "sometimes"}, "EMAIL_VERIFICATION must be optional or mandatory"),
        ({"PASSWORD_RESET_TIMEOUT": "0"}, "PASSWORD_RESET_TIMEOUT and EMAIL_VERIFY_TIMEOUT must be at least 1"),
        ({"MAIL_MAX_ATTEMPTS": "0"}, "MAIL_MAX_ATTEMPTS"),
        ({"THROTTLE_FORGOT_EMAIL": "5/minute"}, "THROTTLE_FORGOT_EMAIL must be a rate such as 20/min or 1/180s"),
    ],
)
def test_refuses_to_start_misconfigured(env, message):
    code, output = start(DJANGO_DEBUG="1", **env)
    assert code != 0
    assert message in output


def test_sendtestemail_reaches_the_smtp_server(smtp):
    code, output = start(
        "sendtestemail", "ops@example.com", DJANGO_DEBUG="1", EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}"
    )
    assert code == 0, output
    [message] = smtp.messages
    assert message["To"] == "ops@example.com"
    assert message["Subject"].startswith("Test email from")


def test_check_deploy_warns_about_console_mail_and_local_links():
    from .test_production_settings import PRODUCTION_KEYS

    env = {k: v for k, v in PRODUCTION_KEYS.items() if k not in ("EMAIL_URL", "SITE_URL")}
    code, output = start("check", "--deploy", "--fail-level", "WARNING", **env)
    assert code != 0
    assert "recovery.W001" in output and "EMAIL_URL is not set" in output
    assert "PASSWORD_RESET_URL (http://localhost:8080...)" in output
    assert "EMAIL_VERIFY_URL (http://localhost:8080...)" in output


def test_check_deploy_accepts_an_app_link():
    from .test_production_settings import PRODUCTION_KEYS

    code, output = start(
        "check", "--deploy", **PRODUCTION_KEYS,
        PASSWORD_RESET_URL="https://app.example.com/reset?uid={uid}&token={token}",
        EMAIL_VERIFY_URL="https://app.example.com/verify?token={token}",
    )
    assert "recovery.W00" not in output, output
