"""
Passwords of users imported from the Node.js tutorial backend, as bcryptjs hashed them.

The Node app stored ``bcryptjs.hashSync(password, 8)``: ``$2a$08$...`` (bcryptjs 2.x), ``$2b$``
(3.x) or ``$2y$`` (PHP's spelling of the same algorithm). The importer stores them unchanged behind
this hasher's prefix, ``bcryptjs$$2a$08$...``; the hasher is listed after authsite's Argon2id, so
Django's ``check_password`` re-hashes the password with Argon2id at the first successful sign-in
(``must_update``) and the bcrypt hash is gone.

Why not Django's ``BCryptPasswordHasher``: bcryptjs silently uses the first 72 UTF-8 bytes of a
password (a multibyte character may be cut), while bcrypt 5 raises ``ValueError`` for longer ones,
which would be a 500 at sign-in for exactly the users whose long passwords worked in Node. This
hasher cuts the bytes as bcryptjs did. Lone surrogates are encoded as bcryptjs 3 does (bcryptjs 2
crashes on them, so no such password exists in its databases).

Timing: a failed cost-8 bcrypt check (~13 ms here) is faster than authsite's Argon2id (~25 ms),
which an unknown username also costs (ModelBackend hashes for it). Left alone, a wrong password
would reveal "this username exists and has not signed in since the import". So a failed check is
padded to what the preferred hasher would cost at the current load (``padding_for``). A bcrypt hash
costlier than Argon2id (cost 10+ from other apps) cannot be padded down: that difference remains,
and is documented in the README.
"""

import threading
import time

import bcrypt
from django.contrib.auth.hashers import BCryptPasswordHasher, get_hasher
from django.core.signals import setting_changed
from django.dispatch import receiver

BCRYPTJS_MAX_BYTES = 72
# The bcrypt variants bcryptjs and PHP write; "$2x$" (PHP's buggy 8-bit variant) is not one.
BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")


def bcryptjs_bytes(password):
    """The bytes bcryptjs hashes for ``password``: its UTF-8, cut to the first 72 bytes."""
    return password.encode("utf-8", "surrogatepass")[:BCRYPTJS_MAX_BYTES]


class BcryptjsPasswordHasher(BCryptPasswordHasher):
    """A bcrypt hash made by bcryptjs: ``bcryptjs$<the bcrypt hash as Node stored it>``."""

    algorithm = "bcryptjs"
    rounds = 8  # the tutorial's cost; only for encode(), which authsite itself never needs

    def encode(self, password, salt):
        salt = salt if isinstance(salt, bytes) else salt.encode("ascii")  # Django's salt() is bytes
        data = bcrypt.hashpw(bcryptjs_bytes(password), salt)
        return f"{self.algorithm}${data.decode('ascii')}"

    def verify(self, password, encoded):
        started = time.monotonic()
        algorithm, data = encoded.split("$", 1)
        assert algorithm == self.algorithm
        try:
            correct = data.startswith(BCRYPT_PREFIXES) and bcrypt.checkpw(
                bcryptjs_bytes(password), data.encode("ascii")
            )
        except ValueError:  # a malformed hash (the importer lets none in): no password matches
            correct = False
        if not correct:
            pad_failed_check(started, data)
        return correct

    def must_update(self, encoded):
        return True


MAX_PADDING = 1.0  # seconds; a check descheduled for long is not stretched further
CALIBRATION_PAIRS = 5

_calibration = None
_calibration_lock = threading.Lock()


def calibration():
    """
    ``(preferred, bcrypt8)``: seconds the preferred (first) hasher takes to hash a password, as
    ModelBackend does for an unknown username, and seconds a cost-8 bcrypt check takes. Five
    back-to-back pairs, measured once per process (again when ``PASSWORD_HASHERS`` changes);
    the pair with the median ratio is kept, since padding uses the ratio and one pair's load
    may differ from another's.
    """
    global _calibration
    with _calibration_lock:
        if _calibration is None:
            hasher = get_hasher("default")
            node_hash = bcrypt.hashpw(b"calibration", bcrypt.gensalt(8))
            pairs = []
            for _ in range(CALIBRATION_PAIRS):
                started = time.monotonic()
                hasher.encode("calibration password", hasher.salt())
                preferred = time.monotonic() - started
                started = time.monotonic()
                bcrypt.checkpw(b"calibration password", node_hash)
                pairs.append((preferred, time.monotonic() - started))
            pairs.sort(key=lambda pair: pair[0] / pair[1])
            _calibration = pairs[len(pairs) // 2]
        return _calibration


def padding_for(elapsed, rounds, preferred, bcrypt8):
    """
    How long to sleep after a failed check of a cost-``rounds`` hash that took ``elapsed``
    seconds, so that it lasts as long as the preferred hasher would under the same load.

    The check's own duration tells the load: ``elapsed / expected`` is how much slower than at
    calibration the machine runs now, so the preferred hasher would take ``preferred`` times
    that. A fixed target would not do: under load both hashers slow down together (measured,
    see BENCHMARKS.md) and a fixed sleep leaves the bcrypt path visibly faster.
    """
    expected = bcrypt8 * 2 ** (rounds - 8)
    target = preferred * elapsed / expected
    return min(MAX_PADDING, max(0.0, target - elapsed))


def pad_failed_check(started, data):
    elapsed = time.monotonic() - started
    try:
        rounds = int(data.split("$")[2])
    except (IndexError, ValueError):
        rounds = 8
    time.sleep(padding_for(elapsed, rounds, *calibration()))


@receiver(setting_changed)
def forget_calibration(*, setting, **kwargs):
    global _calibration
    if setting == "PASSWORD_HASHERS":
        _calibration = None
