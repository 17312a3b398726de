"""
Error reports (the traceback logged for a 500, the admins' mail, the DEBUG page) never show a
password, a token or a secret.

- ``takes_secrets``: a class decorator for every view whose request body carries one (sign-up,
  sign-in, refresh, sign-out, password change): Django's ``sensitive_post_parameters`` on
  ``dispatch`` (the report's POST items are starred) and ``sensitive_variables`` on its handlers
  (the local variables of the handler's frame and of every frame it calls are starred, since a
  serializer's repr shows the data it was given).
- ``ExceptionReporterFilter`` (``DEFAULT_EXCEPTION_REPORTER_FILTER``): Django's, which stars
  ``META`` keys matching API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE (so
  ``Authorization`` and ``x-access-token``), plus the credential headers those miss: the
  identity-aware proxies' ``*-Jwt-Assertion``; and the cookies of cookie mode whatever their
  configured names (``AUTH_COOKIE_ACCESS_NAME``, ``AUTH_COOKIE_REFRESH_NAME``).
"""

import re

from django.conf import settings
from django.utils.decorators import method_decorator
from django.views.debug import SafeExceptionReporterFilter
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

HANDLERS = ("get", "post", "put", "patch", "delete")


def takes_secrets(view_class):
    view_class = method_decorator(sensitive_post_parameters(), name="dispatch")(view_class)
    for handler in HANDLERS:
        if handler in view_class.__dict__:
            view_class = method_decorator(sensitive_variables(), name=handler)(view_class)
    return view_class


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        SafeExceptionReporterFilter.hidden_settings.pattern + "|ASSERTION|JWT",
        flags=re.IGNORECASE,
    )

    def get_safe_cookies(self, request):
        cookies = super().get_safe_cookies(request)
        for name in (settings.AUTH_COOKIE_ACCESS_NAME, settings.AUTH_COOKIE_REFRESH_NAME):
            if name in cookies:
                cookies[name] = self.cleansed_substitute
        return cookies
