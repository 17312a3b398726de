"""
The admin's login asks staff who have a second factor for its code: Django's documented hook,
``AdminSite.login_form`` (with ``login_template`` to show the extra field), set on the default
site by ``install`` (``MfaConfig.ready``). The code field is optional: staff without a factor sign
in as before. A wrong or missing code is a failed login (the sign-in throttles count it, as a
wrong password: ``accounts.admin.throttle_signins``). Recovery codes work here as well.

Staff holding a role of ``MFA_REQUIRED_ROLES`` without an authenticator app are refused, even with
a passkey: the API would not let their password alone through (``mfa.signin``), and this form has
no passkey step (a page without JavaScript), so the password alone must not open the admin either.
They set an authenticator up on ``/account/two-factor/`` first.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

from accounts.security import log_event

from . import services
from .signin import must_set_up

ADMIN_CODE_REQUIRED = "Enter the code from your authenticator app (or a recovery code)."
ADMIN_SETUP_REQUIRED = (
    "Your role requires an authenticator app: set one up on /account/two-factor/ before signing in here."
)


class SecondFactorAdminAuthenticationForm(AdminAuthenticationForm):
    otp_code = forms.CharField(
        label="Authenticator code", required=False, max_length=64, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="Only if you have turned on a second factor.",
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and services.has_second_factor(user):
            code = cleaned.get("otp_code")
            if not code or not services.check_second_factor(self.request, user, code):
                log_event("mfa_failed", self.request, user=user.pk, where="admin")
                self.user_cache = None
                raise forms.ValidationError(ADMIN_CODE_REQUIRED, code="second_factor")
        elif user is not None and settings.MFA_REQUIRED_ROLES and must_set_up(user):
            log_event("mfa_setup_required", self.request, user=user.pk, where="admin")
            self.user_cache = None
            raise forms.ValidationError(ADMIN_SETUP_REQUIRED, code="second_factor_setup")
        return cleaned


def install(site=admin.site):
    site.login_form = SecondFactorAdminAuthenticationForm
    site.login_template = "mfa/admin_login.html"
