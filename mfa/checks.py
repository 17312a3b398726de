"""
Configuration rules of the second factor, as system checks:

- mfa.E001: every name in ``MFA_REQUIRED_ROLES`` is a role in the roles table (a database check:
  ``migrate``, ``check --database default`` and the server's start run it).
- mfa.W001 (``check --deploy``): ``MFA_ENCRYPTION_KEYS`` is unset, so the TOTP secrets are encrypted
  with a key derived from ``DJANGO_SECRET_KEY`` (rotating that key would make them unreadable).
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError


@register(Tags.database)
def check_required_roles(app_configs, databases=None, **kwargs):
    if not settings.MFA_REQUIRED_ROLES or not databases:
        return []
    from accounts.models import Role

    try:
        known = set(Role.objects.values_list("name", flat=True))
    except DatabaseError:
        return []  # not migrated yet: nothing to compare with
    unknown = [name for name in settings.MFA_REQUIRED_ROLES if name not in known]
    if not unknown:
        return []
    return [Error(
        f"MFA_REQUIRED_ROLES names roles that do not exist: {', '.join(unknown)}.",
        hint=f"Use role names from the roles table: {', '.join(sorted(known))}.",
        id="mfa.E001",
    )]


@register(Tags.security, deploy=True)
def check_encryption_keys(app_configs, **kwargs):
    if settings.MFA_ENCRYPTION_KEYS_SET:
        return []
    return [Warning(
        "MFA_ENCRYPTION_KEYS is not set: TOTP secrets are encrypted with a key derived from DJANGO_SECRET_KEY.",
        hint="Set MFA_ENCRYPTION_KEYS to a key of its own (Fernet.generate_key()); see README, "
        "'Second factor and passkeys'.",
        id="mfa.W001",
    )]
