"""
Mail settings from the environment: ``EMAIL_URL`` names the transport in one value.

| ``EMAIL_URL``                              | transport                                        |
|--------------------------------------------|--------------------------------------------------|
| unset, ``console:``                        | Django's console backend (development)           |
| ``smtp://user:password@host:25``           | SMTP, plain (port 25 by default)                 |
| ``smtp+tls://user:password@host:587``      | SMTP with STARTTLS (port 587 by default)         |
| ``smtps://user:password@host:465``         | SMTP over TLS (port 465 by default)              |

User and password are percent-decoded (``%40`` for ``@``). Imported by ``authsite.settings``;
standard library only.
"""

from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
SCHEMES = {"smtp": (25, False, False), "smtp+tls": (587, True, False), "smtps": (465, False, True)}


def email_settings(url):
    """Django's ``EMAIL_*`` settings for ``url``; ImproperlyConfigured (naming EMAIL_URL) if unusable."""
    url = (url or "").strip()
    if not url or url in ("console:", "console://"):
        return {"EMAIL_BACKEND": CONSOLE}
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ImproperlyConfigured(
            "EMAIL_URL must be smtp://host, smtp+tls://host, smtps://host (optionally with "
            "user:password@ and :port) or console:, not " + repr(parts._replace(netloc=parts.hostname or "").geturl())
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has an invalid port.") from None
    default_port, use_tls, use_ssl = SCHEMES[parts.scheme]
    return {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or default_port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }
