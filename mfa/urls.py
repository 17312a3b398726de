from django.urls import re_path

from . import views

# Under /api/auth/; each path answers with and without a trailing slash (as accounts.urls).
urlpatterns = [
    re_path(r"^signin/mfa/?$", views.MfaSigninView.as_view(), name="signin-mfa"),
    re_path(r"^mfa/totp/setup/?$", views.TOTPSetupView.as_view(), name="mfa-totp-setup"),
    re_path(r"^mfa/totp/confirm/?$", views.TOTPConfirmView.as_view(), name="mfa-totp-confirm"),
    re_path(r"^mfa/totp/?$", views.TOTPView.as_view(), name="mfa-totp"),
    re_path(r"^mfa/recovery-codes/?$", views.RecoveryCodesView.as_view(), name="mfa-recovery-codes"),
]
