"""
The scale-out cluster: two authsite instances (production server, one worker each) on their own
loopback addresses, behind haproxy (deploy/haproxy.cfg), on one MariaDB database and one Redis
database. Not part of the SQLite/MariaDB suites (pytest.ini: norecursedirs); CI runs it as its own
step (`.ci/run`):

    SCALEOUT_DATABASE_URL=mysql://root@127.0.0.1:3306/h15_scaleout \\
    SCALEOUT_REDIS_URL=redis://127.0.0.1:6379/13 ./dev test tests/scaleout

The database named in SCALEOUT_DATABASE_URL is created (dropped first if left over) and dropped at
the end: name one that nothing else uses. The Redis keys live under a prefix of their own, deleted
at the end.
"""

import os
import secrets
import subprocess
import tempfile
from pathlib import Path

import dj_database_url
import MySQLdb
import pytest
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.scaleout.cluster import PYTHON, ROOT, Balancer, Instance, free_port

DATABASE_URL = os.environ.get("SCALEOUT_DATABASE_URL", "mysql://root@127.0.0.1:3306/h15_scaleout")
REDIS_URL = os.environ.get("SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/13")
INSTANCE_HOSTS = ["127.0.0.2", "127.0.0.3"]
BALANCER_HOST = "127.0.0.4"
# Sign-ins allowed per client address and minute across the cluster (the throttle test's N).
SIGNIN_RATE = 5
ROTATION_GRACE_SECONDS = 3


@pytest.fixture(scope="session")
def workdir():
    with tempfile.TemporaryDirectory(prefix="authsite-scaleout-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def database():
    """A fresh MariaDB database of the cluster's own; ``connect()`` opens a connection to it."""
    config = dj_database_url.parse(DATABASE_URL)
    assert config["ENGINE"] == "django.db.backends.mysql", "SCALEOUT_DATABASE_URL must be mysql://"
    name = config["NAME"]
    server = dict(host=config["HOST"] or "127.0.0.1", port=int(config["PORT"] or 3306),
                  user=config["USER"], password=config["PASSWORD"] or "", charset="utf8mb4")

    def execute(sql):
        connection = MySQLdb.connect(**server)
        try:
            connection.cursor().execute(sql)
        finally:
            connection.close()

    execute(f"DROP DATABASE IF EXISTS `{name}`")
    execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")

    class Database:
        url = DATABASE_URL

        @staticmethod
        def connect():
            return MySQLdb.connect(database=name, autocommit=True, **server)

    yield Database
    execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(scope="session")
def cache_prefix():
    prefix = f"h15-scaleout-{secrets.token_hex(4)}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"*{prefix}*"))
    if keys:
        client.delete(*keys)


def es256_key_files(directory, name):
    """A new P-256 key pair as PEM files: ``(private key path, public key path)``."""
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = directory / f"{name}.pem", directory / f"{name}.pub.pem"
    private.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption(),
    ))
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo,
    ))
    return private, public


@pytest.fixture(scope="session")
def signing_key(workdir):
    """One ES256 key pair shared by every instance (as a deployment must)."""
    return es256_key_files(workdir, "jwt-es256")[0]


@pytest.fixture(scope="session")
def instance_env(database, cache_prefix, signing_key):
    """The environment every instance gets: identical secrets and keys, shared database and cache."""
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "authsite.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_ALGORITHM": "ES256",
        "JWT_PRIVATE_KEY": str(signing_key),
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": database.url,
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": cache_prefix,
        # One balancer in front: its X-Forwarded-For entry is the client's address.
        "TRUSTED_PROXY_COUNT": "1",
        "THROTTLE_SIGNIN_IP": f"{SIGNIN_RATE}/min",
        "THROTTLE_SIGNUP_IP": "100000/hour",
        "JWT_ROTATE_REFRESH_TOKENS": "1",
        "JWT_ROTATION_GRACE_SECONDS": str(ROTATION_GRACE_SECONDS),
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="session")
def migrated(instance_env):
    subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"],
                   cwd=ROOT, env=instance_env, check=True)


class Cluster:
    def __init__(self, instances, balancer, workdir, env):
        self.instances, self.balancer, self.workdir, self.env = instances, balancer, workdir, env

    def instance(self, name):
        return next(i for i in self.instances if i.name == name)

    def log(self, name):
        return (self.workdir / f"{name}.log").read_text()

    def restart(self, name, env=None):
        """Start a new process for the instance ``name``: same address and port, and the
        cluster's environment, or ``env``."""
        old = self.instance(name)
        old.stop()
        new = Instance(name, old.host, old.port, env or self.env, old.log)
        self.instances[self.instances.index(old)] = new
        return new.start()


@pytest.fixture(scope="session")
def cluster(workdir, instance_env, migrated):
    instances = []
    balancer = None
    try:
        for number, host in enumerate(INSTANCE_HOSTS, start=1):
            name = f"app{number}"
            log = open(workdir / f"{name}.log", "a")
            instances.append(Instance(name, host, free_port(host), instance_env, log).start())
        balancer = Balancer(BALANCER_HOST, free_port(BALANCER_HOST), instances, workdir,
                            open(workdir / "haproxy.log", "a")).start()
        yield Cluster(instances, balancer, workdir, instance_env)
    finally:
        for process in [balancer, *instances]:
            if process is not None:
                process.stop()
