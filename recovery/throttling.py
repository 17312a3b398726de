"""
Throttles of the recovery endpoints (``accounts.throttling.RateThrottle``: atomic counters in the
shared cache, refused requests uncounted, 503 when the cache is down).

| scope               | key                          | endpoint                               | default  |
|---------------------|------------------------------|----------------------------------------|----------|
| ``forgot_ip``       | client address               | password/forgot                        | 20/min   |
| ``forgot_email``    | the address asked for        | password/forgot                        | 5/min    |
| ``reset_ip``        | client address               | password/reset/verify, password/reset, the reset page | 20/min |
| ``email_verify_ip`` | client address               | email/verify, the confirmation page    | 20/min   |
| ``email_resend_user`` | the signed-in user       | email/verify/resend, mandatory-mode sign-in's mail | 1/180s |
| ``email_change_user`` | the signed-in user         | email                                  | 1/min    |

The first four match django-allauth's headless defaults (``reset_password "20/m/ip,5/m/key"``,
``reset_password_from_key "20/m/ip"``); ``1/180s`` is its ``confirm_email``.
"""

import hashlib

from accounts.models import identity_key
from accounts.throttling import RateThrottle


class ForgotIPThrottle(RateThrottle):
    scope = "forgot_ip"


class ForgotEmailThrottle(RateThrottle):
    """Per address asked for, under its identity key (``Alice@x`` and ``alice@x`` are one bucket)."""

    scope = "forgot_email"

    def get_ident(self, request):
        data = request.data
        email = data.get("email") if hasattr(data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None  # refused by the serializer
        return hashlib.sha256(identity_key(email.strip()).encode("utf-8", "surrogatepass")).hexdigest()


class ResetIPThrottle(RateThrottle):
    scope = "reset_ip"


class EmailVerifyIPThrottle(RateThrottle):
    scope = "email_verify_ip"


class UserThrottle(RateThrottle):
    """Per signed-in user (``user`` given, or the request's)."""

    def __init__(self, user=None):
        self.user = user

    def get_ident(self, request):
        user = self.user or request.user
        return str(user.pk) if user is not None and user.is_authenticated else None


class EmailResendThrottle(UserThrottle):
    scope = "email_resend_user"


class EmailChangeThrottle(UserThrottle):
    scope = "email_change_user"
