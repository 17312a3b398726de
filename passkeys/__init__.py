"""
Passkeys (WebAuthn): register them while signed in, list, rename and delete them, and sign in
with one alone (discoverable credentials, user verification required).

The WebAuthn library is ``webauthn`` (py_webauthn, Duo Labs), chosen over Yubico's ``fido2``:

- API fit: py_webauthn is stateless functions (``generate_*_options``, ``verify_*_response``) that
  take the expected challenge, origins, RP id and stored sign count as arguments, so authsite keeps
  challenges in its own table (single use under a row delete, bound to ceremony and user) and the
  views stay small. ``fido2.server.Fido2Server`` hands back an opaque ``state`` dict to keep
  between begin and complete and checks origins through a callback; storing that state
  server-side is what we do anyway, with more glue.
- Browser JSON: py_webauthn reads and writes the WebAuthn Level 3 JSON forms
  (``PublicKeyCredential.toJSON()``: base64url fields, camelCase), which the page and API
  clients send as is; fido2 has its own mapping.
- Attestation: both verify the ``none``, ``packed``, ``tpm``, ``android-key``, ``apple`` ...
  statements; authsite asks for ``none`` (no trust decisions on authenticator models), and either
  library accepts it. Counters: py_webauthn compares them (authsite does it itself, after the
  signature, to tell a clone from a bad signature in the security log).
- Maintenance and typing: both are actively released (webauthn 3.0.1, 2026-09; fido2 2.2.1,
  2026-06) and ship ``py.typed``. fido2 needs only ``cryptography``; py_webauthn adds ``cbor2``,
  ``pyasn1(-modules)`` and ``pyOpenSSL`` (certificate-chain checks of attestation), pinned in
  requirements.txt.

Modules: ``models`` (Passkey, PasskeyChallenge), ``ceremonies`` (what registration and sign-in
check), ``views``/``serializers``/``urls`` (the API), ``pages`` (/account/passkeys/), ``emails``
(notices), ``checks`` (relying-party configuration), ``admin``.
"""
