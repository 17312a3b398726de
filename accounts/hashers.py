from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """
    Argon2id at one of the OWASP Password Storage Cheat Sheet's minimum configurations: 7 MiB,
    5 passes, 1 lane. The cheat sheet lists five (46 MiB/t=1, 19 MiB/t=2, 12 MiB/t=3, 9 MiB/t=4,
    7 MiB/t=5) as "an equal level of defense", differing only in trading memory for CPU. This one
    costs the least CPU here (14.4 ms against 17.9 ms for 19 MiB/t=2, best of 15) and holds a
    third of the memory per concurrent sign-in, which the server returns to the system after each
    hash (authsite.memory); BENCHMARKS.md, issue 16.

    Django's own Argon2 hasher uses 100 MiB and 8 lanes, which on a 2-core server costs about
    0.23 s and 100 MiB per concurrent sign-in. Hashes keep the ``argon2`` prefix, so Django's hasher
    verifies them too, and hashes made with other parameters are upgraded at the next sign-in.
    """

    time_cost = 5
    memory_cost = 7 * 1024
    parallelism = 1
