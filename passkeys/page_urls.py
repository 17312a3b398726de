from django.urls import path

from . import pages

# Under /account/.
urlpatterns = [
    path("passkeys/", pages.passkeys_page, name="passkeys-page"),
]
