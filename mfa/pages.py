"""
authsite's own two-factor page, ``/account/two-factor/`` (server-rendered, no JavaScript), for
users whose client has no second-factor screens: sign in with the password (and the current
code, once a factor is on), then set up the authenticator (QR code, confirm with a code, the
recovery codes shown once), make new recovery codes, or turn it off. What it does is what the API
does (``mfa.services``).

The page keeps its own short sign-in in the server-side session (``PAGE_KEY``: the user, a digest
of the password hash that passed, an expiry), never Django's login (which would open the admin to
staff without their code). A password change ends it. Forms are CSRF-protected; sign-in
attempts count in the API's sign-in throttles (per address, and per account when a password or
code is wrong).
"""

import time

from django.contrib.auth import authenticate
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from accounts.models import User
from accounts.throttling import FailedSigninThrottle, SigninIPThrottle, count_request
from authsite.exceptions import ServiceUnavailable
from recovery.pages import render

from . import pending, services
from .signin import must_set_up, passkey_is_required

PAGE_KEY = "_mfa_page"
PAGE_LIFETIME = 600  # seconds a page sign-in lasts
TEMPLATE = "mfa/two_factor.html"
# This page has no passkey step: signing such an account in with its password alone would let
# whoever has the password add an authenticator and so get around the passkey.
PASSKEY_REQUIRED = "This account's second factor is a passkey, which this page cannot ask for: use /account/passkeys/."


def page_user(request, stage="in"):
    """The user signed in to the page (at ``stage``: ``in``, or ``code`` while the code is asked)."""
    state = request.session.get(PAGE_KEY) or {}
    if state.get("stage") != stage or state.get("expires", 0) < time.time():
        return None
    user = User.objects.filter(pk=state.get("user"), is_active=True).first()
    if user is None or pending.digest(user.password) != state.get("password"):
        return None
    return user


def enter(request, user, stage, new_session=False):
    """Record the page sign-in of ``user`` at ``stage``; ``new_session``: once the password passed."""
    if new_session:
        request.session.cycle_key()  # against session fixation
    request.session[PAGE_KEY] = {
        "user": user.pk, "stage": stage, "password": pending.digest(user.password),
        "expires": time.time() + PAGE_LIFETIME,
    }


def show(request, user, status=200, **context):
    context.setdefault("stage", "in" if user else "signin")
    if user is not None:
        context.update(username=user.username, enabled=services.has_second_factor(user),
                       required=must_set_up(user))
    response = render(request, TEMPLATE, context, status=status)
    response["Referrer-Policy"] = "same-origin"
    return response


def throttled(request, refused):
    response = show(request, None, status=429, error=f"Too many attempts. Try again in {refused.wait()} seconds.")
    response["Retry-After"] = str(refused.wait())
    return response


def counted(request, throttles):
    """None when ``throttles`` let the attempt through; else the 429 page."""
    refused = count_request(throttles, request)
    return None if refused is None else throttled(request, refused)


@require_http_methods(["GET", "POST"])
def two_factor(request):
    try:
        response = dispatch(request)
    except ServiceUnavailable as exc:
        response = show(request, None, status=503, error=str(exc.detail))
    add_never_cache_headers(response)
    return response


def dispatch(request):
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "signout":
        request.session.pop(PAGE_KEY, None)
        return show(request, None)
    if action == "signin":
        return sign_in(request)
    if action == "code":
        return second_step(request)
    user = page_user(request)
    if user is None:
        if page_user(request, "code") is not None and action is None:
            return show(request, None, stage="code")
        return show(request, None, status=400 if action else 200,
                    error="Sign in first." if action else None)
    if action == "setup":
        try:
            secret, uri, qr_code = services.start_setup(user)
        except services.AlreadyEnabled:
            return show(request, user, status=400, error="The second factor is already on.")
        return show(request, user, stage="confirm", secret=secret, uri=uri, qr_code=qr_code)
    if action == "confirm":
        try:
            codes = services.confirm(request, user, request.POST.get("code", ""))
        except (services.NotSetUp, services.AlreadyEnabled):
            return show(request, user, status=400, error="Start the setup again.")
        if codes is None:
            return show(request, user, status=400, error="That code is not right. Set up again.")
        enter(request, user, "in")  # the factor's notice went out; the page stays signed in
        return show(request, user, recovery_codes=codes, message="The second factor is on.")
    if action in ("disable", "regenerate"):
        return change(request, user, action)
    return show(request, user)


def sign_in(request):
    username, password = request.POST.get("username", ""), request.POST.get("password", "")
    if not username or not password or len(password) > 4096:
        return show(request, None, status=400, error="Enter your username and password.")
    account = FailedSigninThrottle(username=username)
    refused = counted(request, [SigninIPThrottle(), account])
    if refused is not None:
        return refused
    user = authenticate(request, username=username, password=password)
    if user is None:
        return show(request, None, status=400, error="Invalid username or password!")
    account.refund(request)
    if services.has_second_factor(user):
        enter(request, user, "code", new_session=True)
        return show(request, None, stage="code")
    if passkey_is_required(user):
        return show(request, None, status=400, error=PASSKEY_REQUIRED)
    enter(request, user, "in", new_session=True)
    return show(request, user)


def second_step(request):
    user = page_user(request, "code")
    if user is None:
        return show(request, None, status=400, error="Sign in first.")
    account = FailedSigninThrottle(username=user.username)
    refused = counted(request, [SigninIPThrottle(), account])
    if refused is not None:
        return refused
    if not services.check_second_factor(request, user, request.POST.get("code", "")):
        return show(request, None, status=400, stage="code", error="That code is not right.")
    account.refund(request)
    enter(request, user, "in")
    return show(request, user)


def change(request, user, action):
    if not services.has_second_factor(user):
        return show(request, user, status=400, error="The second factor is off.")
    account = FailedSigninThrottle(username=user.username)
    refused = counted(request, [account])
    if refused is not None:
        return refused
    password, code = request.POST.get("password") or None, request.POST.get("code") or None
    if not services.proves_owner(user, password=password, code=code):
        return show(request, user, status=400, error="Enter your password or a current code.")
    account.refund(request)
    if action == "disable":
        services.disable(request, user)
        enter(request, user, "in")
        return show(request, user, message="The second factor is off.")
    codes = services.regenerate_recovery_codes(request, user)
    return show(request, user, recovery_codes=codes, message="New recovery codes: the old ones no longer work.")
