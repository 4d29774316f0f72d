"""The one aiohttp server: health, readiness, metrics, channel webhooks, the web chat, admin API."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from parley.core.http.auth import bearer, same_token
from parley.core.http.metrics import Metrics
from parley.core.kernel.door import BadInput
from parley.core.kernel.outage import Outage
from parley.core.storage.store import Store, StoreUnavailable

log = logging.getLogger("parley.http")

MAX_BODY = 1024 * 1024  # webhooks are small; a larger body is refused with 413 by aiohttp


def errors(outage: Outage, metrics: Metrics, request_timeout: float = 30.0):
    """No traceback ever reaches a caller: 4xx stay as they are, input refused at the door
    (``BadInput``) is a 400 with one log line, anything else is a 500, or a 503 when the store is
    down so platforms retry later (one log line per outage, not one per request, however hard
    the platforms retry)."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        try:
            if request.headers.get("Upgrade", "").lower() == "websocket":
                response = await handler(request)  # a socket lives long; its frames are bounded instead
            else:
                # A body trickled in a byte at a time, or a handler stuck on a platform: bounded.
                async with asyncio.timeout(request_timeout):
                    response = await handler(request)
        except TimeoutError:
            metrics.rejected.labels("http", "timeout").inc()
            log.info("request timed out", extra={"path": request.path, "status": 408})
            timed_out = web.json_response({"error": "request timeout"}, status=408)
            timed_out.force_close()  # the rest of a trickled body must not be read as a next request
            return timed_out
        except web.HTTPRequestEntityTooLarge:
            # Raised by request.read() past MAX_BODY: refused like any bad input, with one line.
            metrics.rejected.labels("http", "too_big").inc()
            log.info("request refused: body too large", extra={"path": request.path, "status": 413})
            raise
        except web.HTTPException:
            raise
        except BadInput as exc:
            metrics.rejected.labels("http", exc.reason).inc()
            log.info("request refused: %s", exc, extra={"path": request.path, "status": 400})
            return web.json_response({"error": exc.reason}, status=400)
        except StoreUnavailable as exc:
            outage.failed(exc)
            return web.json_response({"error": "store unavailable, retry later"}, status=503)
        except Exception:
            log.exception("unhandled error", extra={"path": request.path})
            return web.json_response({"error": "internal error"}, status=500)
        outage.ok()
        return response

    return middleware


def build_app(
    store: Store, metrics: Metrics, routes: list[web.RouteDef], metrics_token: str = "", request_timeout: float = 30.0
) -> web.Application:
    outage = Outage(log, "webhooks")
    app = web.Application(client_max_size=MAX_BODY, middlewares=[errors(outage, metrics, request_timeout)])

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        try:
            await store.ping()
        except StoreUnavailable as exc:
            metrics.ready.set(0)
            log.warning("not ready: %s", exc)
            return web.json_response({"status": "store unavailable"}, status=503)
        metrics.ready.set(1)
        return web.json_response({"status": "ready"})

    async def prometheus(request: web.Request) -> web.Response:
        # Counters by channel and reason say how busy and how attacked the bot is: behind a
        # token when one is set (PARLEY_METRICS_TOKEN), public otherwise (a private network).
        if metrics_token:
            given = bearer(request.headers.get("Authorization", ""))
            if given is None or not same_token(given, metrics_token):
                metrics.rejected.labels("http", "metrics_token").inc()
                log.info("metrics refused: bearer token missing or wrong")
                return web.json_response(
                    {"error": "bearer token required"}, status=401, headers={"WWW-Authenticate": "Bearer"}
                )
        return web.Response(body=metrics.render(), content_type="text/plain", charset="utf-8")

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", prometheus)
    app.router.add_routes(routes)
    return app
