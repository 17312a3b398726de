"""
The bcryptjs hasher (nodeimport/hashers.py) against hashes made by bcryptjs itself.

The hashes below are one run of ``node tests/nodeapp/make_hashes.js`` (bcryptjs 2.4.3 writes
``$2a$``, 3.0.3 writes ``$2b$``; cost 8 as the tutorial's signup). bcryptjs uses the first 72
UTF-8 bytes of a password and ignores the rest, even inside a multibyte character.
"""

import time

import bcrypt
import pytest
from django.contrib.auth.hashers import (
    BCryptPasswordHasher,
    check_password,
    get_hasher,
    identify_hasher,
)
from django.test import override_settings

from authsite import settings as production_settings
from nodeimport import hashers
from nodeimport.hashers import BcryptjsPasswordHasher

WITH_BCRYPTJS = override_settings(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "nodeimport.hashers.BcryptjsPasswordHasher",
    ]
)

# (library, password, hash), as bcryptjs made them.
BCRYPTJS_HASHES = [
    ("2.4.3", "a" * 71, "$2a$08$BMYIt21yjyXtZTldefvLIOhHrnRXhR5ASHhwEc5Xja26mkHm0/N9."),
    ("3.0.3", "a" * 71, "$2b$08$gLkt1DN9KiepSZf5JOp5aO4DXbr8IZx5xuq9n/TB8rnutZHTOCod."),
    ("2.4.3", "a" * 72, "$2a$08$9Ae.8EeQbFT9P4t.w7c3zeGO4Lxt.OwyTKTQEoyx.7o3TiZv2ARaS"),
    ("3.0.3", "a" * 72, "$2b$08$PURH54uteIkR/.m2NKSqZup9Z4tycvK/qpIQOl0Lf15jxVEIglfhy"),
    ("2.4.3", "a" * 73, "$2a$08$0xi1hJjQNBqwZu9XWKrOTOphHl93EqGc3f/NtaI8n4uUEmPEZSpfi"),
    ("3.0.3", "a" * 73, "$2b$08$LyI/55kiUKunn6q0E2sdCuWUOPyDSqJqs4fzPnelzoxbSr2CGqRNa"),
    ("2.4.3", "a" * 100, "$2a$08$W5jfyGvOS0eCEMlVdt4i7eI5b3ADXq9qqyJIemv0HULtjgIF1gLvi"),
    ("3.0.3", "a" * 100, "$2b$08$rJ3iAhXeX.lCF9vhYlD7UOA0EVA9kM.qQ1j2QWCJs78np3QcLEufG"),
    ("2.4.3", "a" * 71 + "é", "$2a$08$GLiiSzcyQk1a8jRH5eDGs.E5m51h4Nf9GzX8.jT/Fy.b3sgx0fQiS"),
    ("3.0.3", "a" * 71 + "é", "$2b$08$02oK5fW8i0DU/hMfr2O9MeuJUMx.F6M6mU6dwjzopg2acn4FdSB7u"),
    ("2.4.3", "é" * 36, "$2a$08$WdX9gNbzYT8OQK5/R2wLt.vMzoSUUWi4p2mx.9eHNhpSD3/zZww5S"),
    ("3.0.3", "é" * 36, "$2b$08$Shv5WcRThuAplOoB9PcUweBdrnZgQAJUgtr/MMaytLz1VzfgIGcLG"),
    ("2.4.3", "é" * 50, "$2a$08$YpfvDjwVTDY3Yf3IedlbvOIViCtspE0CVC8XdC9A1aNqQtEpJgiYa"),
    ("3.0.3", "é" * 50, "$2b$08$6UIujLbzhID74mroYQV1Vex.zYs1wrkDD4s3cEyvJoYXjO2sZXVDS"),
    ("2.4.3", "🔑" * 18 + "!", "$2a$08$AgAYcS5goCTaRLdUW3nWWudcwUYdthtLsDjhaGFI7vLjzWuHWWLvG"),
    ("3.0.3", "🔑" * 18 + "!", "$2b$08$cjnLmVxM53Mj2PWiPUm4SuuRxOZw.I2XBisqc7J1fwtfzGhc7w0ay"),
    ("2.4.3", "日本語のパスワード", "$2a$08$EgHznqhU31PLCUVABdNRWe.chCxjrL/LyH.BXqzkz6rR1zvQ2nI72"),
    ("3.0.3", "日本語のパスワード", "$2b$08$V05N0Oh35jEIu94s70RepuhYGqbdqXeaWZK5elGhzgLO6oIVDmQ5W"),
    ("2.4.3", "nul\x00inside", "$2a$08$OFvD09E9IdNk34pzDmAlfep.cThWjk0MKReVbVQQdDZTYPGaDeaDu"),
    ("3.0.3", "nul\x00inside", "$2b$08$vA8ExUhR5Gpa/qR.1wIUAuJxOCp0jQFDrh8qziBif1b8owpOfdEvS"),
]
# bcryptjs 3.0.3 (2.4.3 crashes on a lone surrogate): "x\ud800y" as CESU-8 bytes.
LONE_SURROGATE = ("x\ud800y", "$2b$08$PPUIvxkwaJnosvXGtK7Aj.c48Ur.d3b7tk5qz.elJfVKbuxhLFcUq")

HASH_OF = {(library, password): node_hash for library, password, node_hash in BCRYPTJS_HASHES}


def stored(node_hash):
    return "bcryptjs$" + node_hash


@pytest.fixture(autouse=True)
def bcryptjs_listed():
    with WITH_BCRYPTJS:
        yield


@pytest.mark.parametrize(("library", "password", "node_hash"), BCRYPTJS_HASHES)
def test_every_bcryptjs_hash_verifies_with_its_password(library, password, node_hash):
    assert identify_hasher(stored(node_hash)).algorithm == "bcryptjs"
    assert check_password(password, stored(node_hash))
    assert not check_password("X" + password[1:], stored(node_hash))


@pytest.mark.parametrize("library", ["2.4.3", "3.0.3"])
@pytest.mark.parametrize(
    ("password", "also_accepted", "refused"),
    [
        # 71 bytes: every byte counts, the 72nd too.
        ("a" * 71, [], ["a" * 72, "a" * 70]),
        # 72 bytes: anything after them is ignored, as bcryptjs does.
        ("a" * 72, ["a" * 73, "a" * 72 + "anything"], ["a" * 71]),
        ("a" * 73, ["a" * 72, "a" * 100], ["a" * 71]),
        ("a" * 100, ["a" * 72, "a" * 72 + "b" * 28], ["a" * 71 + "b" * 29]),
        # The 72-byte limit falls inside "é" (C3 A9): bcryptjs kept only C3, so "è" (C3 A8)
        # matches too, and "ā" (C4 81) does not.
        ("a" * 71 + "é", ["a" * 71 + "è", "a" * 71 + "é and more"], ["a" * 71 + "ā", "a" * 71]),
        ("é" * 36, ["é" * 37], ["é" * 35 + "e"]),
        ("é" * 50, ["é" * 36], ["é" * 35]),
        ("🔑" * 18 + "!", ["🔑" * 18, "🔑" * 19], ["🔑" * 17]),
        ("nul\x00inside", [], ["nul", "nul\x00insidE"]),
    ],
)
def test_the_72_byte_rule_is_bcryptjs(library, password, also_accepted, refused):
    encoded = stored(HASH_OF[(library, password)])
    for other in also_accepted:
        assert check_password(other, encoded), other
    for other in refused:
        assert not check_password(other, encoded), other


def test_djangos_bcrypt_hasher_would_fail_on_these_passwords():
    """Why a hasher of our own: bcrypt 5 raises (a 500 at sign-in) where bcryptjs said yes."""
    node_hash = HASH_OF[("2.4.3", "a" * 100)]
    with pytest.raises(ValueError, match="72 bytes"):
        bcrypt.checkpw(("a" * 100).encode(), node_hash.encode())
    with pytest.raises(ValueError, match="72 bytes"):
        BCryptPasswordHasher().verify("a" * 100, "bcrypt$" + node_hash)
    assert BcryptjsPasswordHasher().verify("a" * 100, stored(node_hash))


def test_a_lone_surrogate_is_encoded_as_bcryptjs_3_does():
    password, node_hash = LONE_SURROGATE
    assert check_password(password, stored(node_hash))
    assert not check_password("x\ufffdy", stored(node_hash))


def test_the_2y_spelling_verifies_and_2x_does_not():
    node_hash = HASH_OF[("2.4.3", "a" * 71)]
    assert check_password("a" * 71, stored("$2y$" + node_hash[4:]))
    # PHP's "$2x$" marks hashes of its buggy 8-bit variant: not bcryptjs, not accepted.
    assert not check_password("a" * 71, stored("$2x$" + node_hash[4:]))


@pytest.mark.parametrize("garbage", ["", "$2a$08$short", "$2a$99$" + "a" * 53, "plain text"])
def test_a_malformed_hash_matches_no_password(garbage):
    assert not BcryptjsPasswordHasher().verify("anything", stored(garbage))


def test_bcryptjs_hashes_always_want_an_upgrade():
    hasher = get_hasher("bcryptjs")
    encoded = hasher.encode("a" * 100, hasher.salt())
    assert encoded.startswith("bcryptjs$$2b$08$")
    assert hasher.must_update(encoded)
    assert hasher.verify("a" * 72, encoded)
    assert hasher.decode(encoded)["work_factor"] == 8


def test_bcryptjs_is_last_in_production_and_argon2id_first():
    assert production_settings.PASSWORD_HASHERS[-1] == "nodeimport.hashers.BcryptjsPasswordHasher"
    assert production_settings.PASSWORD_HASHERS[0] == "accounts.hashers.Argon2idPasswordHasher"


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS)
def test_the_first_successful_check_rehashes_with_argon2id_without_revoking_sessions(make_user):
    user = make_user("carol")
    user.password = stored(HASH_OF[("3.0.3", "a" * 100)])
    user.save(update_fields=["password"])
    session_count = user.sessions.count()

    assert not user.check_password("wrong password")
    user.refresh_from_db()
    assert user.password.startswith("bcryptjs$")

    assert user.check_password("a" * 72 + "ignored by bcryptjs")
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=7168,t=5,p=1$")
    # From now on the password is what was typed, all of it: Argon2id has no 72-byte limit.
    assert user.check_password("a" * 72 + "ignored by bcryptjs")
    assert not user.check_password("a" * 100)
    assert user.sessions.count() == session_count


def test_a_failed_check_is_padded_to_the_preferred_hashers_cost(monkeypatch):
    slept = []
    # At calibration Argon2id took 20 times a cost-8 bcrypt check: a failed check sleeps for 19
    # times its own duration.
    monkeypatch.setattr(hashers, "_calibration", (0.2, 0.01))
    monkeypatch.setattr(hashers.time, "sleep", slept.append)
    node_hash = HASH_OF[("2.4.3", "a" * 71)]

    started = time.monotonic()
    assert not BcryptjsPasswordHasher().verify("wrong", stored(node_hash))
    took = time.monotonic() - started
    assert len(slept) == 1 and 0 < slept[0] <= 19 * took

    assert BcryptjsPasswordHasher().verify("a" * 71, stored(node_hash))
    assert len(slept) == 1  # a correct password is not padded: the upgrade hashes anyway


@pytest.mark.parametrize(
    ("elapsed", "rounds", "preferred", "bcrypt8", "padding"),
    [
        (0.013, 8, 0.025, 0.013, 0.012),  # as calibrated: up to the preferred hasher's cost
        (0.026, 8, 0.025, 0.013, 0.024),  # twice as slow now (load): the target doubles too
        (0.0065, 7, 0.025, 0.013, 0.0185),  # a cheaper hash is padded further
        (0.052, 10, 0.025, 0.013, 0.0),  # costlier than Argon2id: nothing to pad, the gap stays
        (5.0, 8, 0.025, 0.013, hashers.MAX_PADDING),  # descheduled: padding is capped
    ],
)
def test_padding_scales_with_the_load_the_check_itself_shows(elapsed, rounds, preferred, bcrypt8, padding):
    assert hashers.padding_for(elapsed, rounds, preferred, bcrypt8) == pytest.approx(padding)


def test_the_calibration_is_measured_again_when_the_hashers_change():
    hashers._calibration = (123.0, 1.0)
    with override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS):
        preferred, bcrypt8 = hashers.calibration()
        assert 0 < preferred < 123.0 and 0 < bcrypt8 < 1.0
    assert hashers._calibration is None
