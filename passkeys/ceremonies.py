"""
The two WebAuthn ceremonies, as authsite runs them (py_webauthn does the cryptography and the
spec's checks; see the package docstring for why that library):

- registration: ``registration_options(user)`` → ``verify_registration(user, credential)`` →
  ``save_passkey(user, verified, name)``: a
  discoverable credential (resident key required), user verification required, no attestation
  asked for; the user's existing passkeys are excluded, so one authenticator holds one of them.
- authentication: ``authentication_options(user=None)`` → ``verify_assertion(credential, user=None)``.
  Without ``user`` (passwordless sign-in) the options allow any discoverable credential; with one
  (a second-factor step after the password, wired by the mfa app) they list that user's passkeys
  and the challenge is bound to that user, so an assertion of another account's passkey fails.

What ``complete`` checks, in order: the credential parses; its clientDataJSON's challenge is one
that authsite issued for this ceremony (and user) and not used or expired (the row is consumed
here, whatever follows); the credential is known (sign-in) and its account active; then py_webauthn
checks type, challenge, origin (``PASSKEY_ORIGINS``), RP id hash (``PASSKEY_RP_ID``), user
presence and verification, and the signature; last, the sign counter (``check_sign_count``).

Every refusal raises ``PasskeyRefused`` with a ``reason`` for the security log; the views answer
one message per ceremony outcome, so a failed sign-in never tells whether the credential exists.
"""

import functools
import secrets

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .models import ChallengeInvalid, Passkey, PasskeyChallenge, credential_key

# What parsing attacker-chosen base64, CBOR and JSON can raise besides py_webauthn's own errors.
MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)
KNOWN_TRANSPORTS = {transport.value for transport in AuthenticatorTransport}


class PasskeyRefused(Exception):
    """A ceremony's response refused; ``reason`` says why (for the log, never for the client)."""

    def __init__(self, reason, detail=""):
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = str(detail)


class DuplicatePasskey(PasskeyRefused):
    """The credential is registered already (to this account or another)."""


class StaleSignCount(PasskeyRefused):
    """A valid signature with a counter not above the stored one: a cloned authenticator, or a replay."""


def timeout_ms():
    return settings.PASSKEY_CHALLENGE_TIMEOUT * 1000


def descriptors(passkeys):
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(passkey.credential_id),
            transports=[AuthenticatorTransport(t) for t in passkey.transports if t in KNOWN_TRANSPORTS] or None,
        )
        for passkey in passkeys
    ]


def registration_options(user):
    """
    PublicKeyCredentialCreationOptions (JSON) for a new passkey of ``user``; issues the challenge.
    The WebAuthn user.id is random (never the primary key: authenticators show it to any page of
    the RP id), one per account: that of the user's passkeys, else a new one, kept with the challenge.
    """
    passkeys = list(user.passkeys.all())
    user_handle = passkeys[0].user_handle if passkeys else bytes_to_base64url(secrets.token_bytes(32))
    options = generate_registration_options(
        rp_id=settings.PASSKEY_RP_ID,
        rp_name=settings.PASSKEY_RP_NAME,
        user_id=base64url_to_bytes(user_handle),
        user_name=user.username,
        user_display_name=user.username,
        challenge=PasskeyChallenge.objects.issue(PasskeyChallenge.REGISTRATION, user, user_handle),
        timeout=timeout_ms(),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=descriptors(passkeys),
    )
    return options_to_json_dict(options)


def claim_challenge(client_data_json, ceremony, user):
    """
    Consume the challenge the response signed: ``(challenge, its row)``; ``PasskeyRefused("challenge")``
    if it is not ours.
    """
    try:
        challenge = parse_client_data_json(client_data_json).challenge
    except MALFORMED as exc:
        raise PasskeyRefused("malformed", exc) from None
    try:
        row = PasskeyChallenge.objects.consume(challenge, ceremony, user)
    except ChallengeInvalid as exc:
        raise PasskeyRefused("challenge", exc) from None
    return challenge, row


def verify_registration(user, credential):
    """
    Verify ``credential`` (the JSON of ``navigator.credentials.create()``) against a registration
    challenge issued to ``user``, which is used up whatever the outcome. Returns py_webauthn's
    ``VerifiedRegistration`` with the transports the browser reported (``.transports``) and the
    user handle the options gave (``.user_handle``); raises
    ``PasskeyRefused``. Nothing is stored: ``save_passkey`` does that.
    """
    try:
        parsed = parse_registration_credential_json(credential)
    except MALFORMED as exc:
        raise PasskeyRefused("malformed", exc) from None
    challenge, row = claim_challenge(parsed.response.client_data_json, PasskeyChallenge.REGISTRATION, user)
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=settings.PASSKEY_RP_ID,
            expected_origin=list(settings.PASSKEY_ORIGINS),
            require_user_verification=True,
        )
    except MALFORMED as exc:
        raise PasskeyRefused("verification", exc) from None
    verified.transports = [t.value for t in parsed.response.transports or []]
    verified.user_handle = row.user_handle
    return verified


def save_passkey(user, verified, name):
    """Store a verified registration as ``user``'s passkey ``name`` (``DuplicatePasskey`` if its id is stored)."""
    try:
        with transaction.atomic():
            return Passkey.objects.create(
                user=user,
                name=name,
                credential_id=bytes_to_base64url(verified.credential_id),
                credential_key=credential_key(verified.credential_id),
                user_handle=verified.user_handle,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=verified.transports,
                aaguid=verified.aaguid,
                backed_up=verified.credential_backed_up,
            )
    except IntegrityError:
        raise DuplicatePasskey("duplicate") from None


def authentication_options(user=None):
    """
    PublicKeyCredentialRequestOptions (JSON), user verification required; issues the challenge.
    Without ``user``: empty allowCredentials (the authenticator offers its discoverable
    credentials). With ``user``: that user's passkeys, the challenge bound to them.
    """
    options = generate_authentication_options(
        rp_id=settings.PASSKEY_RP_ID,
        challenge=PasskeyChallenge.objects.issue(PasskeyChallenge.AUTHENTICATION, user),
        timeout=timeout_ms(),
        allow_credentials=descriptors(user.passkeys.all()) if user is not None else [],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json_dict(options)


def verify_assertion(credential, user=None):
    """
    The passkey that signed ``credential`` (the JSON of ``navigator.credentials.get()``), checked
    against an authentication challenge issued with the same ``user`` (None: passwordless), which
    is used up. Raises ``PasskeyRefused`` (``StaleSignCount`` for a clone or replay). On success
    the passkey's counter and last use are updated; the account's state (active, verified email)
    is the caller's to judge.
    """
    try:
        parsed = parse_authentication_credential_json(credential)
    except MALFORMED as exc:
        raise PasskeyRefused("malformed", exc) from None
    challenge, _ = claim_challenge(parsed.response.client_data_json, PasskeyChallenge.AUTHENTICATION, user)
    passkeys = Passkey.objects.select_related("user")
    if user is not None:
        passkeys = passkeys.filter(user=user)
    passkey = passkeys.filter(credential_key=credential_key(parsed.raw_id)).first()
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=settings.PASSKEY_RP_ID,
            expected_origin=list(settings.PASSKEY_ORIGINS),
            # An unknown credential is checked against a stand-in key, so that it fails after
            # the same work as a known one: the time taken does not tell whether it exists.
            credential_public_key=bytes(passkey.public_key) if passkey else stand_in_public_key(),
            # The counter is compared below, after the signature: a stale count with a valid
            # signature is a clone, which the log must tell from a bad signature.
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except MALFORMED as exc:
        raise PasskeyRefused("verification" if passkey else "unknown_credential", exc) from None
    if passkey is None:  # a signature by the stand-in key nobody holds: cannot happen
        raise PasskeyRefused("unknown_credential")
    handle = parsed.response.user_handle
    if handle is not None and bytes_to_base64url(handle) != passkey.user_handle:
        raise PasskeyRefused("user_handle", f"passkey {passkey.pk}")
    record_use(passkey, verified.new_sign_count)
    return passkey


@functools.cache
def stand_in_public_key():
    """A P-256 public key (COSE) whose private key is thrown away: checks unknown credentials."""
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})


def record_use(passkey, sign_count):
    """
    The counter rule (WebAuthn §6.1.1): an authenticator that counts (a non-zero counter, now or
    stored) must present a count above the stored one; authenticators that do not count (synced
    passkeys report 0) are not judged. Updated conditionally, so of two concurrent assertions with
    one count only one passes.
    """
    now = timezone.now()
    if sign_count == 0 and passkey.sign_count == 0:
        Passkey.objects.filter(pk=passkey.pk).update(last_used_at=now)
    elif not Passkey.objects.filter(pk=passkey.pk, sign_count__lt=sign_count).update(
        sign_count=sign_count, last_used_at=now
    ):
        raise StaleSignCount("sign_count", f"passkey {passkey.pk}: presented {sign_count}, stored {passkey.sign_count}")
    passkey.sign_count, passkey.last_used_at = max(sign_count, passkey.sign_count), now
