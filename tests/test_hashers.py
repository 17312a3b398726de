"""Password hashing in production settings: Argon2id first, at no less than OWASP's minimum."""

from django.conf import settings as test_settings
from django.utils.module_loading import import_string

from authsite import settings as production_settings


def test_argon2id_is_the_preferred_hasher():
    assert production_settings.PASSWORD_HASHERS[0] == "accounts.hashers.Argon2idPasswordHasher"


def test_argon2id_parameters_meet_owasp_minimum():
    hasher = import_string(production_settings.PASSWORD_HASHERS[0])()
    encoded = hasher.encode("correct horse 12", hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=7168,t=5,p=1$")
    assert hasher.verify("correct horse 12", encoded)
    assert not hasher.verify("correct horse 13", encoded)


def test_other_hashes_verify_and_are_rehashed_to_current_parameters():
    algorithms = [import_string(path).algorithm for path in production_settings.PASSWORD_HASHERS]
    assert {"pbkdf2_sha256", "argon2"} <= set(algorithms)
    hasher = import_string(production_settings.PASSWORD_HASHERS[0])()
    stronger_django_default = "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$AAAA"
    assert hasher.must_update(stronger_django_default)


def test_fast_hasher_only_in_test_settings():
    assert test_settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert "MD5" not in " ".join(production_settings.PASSWORD_HASHERS)
