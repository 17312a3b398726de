from django.urls import path

from . import pages

# Under /account/: the default targets of PASSWORD_RESET_URL and EMAIL_VERIFY_URL.
urlpatterns = [
    path("reset/<str:uid>/set-password/", pages.reset_form, name="recovery-reset-form"),
    path("reset/<str:uid>/<str:token>/", pages.reset_link, name="recovery-reset-link"),
    path("email/confirm/", pages.email_confirm, name="recovery-email-confirm"),
    path("email/<str:token>/", pages.email_link, name="recovery-email-link"),
]
