# Parley: a small, non-root image running bot.py.
#   docker build -t parley .
#   docker run -p 8080:8080 -e PARLEY_STORE_URL=redis://redis:6379/0 parley
# Without PARLEY_STORE_URL it uses SQLite in /app/data (mount a volume there).

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml requirements.lock ./
# Runtime dependencies only (pyproject's list), at the exact versions of the lock file; the lock
# also pins the test tools (pytest, playwright, ruff) that the image does not need.
RUN python -m venv /opt/venv \
 && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > runtime.txt \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r runtime.txt -c requirements.lock

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PARLEY_HTTP__HOST=0.0.0.0 \
    PARLEY_HTTP__PORT=8080 \
    PARLEY_LOG_FORMAT=json
RUN groupadd --system --gid 10001 parley \
 && useradd --system --uid 10001 --gid parley --home-dir /app --shell /usr/sbin/nologin parley
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --chown=root:root bot.py ./
COPY --chown=root:root core ./core
COPY --chown=root:root channels ./channels
COPY --chown=root:root personas ./personas
COPY --chown=root:root locales ./locales
COPY --chown=root:root knowledge ./knowledge
# The code stays root-owned and read-only to the app; only the data folder is writable.
RUN mkdir -p /app/data && chown parley:parley /app/data
VOLUME ["/app/data"]
USER parley:parley
EXPOSE 8080
# Liveness, not readiness: during a Redis outage /readyz is 503 (the load balancer should stop
# routing here) but the process recovers by itself, so it must not be restarted for it.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PARLEY_HTTP__PORT', '8080'), timeout=2)"]
# exec form: bot.py is PID 1 and gets SIGTERM directly (graceful shutdown flushes the outbox).
ENTRYPOINT ["python", "bot.py"]
CMD ["run"]
