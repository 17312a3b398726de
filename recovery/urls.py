from django.urls import re_path

from . import views

# Under /api/auth/; each path answers with and without a trailing slash (never a redirect).
urlpatterns = [
    re_path(r"^password/forgot/?$", views.ForgotPasswordView.as_view(), name="password-forgot"),
    re_path(r"^password/reset/verify/?$", views.ResetVerifyView.as_view(), name="password-reset-verify"),
    re_path(r"^password/reset/?$", views.ResetPasswordView.as_view(), name="password-reset"),
    re_path(r"^email/verify/resend/?$", views.EmailResendView.as_view(), name="email-verify-resend"),
    re_path(r"^email/verify/?$", views.EmailVerifyView.as_view(), name="email-verify"),
    re_path(r"^email/?$", views.EmailChangeView.as_view(), name="email-change"),
]
