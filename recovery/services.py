"""
What recovery does, shared by the API (``recovery.views``), authsite's own pages
(``recovery.pages``) and the admin. Each function states its side effects; mail only ever goes
into the outbox (``mail.outbox.enqueue``), to be sent by the worker after the response.
"""

import logging

from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction

from accounts.models import User, identity_key
from accounts.security import log_event
from accounts.throttling import clear_failed_signins
from mail.outbox import enqueue

from .tokens import grant_matches


class LinkInvalid(Exception):
    """A reset link that does not (or no longer) work."""


class EmailTaken(Exception):
    """Another account has the address (compared as sign-up compares: caseless, NFKC)."""


def request_password_reset(address):
    """
    Queue a reset mail for ``address``: one INSERT, the same for every address. Whether an account
    has it is decided by the worker (``recovery.emails.password_reset``), so the request's work
    and timing do not depend on it.
    """
    enqueue("password_reset", address)


def send_password_reset(user):
    """Queue a reset mail to ``user``'s address (the admin action)."""
    enqueue("password_reset", user.email, user=user)


def reset_password(user, new_password):
    """
    Set ``user``'s new password (the link then stops working) and, as a reset proves the owner:
    end every session (the new hash no longer matches theirs: ``Session.password_digest``), clear
    the failed sign-ins counted on the account, mark the address verified (only it received the
    link), and queue a notice to it.
    """
    with transaction.atomic():
        user.set_password(new_password)
        user.email_verified = True
        user.save(update_fields=["password", "email_verified"])
        enqueue("password_changed", user.email, user=user)
    clear_failed_signins(user.username)
    log_event("password_changed", user=user.pk, level=logging.INFO)
    log_event("password_reset", user=user.pk, level=logging.INFO)


def reset_with_link(user, token, new_password):
    """
    ``reset_password`` under the user's row lock, the token checked again there, so a link works
    once even when used twice at the same moment (LinkInvalid for the second).
    """
    reset_if(user, lambda locked: default_token_generator.check_token(locked, token), new_password)


def reset_with_grant(user, grant, new_password):
    """As ``reset_with_link``, for the reset page's session grant (``tokens.make_reset_grant``)."""
    reset_if(user, lambda locked: grant_matches(locked, grant), new_password)


def reset_if(user, still_valid, new_password):
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk=user.pk, is_active=True).first()
        if locked is None or not still_valid(locked):
            raise LinkInvalid()
        reset_password(locked, new_password)


def send_verification(user):
    """Queue a verification mail to ``user``'s address (no-op when it is verified already)."""
    if user.email and not user.email_verified:
        enqueue("email_verify", user.email, user=user)


def remind_unverified(request, user):
    """
    A sign-in refused for an unverified address (``EMAIL_VERIFICATION=mandatory``): the owner cannot
    sign in to ask for the link, so it is sent again, at most as often as the resend endpoint allows.
    """
    from .throttling import EmailResendThrottle

    if EmailResendThrottle(user=user).allow_request(request, None):
        send_verification(user)


def email_taken(address, user):
    return User.objects.with_email(address).exclude(pk=user.pk).exists()


def request_email_change(user, address):
    """Queue a confirmation link to the new ``address``; the account keeps its address until followed."""
    if email_taken(address, user):
        raise EmailTaken()
    enqueue("email_change", address, user=user, data={"from": user.email})
    log_event("email_change_requested", user=user.pk, level=logging.INFO)


def confirm_email(user, address):
    """
    ``user`` proved it receives mail at ``address`` (an email token): mark it verified, or, for a
    new address, switch to it (EmailTaken if another account took it meanwhile) and queue a notice
    to the old one. False when the link was used already (the account no longer has its address).
    """
    old = user.email
    if address == old:
        if not user.email_verified:
            User.objects.filter(pk=user.pk).update(email_verified=True)
            user.email_verified = True
            log_event("email_verified", user=user.pk, level=logging.INFO)
        return True
    if email_taken(address, user):
        raise EmailTaken()
    try:
        with transaction.atomic():
            # Conditional: of two uses of one link, only the first finds the old address.
            changed = User.objects.filter(pk=user.pk, email=old).update(
                email=address, email_key=identity_key(address), email_verified=True
            )
            if changed:
                enqueue("email_changed", old, user=user, data={"new": address})
    except IntegrityError:
        raise EmailTaken() from None
    if changed:
        user.email, user.email_verified = address, True
        log_event("email_changed", user=user.pk, level=logging.INFO)
    return bool(changed)
