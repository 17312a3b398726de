"""
authsite's own pages for the mailed links (server-rendered, no JavaScript), for clients that have
none (the tutorial's). Django's confirm-view pattern: the link's URL holds the token; that first
request checks it, keeps a stand-in in the server-side session (for a reset, a signed grant that
dies as the token does, so the session store never holds a reset token) and redirects to a URL
without it, answered with ``Referrer-Policy: no-referrer`` so the token never leaks through
``Referer``. The form page then
uses ``same-origin`` (Chromium posts forms from a ``no-referrer`` page with ``Origin: null``, which
the CSRF check refuses). Forms are CSRF-protected, the password validators apply, and the outcome
is what the API does (``recovery.services``). Token-checking requests count in the same
per-address throttles as the API.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect
from django.shortcuts import render as render_template
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods
from rest_framework import exceptions

from accounts.throttling import count_request
from authsite.exceptions import ServiceUnavailable

from . import services
from .throttling import EmailVerifyIPThrottle, ResetIPThrottle
from .tokens import (
    grant_matches,
    make_email_grant,
    make_reset_grant,
    read_email_grant,
    read_email_token,
    reset_user,
    user_for_uid,
)

RESET_SESSION_KEY = "_password_reset"
EMAIL_SESSION_KEY = "_email_token"


def render(request, template, context, status=200):
    return render_template(request, template, {"site_name": settings.SITE_NAME, **context}, status=status)


def page(throttle_class, counted_methods=("GET", "POST")):
    """A page: never cached, throttled per address (429/503 as a page), no-referrer unless it says."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                refused = None
                if request.method in counted_methods:
                    refused = count_request([throttle_class()], request)
                if refused is not None:
                    wait = refused.wait()
                    response = render(request, "recovery/message.html", {"title": "Too many attempts",
                                      "text": str(exceptions.Throttled(wait).detail)}, status=429)
                    response["Retry-After"] = str(wait)
                else:
                    response = view(request, *args, **kwargs)
            except ServiceUnavailable as exc:
                response = render(request, "recovery/message.html", {"title": "Unavailable",
                                  "text": str(exc.detail)}, status=503)
                response["Retry-After"] = str(exc.wait)
            response.headers.setdefault("Referrer-Policy", "no-referrer")
            add_never_cache_headers(response)
            return response

        return require_http_methods(["GET", "POST"] if "POST" in counted_methods else ["GET"])(wrapper)

    return decorate


def invalid_link(request):
    return render(request, "recovery/message.html", {
        "title": "This link does not work",
        "text": "The link is invalid, was used already, or has expired. Ask for a new one.",
    }, status=400)


@page(ResetIPThrottle, counted_methods=("GET",))
def reset_link(request, uid, token):
    """The mailed link: the token goes into the session, the browser to a URL without it."""
    user = reset_user(uid, token)
    if user is None:
        return invalid_link(request)
    # Not the token: a grant that dies as the token does (see recovery.tokens.make_reset_grant).
    request.session[RESET_SESSION_KEY] = {"uid": uid, "grant": make_reset_grant(user)}
    return redirect("recovery-reset-form", uid=uid)


@page(ResetIPThrottle)
def reset_form(request, uid):
    """Choose a new password (GET shows the form, POST sets it)."""
    link = request.session.get(RESET_SESSION_KEY) or {}
    user = user_for_uid(uid) if link.get("uid") == uid else None
    if user is None or not grant_matches(user, link.get("grant")):
        return invalid_link(request)
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_with_grant(user, link["grant"], form.cleaned_data["new_password1"])
        except services.LinkInvalid:
            return invalid_link(request)
        del request.session[RESET_SESSION_KEY]
        return render(request, "recovery/message.html", {
            "title": "Password changed",
            "text": "Your new password is set, and every session was signed out. Sign in with it in your app.",
        })
    response = render(request, "recovery/reset_form.html", {"form": form, "username": user.username},
                      status=400 if form.is_bound else 200)
    response["Referrer-Policy"] = "same-origin"
    return response


@page(EmailVerifyIPThrottle, counted_methods=("GET",))
def email_link(request, token):
    """The mailed link: as for the reset link, the token leaves the URL first."""
    found = read_email_token(token)
    if found is None:
        return invalid_link(request)
    request.session[EMAIL_SESSION_KEY] = make_email_grant(*found)
    return redirect("recovery-email-confirm")


@page(EmailVerifyIPThrottle)
def email_confirm(request):
    """Confirm the address with a button (POST): mail scanners that open links confirm nothing."""
    found = read_email_grant(request.session.get(EMAIL_SESSION_KEY))
    if found is None:
        return invalid_link(request)
    user, address = found
    if request.method == "POST":
        try:
            confirmed = services.confirm_email(user, address)
        except services.EmailTaken:
            return render(request, "recovery/message.html", {
                "title": "Address taken",
                "text": "Another account has this email address now; your account keeps its address.",
            }, status=400)
        del request.session[EMAIL_SESSION_KEY]
        if not confirmed:
            return invalid_link(request)
        return render(request, "recovery/message.html", {
            "title": "Email address confirmed",
            "text": f"{address} is confirmed as the address of your account.",
        })
    response = render(request, "recovery/email_confirm.html", {"address": address, "username": user.username})
    response["Referrer-Policy"] = "same-origin"
    return response
