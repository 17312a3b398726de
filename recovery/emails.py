"""
The account mails, composed at delivery from outbox rows (``mail.composers``): the links and
their tokens are made here, at sending time, so no token is ever stored.

| kind               | to                        | sent when the row is delivered if ...               |
|--------------------|---------------------------|-----------------------------------------------------|
| ``password_reset`` | the address asked for     | an active account with a usable password has it      |
| ``password_changed`` | the account's address   | always (a notice)                                    |
| ``email_verify``   | the account's address     | the account still has it, unverified                 |
| ``email_change``   | the new address           | the account still has the address it had             |
| ``email_changed``  | the old address           | always (a notice)                                    |
"""

from django.conf import settings

from accounts.models import User
from mail.composers import composer, render

from .tokens import encode_uid, make_email_token, make_reset_token


def reset_link(user):
    return settings.PASSWORD_RESET_URL.format(uid=encode_uid(user), token=make_reset_token(user))


def email_link(user, address):
    return settings.EMAIL_VERIFY_URL.format(token=make_email_token(user, address))


def recovery_user(address):
    """The account a reset may go to (as Django's PasswordResetForm.get_users): active, usable password."""
    user = User.objects.with_email(address).filter(is_active=True).first()
    return user if user is not None and user.has_usable_password() else None


@composer("password_reset")
def password_reset(message):
    user = recovery_user(message.to)
    if user is None:
        return None
    return render(
        "password_reset", user.email, user=user, link=reset_link(user),
        minutes=settings.PASSWORD_RESET_TIMEOUT // 60,
    )


@composer("password_changed")
def password_changed(message):
    return render("password_changed", message.to, user=message.user)


def address_confirmation(message, user):
    """The ``message.kind`` mail with the link that confirms ``message.to`` as ``user``'s address."""
    return render(
        message.kind, message.to, user=user, link=email_link(user, message.to),
        days=settings.EMAIL_VERIFY_TIMEOUT // 86400,
    )


@composer("email_verify")
def email_verify(message):
    user = message.user
    if user is None or not user.is_active or user.email != message.to or user.email_verified:
        return None
    return address_confirmation(message, user)


@composer("email_change")
def email_change(message):
    user = message.user
    if user is None or not user.is_active or user.email != message.data.get("from"):
        return None
    return address_confirmation(message, user)


@composer("email_changed")
def email_changed(message):
    return render("email_changed", message.to, user=message.user, new_email=message.data.get("new", ""))
