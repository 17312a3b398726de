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
