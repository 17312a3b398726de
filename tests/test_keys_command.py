"""``manage.py jwtkeys``: generates a key pair that ``JWT_PRIVATE_KEY`` accepts."""

import io
import stat

import pytest
from django.core.management import CommandError, call_command

from accounts import keys


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("jwtkeys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("algorithm", keys.ASYMMETRIC_ALGORITHMS)
def test_prints_a_usable_key_pair(algorithm):
    out, err = run(algorithm)
    private_pem = out[: out.index(keys.PEM_BEGIN + "PUBLIC KEY")]
    private_key = keys.load_private_key(private_pem, algorithm)
    [public_key] = keys.load_public_keys(out, algorithm)
    assert keys.public_pem(private_key) == keys.public_pem(public_key)
    assert f"kid {keys.key_id(public_key, algorithm)}" in err


def test_out_writes_the_files_private_one_readable_by_the_owner_only(tmp_path):
    out, _ = run("ES256", "--out", str(tmp_path))
    private_path, public_path = tmp_path / "jwt-private.pem", tmp_path / "jwt-public.pem"
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    private_key = keys.load_private_key(private_path.read_text(), "ES256")
    assert keys.public_pem(private_key) == public_path.read_text()
    assert f"JWT_PRIVATE_KEY={private_path}" in out


def test_out_never_overwrites(tmp_path):
    (tmp_path / "jwt-private.pem").write_text("keep me")
    with pytest.raises(CommandError, match="exists; not overwriting"):
        run("ES256", "--out", str(tmp_path))
    assert (tmp_path / "jwt-private.pem").read_text() == "keep me"
    assert not (tmp_path / "jwt-public.pem").exists()


def test_out_into_a_missing_directory_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot write the key files"):
        run("ES256", "--out", str(tmp_path / "missing"))


@pytest.mark.parametrize("algorithm", ["HS256", "ES384", "none"])
def test_only_asymmetric_algorithms(algorithm):
    with pytest.raises(CommandError, match="invalid choice"):
        run(algorithm)
