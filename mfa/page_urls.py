from django.urls import path

from . import pages

# Under /account/ (with recovery's pages).
urlpatterns = [
    path("two-factor/", pages.two_factor, name="mfa-two-factor"),
]
