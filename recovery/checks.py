"""
Deployment checks (``manage.py check --deploy``) of the mail and link settings: in production a
reset link must reach the user and lead back to this service over HTTPS.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


@register(Tags.security, deploy=True)
def check_recovery_links(app_configs, **kwargs):
    warnings = []
    if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        warnings.append(Warning(
            "EMAIL_URL is not set: mail (password reset links, verification) is only printed to the console.",
            hint="Set EMAIL_URL to your SMTP server, e.g. smtp+tls://user:password@smtp.example.com:587.",
            id="recovery.W001",
        ))
    for name in ("PASSWORD_RESET_URL", "EMAIL_VERIFY_URL"):
        link = urlsplit(getattr(settings, name))
        if link.hostname in LOCAL_HOSTS or link.scheme != "https":
            warnings.append(Warning(
                f"{name} ({link.scheme}://{link.netloc}...) is not an https:// address others can reach.",
                hint="Set SITE_URL to this service's public https:// address (or the link to your app's page).",
                id="recovery.W002",
            ))
    return warnings
