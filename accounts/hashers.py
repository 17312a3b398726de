from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """
    Argon2id at the OWASP Password Storage Cheat Sheet's minimum: 19 MiB, 2 passes, 1 lane.

    Django's own Argon2 hasher uses 100 MiB and 8 lanes, which on a 2-core server costs about
    0.23 s and 100 MiB per concurrent sign-in. Hashes keep the ``argon2`` prefix, so Django's hasher
    verifies them too, and hashes made with other parameters are upgraded at the next sign-in.
    """

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
