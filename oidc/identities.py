"""
Which local user an ID token stands for, by ``(issuer, sub)`` (``proxyauth.ExternalIdentity``),
never by email alone.

- A known identity: its user.
- A new one: a new user (role ``user``, no usable password, a username in the proxy namespace
  that sign-up cannot reach: ``proxyauth.models.candidate_usernames``), exactly as proxy sign-in
  provisions; its email counts as verified when the provider says so.
- A new one whose email is a local account's: linked to that account only when the provider
  asserts ``email_verified`` **and** the account's address is verified; otherwise ``AccountExists``
  (the owner can sign in and link through ``POST /api/auth/oidc/<provider>/link``).
- Linking (signed in): the identity joins the caller, unless it is someone else's
  (``IdentityInUse``).
"""

from django.db import IntegrityError, transaction

from accounts.models import User, identity_key_fits
from proxyauth.models import ExternalIdentity, IdentityConflict
from proxyauth.verifier import VerifiedAssertion

MAX_EMAIL_LENGTH = 254


class SignInRefused(Exception):
    """Why an identity gets no session; ``code`` is what ``next`` receives."""

    code = "signin_refused"


class AccountExists(SignInRefused):
    code = "account_exists"


class IdentityInUse(SignInRefused):
    code = "identity_in_use"


class EmailMissing(SignInRefused):
    code = "email_required"


def asserted_verified(claims):
    return claims.get("email_verified") in (True, "true")


def _assertion(provider, claims):
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > MAX_EMAIL_LENGTH:
        raise EmailMissing()
    if not identity_key_fits(email.strip(), "email_key"):
        raise EmailMissing()
    return VerifiedAssertion(provider=provider.issuer, subject=claims["sub"], email=email, claims=claims)


def user_for_claims(provider, claims):
    """The user to sign in for verified ID token ``claims``."""
    identity = ExternalIdentity.objects.filter(provider=provider.issuer, subject=claims["sub"]).first()
    if identity is not None:
        return identity.user
    assertion = _assertion(provider, claims)
    try:
        user = ExternalIdentity.objects.user_for(assertion)
    except IdentityConflict as conflict:
        account = conflict.account
        if account is None or not (asserted_verified(claims) and account.email_verified):
            raise AccountExists() from None
        return link(provider, claims, account)
    if asserted_verified(claims) and not user.email_verified:
        User.objects.filter(pk=user.pk).update(email_verified=True)
        user.email_verified = True
    return user


def link(provider, claims, user):
    """Tie the identity to ``user`` (idempotent); ``IdentityInUse`` if it is someone else's."""
    try:
        with transaction.atomic():
            identity, _ = ExternalIdentity.objects.get_or_create(
                provider=provider.issuer, subject=claims["sub"], defaults={"user": user}
            )
    except IntegrityError:
        identity = ExternalIdentity.objects.get(provider=provider.issuer, subject=claims["sub"])
    if identity.user_id != user.pk:
        raise IdentityInUse()
    return user
