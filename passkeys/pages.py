"""
``/account/passkeys/``: authsite's own passkey page, for clients that have none (the tutorial's).
One static page; its script calls the API like any client (sign in with a password or a passkey,
then register, list, rename and delete passkeys), with the minimum WebAuthn needs: base64url to
ArrayBuffer for the options, and back for the credential. Tokens stay in the tab's memory (header
mode) or in the API's cookies (cookie mode); the page itself holds nothing and is never cached.
"""

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET


@require_GET
def passkeys_page(request):
    response = render(request, "passkeys/page.html", {"site_name": settings.SITE_NAME})
    response["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)
    return response
