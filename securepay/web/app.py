"""The aiohttp application and its runner on the configured address: the API, its
contract (`openapi.yaml`), the event stream and the agent panel at `/`."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from securepay.calls.registry import CallRegistry
from securepay.config import Settings
from securepay.events.bus import EventBus
from securepay.payments.service import PaymentService
from securepay.web import auth, events_ws, payments_api
from securepay.web import health as health_routes
from securepay.web.errors import error

WEB_DIR = Path(__file__).parent
PANEL_DIR = WEB_DIR / "panel"
OPENAPI = WEB_DIR / "openapi.yaml"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""Only the panel's own files run; nothing is cached, since answers carry payment state."""


@web.middleware
async def json_errors(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
    """Unknown routes and methods get the same JSON error shape as everything else."""
    try:
        return await handler(request)
    except web.HTTPMethodNotAllowed as exc:
        allowed = sorted(exc.allowed_methods)
        return error(
            405,
            "method-not-allowed",
            f"{request.method} is not allowed here; use {allowed}",
            headers={"Allow": ", ".join(allowed)},
        )
    except web.HTTPNotFound:
        return error(404, "not-found", "no such resource")
    except web.HTTPRequestEntityTooLarge:
        return error(413, "too-large", f"the body must be at most {request.client_max_size} bytes")


@web.middleware
async def security_headers(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
    response = await handler(request)
    if not response.prepared:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


async def openapi(request: web.Request) -> web.FileResponse:
    return web.FileResponse(OPENAPI, headers={"Content-Type": "application/yaml"})


async def panel(request: web.Request) -> web.FileResponse:
    return web.FileResponse(PANEL_DIR / "index.html")


def build_app(
    settings: Settings,
    payments: PaymentService,
    calls: CallRegistry,
    bus: EventBus,
    health: health_routes.Health | None = None,
) -> web.Application:
    app = web.Application(
        middlewares=[security_headers, auth.cors, json_errors, auth.require_token],
        client_max_size=64 * 1024,
    )
    app[payments_api.SETTINGS] = settings
    app[payments_api.PAYMENTS] = payments
    app[payments_api.CALLS] = calls
    app[payments_api.LATEST] = {}
    app[auth.ACCESS] = auth.Access(settings)
    app[events_ws.BUS] = bus
    payments_api.add_routes(app)
    auth.add_routes(app)
    events_ws.add_routes(app)
    app.router.add_get("/api/v1/openapi.yaml", openapi)
    app.router.add_get("/", panel)
    app.router.add_static("/panel/", PANEL_DIR)
    if health is not None:
        health_routes.add_routes(app, health)
    return app


class AccessLogger(AbstractAccessLogger):
    """One line per request: client, method, path, status, size and time.

    The query string and headers stay out (a token or anything a client put in a URL
    must not reach the log); paths carry only call, payment and agent ids.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %s %.1f ms",
            request.remote,
            request.method,
            request.path,
            response.status,
            response.body_length,
            time * 1000,
        )


ACCESS_LOG = logging.getLogger("securepay.http.access")


async def start_site(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve `app`; returns the runner (to clean up) and the bound port (for port 0)."""
    runner = web.AppRunner(app, access_log=ACCESS_LOG, access_log_class=AccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
    return runner, sockets[0].getsockname()[1] if sockets else port
