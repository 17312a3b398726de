"""
Several authsite instances behind a real load balancer (haproxy, round-robin) on one MariaDB and
one Redis: what a user signs in to on one instance holds on every other, and losing an instance
mid-load loses nothing that was acknowledged. Requests go through the balancer, whose
``X-Served-By`` header (added by the test's copy of deploy/haproxy.cfg) names the instance, except
where a test must reach one given instance (it says so).
"""

import itertools
import json
import secrets
import threading
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

from tests.scaleout.conftest import ROTATION_GRACE_SECONDS, SIGNIN_RATE, es256_key_files

PASSWORD = "scale-out pass 42"
# Sign-ins from addresses of their own, so that the throttle test's budget is untouched (9 sign-ins
# in the whole module, under SIGNIN_RATE per minute on each address).
SIGNIN_SOURCES = itertools.cycle(["127.0.0.7", "127.0.0.8", "127.0.0.9"])


def served_by(response):
    return response.headers["X-Served-By"]


def sign_up(balancer, username=None):
    username = username or f"u{secrets.token_hex(6)}"
    response = balancer.request("POST", "/api/auth/signup", body={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD,
    })
    assert response.status == 200, response.body
    return username


def sign_in(balancer, username):
    response = balancer.request("POST", "/api/auth/signin", source=next(SIGNIN_SOURCES),
                                body={"username": username, "password": PASSWORD})
    assert response.status == 200, response.body
    return response


def on_another_instance(balancer, than, method, path, **kwargs):
    """Repeat a request (an idempotent one) until an instance other than ``than`` answers it."""
    for _ in range(10):
        response = balancer.request(method, path, **kwargs)
        if served_by(response) != than:
            return response
    raise AssertionError(f"the balancer sent 10 requests in a row to {than}")


def test_signed_in_on_one_instance_the_token_works_on_another(cluster):
    balancer = cluster.balancer
    signin = sign_in(balancer, sign_up(balancer))
    token = signin.json()["accessToken"]
    response = on_another_instance(balancer, served_by(signin), "GET", "/api/test/user",
                                   headers={"x-access-token": token})
    assert response.status == 200
    assert response.body == b"User Content."


def test_revoked_on_one_instance_refused_at_the_next_request_on_another(cluster):
    balancer = cluster.balancer
    tokens = sign_in(balancer, sign_up(balancer)).json()
    headers = {"x-access-token": tokens["accessToken"]}
    signout = balancer.request("POST", "/api/auth/signout",
                               body={"refreshToken": tokens["refreshToken"]})
    assert signout.status == 200
    assert signout.json() == {"message": "You've been signed out!"}
    response = on_another_instance(balancer, served_by(signout), "GET", "/api/test/user",
                                   headers=headers)
    assert response.status == 401
    assert response.json() == {"message": "Unauthorized!"}
    refresh = balancer.request("POST", "/api/auth/refreshtoken",
                               body={"refreshToken": tokens["refreshToken"]})
    assert refresh.status == 403
    assert refresh.json() == {"message": "Refresh token is not in database!"}


def burst(balancer, source, count, headers=None):
    """``count`` concurrent failed sign-ins from the loopback address ``source``."""
    results = [None] * count
    gate = threading.Barrier(count)

    def attempt(index):
        gate.wait(10)
        results[index] = balancer.request(
            "POST", "/api/auth/signin", source=source, headers=headers,
            body={"username": f"nobody{index}", "password": "wrong password 1"},
        )

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_throttles_count_across_instances_per_real_client_address(cluster):
    balancer = cluster.balancer
    first = burst(balancer, "127.0.0.5", 3 * SIGNIN_RATE)
    statuses = sorted(r.status for r in first)
    # Exactly N of the burst pass (401: wrong password) although both instances served it.
    assert statuses == [401] * SIGNIN_RATE + [429] * (2 * SIGNIN_RATE)
    assert {served_by(r) for r in first} == {i.name for i in cluster.instances}
    refused = next(r for r in first if r.status == 429)
    assert int(refused.headers["Retry-After"]) > 0
    # A client cannot buy a fresh budget by writing its own X-Forwarded-For: the balancer appends
    # the real address, and that is the one counted.
    forged = burst(balancer, "127.0.0.5", 2, headers={"X-Forwarded-For": "203.0.113.9"})
    assert [r.status for r in forged] == [429, 429]
    # Another client address (the balancer's X-Forwarded-For, not the balancer's own address
    # that every request comes from) has its own budget.
    other = burst(balancer, "127.0.0.6", SIGNIN_RATE)
    assert [r.status for r in other] == [401] * SIGNIN_RATE
    logged = [json.loads(line[line.index("{"):]) for name in ("app1", "app2")
              for line in cluster.log(name).splitlines() if '"event": "throttled"' in line]
    assert {event["ip"] for event in logged} == {"127.0.0.5"}


def test_refresh_token_reuse_detected_across_instances(cluster):
    balancer = cluster.balancer
    signin = sign_in(balancer, sign_up(balancer))
    first = signin.json()["refreshToken"]
    rotated = balancer.request("POST", "/api/auth/refreshtoken", body={"refreshToken": first})
    assert rotated.status == 200
    second = rotated.json()["refreshToken"]
    assert second != first
    # Within the grace window every instance hands the same successor (an HMAC under the shared
    # DJANGO_SECRET_KEY): concurrent tabs agree whichever instance they reach.
    again = on_another_instance(balancer, served_by(rotated), "POST", "/api/auth/refreshtoken",
                                body={"refreshToken": first})
    assert (again.status, again.json()["refreshToken"]) == (200, second)
    time.sleep(ROTATION_GRACE_SECONDS + 0.5)
    # The reuse goes to the instance that did not rotate, straight (a retry through the balancer
    # could reach the rotating one first, and the reuse is detected only once).
    detector = next(i for i in cluster.instances if i.name != served_by(rotated))
    reuse = detector.request("POST", "/api/auth/refreshtoken", body={"refreshToken": first})
    assert reuse.status == 403
    assert reuse.json() == {"message": "Refresh token is not in database!"}
    assert "refresh_token_reuse" in cluster.log(detector.name)
    # The reuse revoked the whole session, on every instance: the current token is dead too.
    current = balancer.request("POST", "/api/auth/refreshtoken", body={"refreshToken": second})
    assert current.status == 403
    assert current.json() == {"message": "Refresh token is not in database!"}


def test_jwks_identical_on_every_instance(cluster):
    documents = [i.request("GET", "/.well-known/jwks.json") for i in cluster.instances]
    documents.append(cluster.balancer.request("GET", "/.well-known/jwks.json"))
    assert all(d.status == 200 for d in documents)
    keys = documents[0].json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "EC"
    assert all(d.json() == documents[0].json() for d in documents)


def test_signing_key_rolled_one_instance_at_a_time_logs_nobody_out(cluster):
    """
    README's procedure: (1) every instance publishes and accepts the new public key while still
    signing with the old one; (2) instance by instance, sign with the new key and keep the old
    public key; (3) after an access-token lifetime, drop the old one. No access token is refused
    at any step, whichever instance it reaches.
    """
    balancer, env = cluster.balancer, cluster.env
    old_private = env["JWT_PRIVATE_KEY"]
    old_public = str(cluster.workdir / "jwt-es256.pub.pem")
    Path(old_public).write_text(
        load_pem_private_key(Path(old_private).read_bytes(), None).public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode())
    new_private, new_public = es256_key_files(cluster.workdir, "jwt-es256-new")
    steps = [
        {"JWT_PREVIOUS_PUBLIC_KEYS": str(new_public)},                                  # (1)
        {"JWT_PRIVATE_KEY": str(new_private), "JWT_PREVIOUS_PUBLIC_KEYS": old_public},  # (2)
    ]
    username = sign_up(balancer)
    tokens = [sign_in(balancer, username).json()["accessToken"]]
    for step in steps:
        for instance in list(cluster.instances):
            cluster.restart(instance.name, env={**env, **step})
            wait_until(lambda: balancer.states()[instance.name] == "UP", 15)
            tokens.append(sign_in(balancer, username).json()["accessToken"])
            # Every token issued so far, by either key, works on every instance.
            for token in tokens:
                for other in cluster.instances:
                    response = other.request("GET", "/api/test/user",
                                             headers={"x-access-token": token})
                    assert response.status == 200, (other.name, response.body)
    kids = {jwt.get_unverified_header(token)["kid"] for token in tokens}
    assert len(kids) == 2
    published = {key["kid"] for key in balancer.request("GET", "/.well-known/jwks.json").json()["keys"]}
    assert published == kids
    cluster.env = {**env, **steps[-1]}


class Load:
    """
    Clients signing new users up (a write each) and reading the public board through the
    balancer, each request recorded with when it started and what came back, until stopped.
    """

    def __init__(self, balancer, clients=4):
        self.balancer = balancer
        self.records = []  # (started, kind, status or exception name, served by, username)
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(clients)]

    def run(self, client):
        for count in itertools.count():
            if self.stopping.is_set():
                return
            started = time.monotonic()
            username = f"load{client}x{count}x{secrets.token_hex(3)}"
            if count % 2:
                kind, method, path, body = "read", "GET", "/api/test/all", None
            else:
                kind, method, path = "signup", "POST", "/api/auth/signup"
                body = {"username": username, "email": f"{username}@example.com",
                        "password": PASSWORD}
            try:
                response = self.balancer.request(method, path, body=body, timeout=10)
                outcome, server = response.status, response.headers.get("X-Served-By")
            except OSError as exc:
                outcome, server = type(exc).__name__, None
            self.records.append((started, kind, outcome, server, username))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(30)

    def acknowledged_signups(self):
        return {r[4] for r in self.records if r[1] == "signup" and r[2] == 200}


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return time.monotonic()


def test_instance_killed_mid_load_loses_nothing_and_a_restarted_one_rejoins(cluster, database):
    balancer, victim = cluster.balancer, cluster.instances[0]
    with Load(balancer) as load:
        wait_until(lambda: sum(r[3] == victim.name for r in load.records) >= 10, 30)
        killed = time.monotonic()
        victim.kill()  # SIGKILL to its whole process group: a crash, nothing flushed or finished
        wait_until(victim.group_gone, 5)
        marked_down = wait_until(lambda: balancer.states()[victim.name] == "DOWN", 10)
        wait_until(lambda: time.monotonic() > marked_down + 2, 5)
    records = load.records
    after_down = [r for r in records if r[0] > marked_down]
    # The balancer's health check took the dead instance out...
    assert after_down and all(r[3] != victim.name for r in after_down)
    # ...and no server error nor dropped connection reached a client after that.
    assert [r for r in after_down if not (isinstance(r[2], int) and r[2] < 500)] == []
    assert {r[2] for r in after_down} == {200}
    # The load ran on both sides of the kill.
    assert any(r[0] < killed and r[3] == victim.name for r in records)
    assert any(r[1] == "signup" and r[2] == 200 for r in after_down)
    # Every acknowledged write is in the shared database.
    acknowledged = load.acknowledged_signups()
    connection = database.connect()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT username FROM accounts_user WHERE username LIKE 'load%%'")
        stored = {row[0] for row in cursor.fetchall()}
    finally:
        connection.close()
    assert acknowledged <= stored

    # A restarted instance (same address, same environment) rejoins the rotation and honours
    # tokens signed elsewhere before and while it was down.
    signin = sign_in(balancer, sign_up(balancer))
    cluster.restart(victim.name)
    wait_until(lambda: balancer.states()[victim.name] == "UP", 15)
    headers = {"x-access-token": signin.json()["accessToken"]}
    answers = [balancer.request("GET", "/api/test/user", headers=headers) for _ in range(4)]
    assert [r.status for r in answers] == [200] * 4
    assert {served_by(r) for r in answers} == {i.name for i in cluster.instances}
