# syntax=docker/dockerfile:1
# authsite's production image: the same server.py, settings and environment as outside a container
# (README, "Production"). Two stages: wheels are built (mysqlclient needs a compiler and the MariaDB
# headers), then installed into a slim runtime that has neither.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev pkg-config libmariadb-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.txt .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
# libmariadb3: mysqlclient's shared library; nothing else from the build stage comes along.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 authsite \
    && useradd --system --uid 10001 --gid authsite --home-dir /app --shell /usr/sbin/nologin authsite
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY --from=build /wheels /wheels
COPY requirements.txt .
RUN pip install --no-cache-dir --no-index --find-links /wheels -r requirements.txt \
    && rm -rf /wheels
COPY manage.py server.py ./
COPY deploy/healthcheck.py deploy/healthcheck.py
COPY authsite authsite
COPY accounts accounts
COPY content content
COPY proxyauth proxyauth
COPY oidc oidc
COPY mail mail
COPY recovery recovery
COPY mfa mfa
COPY passkeys passkeys
COPY nodeimport nodeimport
COPY fixtures fixtures
# Static assets (admin, Swagger UI, ReDoc) collected into /app/staticfiles at build time, served by
# WhiteNoise. The build-only DJANGO_DEBUG=1 lets settings load without secrets; it is not kept in
# the image, whose default is DJANGO_DEBUG=0 (the service refuses to start without its keys).
RUN DJANGO_DEBUG=1 python manage.py collectstatic --no-input --verbosity 0
USER 10001:10001
EXPOSE 8000
# Liveness: /healthz answers while the process serves and touches no database.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "deploy/healthcheck.py", "8000"]
ENTRYPOINT ["python", "server.py"]
CMD ["--host", "0.0.0.0", "--port", "8000"]
