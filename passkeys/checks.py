"""
Checks of the relying-party settings (``manage.py check``, run at start): a browser refuses every
ceremony whose page origin is not ``PASSKEY_RP_ID`` or a subdomain of it, and WebAuthn works only
in secure contexts (https, or http on localhost). Misconfigured, passkeys would fail for every
user at run time; these say so at start, naming the setting.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

LOOPBACK_HOSTS = {"localhost"}


def host_within(host, rp_id):
    return host == rp_id or host.endswith("." + rp_id)


@register(Tags.security)
def check_relying_party(app_configs, **kwargs):
    errors = []
    rp_id = settings.PASSKEY_RP_ID
    for origin in settings.PASSKEY_ORIGINS:
        parts = urlsplit(origin)
        host = parts.hostname or ""
        if not host_within(host, rp_id):
            errors.append(Error(
                f"PASSKEY_ORIGINS: the host of {origin} is not PASSKEY_RP_ID ({rp_id}) or a subdomain of it; "
                "browsers refuse passkeys there.",
                hint="Set PASSKEY_RP_ID to the site's domain (or a parent domain shared by every origin).",
                id="passkeys.E001",
            ))
        if parts.scheme != "https" and not (host in LOOPBACK_HOSTS or host.endswith(".localhost")):
            errors.append(Error(
                f"PASSKEY_ORIGINS: {origin} is not https://; browsers offer passkeys only to secure origins "
                "(https, or http on localhost).",
                id="passkeys.E002",
            ))
    return errors
