"""
A software WebAuthn authenticator and client for tests: a real one (ES256 keys made with
``cryptography``, ``none`` attestation, a sign counter per credential), speaking the JSON the
browser's ``PublicKeyCredential.toJSON()`` writes. It answers authsite's options as a browser
with a platform authenticator would, and lets a test bend one thing at a time (origin, RP id,
user verification, counter, challenge) to see each check refuse.

    authenticator = SoftAuthenticator()
    credential = authenticator.create(options)              # options: register/begin's JSON
    assertion = authenticator.get(options)                   # options: signin/begin's JSON
"""

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = "http://localhost:8080"
RP_ID = "localhost"
FLAG_UP, FLAG_UV, FLAG_BE, FLAG_BS, FLAG_AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class StoredCredential:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    user_handle: bytes
    rp_id: str
    sign_count: int = 0


class SoftAuthenticator:
    def __init__(self, origin=ORIGIN, counting=True):
        self.origin = origin
        self.counting = counting  # False: a synced passkey's authenticator, whose counter stays 0
        self.credentials: dict[bytes, StoredCredential] = {}

    def cose_key(self, private_key):
        numbers = private_key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def client_data(self, kind, challenge, origin):
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, options, origin=None, rp_id=None, user_verified=True, challenge=None, credential_id=None):
        """
        A new discoverable credential for ``options`` (register/begin's JSON): its JSON. With
        ``credential_id``, that stored credential's id and key again (a registration repeated).
        """
        rp_id = rp_id or options["rp"].get("id", RP_ID)
        if credential_id is None:
            private_key, credential_id = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
        else:
            private_key = self.credentials[credential_id].private_key
        stored = StoredCredential(credential_id, private_key, unb64url(options["user"]["id"]), rp_id)
        self.credentials[credential_id] = stored
        flags = FLAG_UP | FLAG_AT | (FLAG_UV if user_verified else 0)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", 0)
            + bytes(16) + struct.pack(">H", len(credential_id)) + credential_id + self.cose_key(private_key)
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self.client_data("webauthn.create", challenge or options["challenge"], origin)
        return {
            "id": b64url(credential_id), "rawId": b64url(credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation),
                         "transports": ["internal"]},
            "authenticatorAttachment": "platform", "clientExtensionResults": {},
        }

    def get(self, options, credential_id=None, origin=None, rp_id=None, user_verified=True, sign_count=None,
            challenge=None, user_handle=None):
        """An assertion for ``options`` (signin/begin's JSON) with ``credential_id`` (default: the only one)."""
        stored = self.credentials[credential_id] if credential_id else next(iter(self.credentials.values()))
        if sign_count is None:
            if self.counting:
                stored.sign_count += 1
            sign_count = stored.sign_count
        rp_id = rp_id or options.get("rpId", stored.rp_id)
        flags = FLAG_UP | (FLAG_UV if user_verified else 0)
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count)
        client_data = self.client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = stored.private_key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(stored.credential_id), "rawId": b64url(stored.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                         "signature": b64url(signature),
                         "userHandle": b64url(user_handle if user_handle is not None else stored.user_handle)},
            "authenticatorAttachment": "platform", "clientExtensionResults": {},
        }
