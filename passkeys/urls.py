from django.urls import re_path

from . import views

# Under /api/auth/; each path with and without a trailing slash (no redirect), as accounts.urls.
urlpatterns = [
    re_path(r"^passkeys/?$", views.PasskeyListView.as_view(), name="passkeys"),
    re_path(r"^passkeys/register/begin/?$", views.RegisterBeginView.as_view(), name="passkey-register-begin"),
    re_path(r"^passkeys/register/complete/?$", views.RegisterCompleteView.as_view(), name="passkey-register-complete"),
    re_path(r"^passkeys/signin/begin/?$", views.SigninBeginView.as_view(), name="passkey-signin-begin"),
    re_path(r"^passkeys/signin/complete/?$", views.SigninCompleteView.as_view(), name="passkey-signin-complete"),
    re_path(r"^passkeys/(?P<passkey_id>[0-9]{1,18})/?$", views.PasskeyDetailView.as_view(), name="passkey-detail"),
]
