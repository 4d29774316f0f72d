# Parley: a small, non-root image running the installed ``parley`` command.
#   docker build -t parley .
#   docker run -p 8080:8080 -e PARLEY_STORE_URL=redis://redis:6379/0 parley
# Without PARLEY_STORE_URL it uses SQLite in /app/data (mount a volume there).

# The base is a build argument so CI can build from a locally made Debian image (no registry
# there, tests/container/): any Debian-like base whose python3 is 3.11+ with venv.
ARG BASE=python:3.11-slim-bookworm
FROM ${BASE} AS build
WORKDIR /src
COPY requirements.lock ./
# Runtime dependencies only, every one pinned (the test tools are in requirements-dev.lock).
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.lock
# Parley itself as a wheel: only the ``parley`` namespace lands in site-packages.
COPY pyproject.toml README.md ./
COPY parley ./parley
COPY core ./core
COPY channels ./channels
COPY personas ./personas
COPY locales ./locales
COPY knowledge ./knowledge
RUN /opt/venv/bin/pip wheel --no-cache-dir --disable-pip-version-check --no-deps -w /wheels .

FROM ${BASE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PARLEY_HTTP__HOST=0.0.0.0 \
    PARLEY_HTTP__PORT=8080 \
    PARLEY_LOG_FORMAT=json
RUN groupadd --system --gid 10001 parley \
 && useradd --system --uid 10001 --gid parley --home-dir /app --shell /usr/sbin/nologin parley
WORKDIR /app
# Dependencies and Parley in separate layers: a code change rebuilds (and ships) only the small
# last one, the dependency layer stays as long as the lock does.
COPY --from=build /opt/venv /opt/venv
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --disable-pip-version-check --no-deps /wheels/*.whl && rm -r /wheels
# The code (in /opt/venv) stays root-owned and read-only to the app; only the data folder is writable.
RUN mkdir -p /app/data && chown parley:parley /app/data
VOLUME ["/app/data"]
USER parley:parley
EXPOSE 8080
# Liveness, not readiness: during a Redis outage /readyz is 503 (the load balancer should stop
# routing here) but the process recovers by itself, so it must not be restarted for it.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PARLEY_HTTP__PORT', '8080'), timeout=2)"]
# exec form: parley is PID 1 and gets SIGTERM directly (graceful shutdown flushes the outbox).
ENTRYPOINT ["parley"]
CMD ["run"]
