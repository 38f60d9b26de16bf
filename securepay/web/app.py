"""The aiohttp application and its runner on the configured address."""

from __future__ import annotations

from aiohttp import web

from securepay.calls.registry import CallRegistry
from securepay.config import Settings
from securepay.payments.service import PaymentService
from securepay.web import payments_api
from securepay.web.errors import error


@web.middleware
async def json_errors(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
    """Unknown routes and methods get the same JSON error shape as everything else."""
    try:
        return await handler(request)
    except web.HTTPMethodNotAllowed as exc:
        return error(
            405,
            "method-not-allowed",
            f"{request.method} is not allowed here; use {sorted(exc.allowed_methods)}",
        )
    except web.HTTPNotFound:
        return error(404, "not-found", "no such resource")


def build_app(settings: Settings, payments: PaymentService, calls: CallRegistry) -> web.Application:
    app = web.Application(middlewares=[json_errors], client_max_size=64 * 1024)
    app[payments_api.SETTINGS] = settings
    app[payments_api.PAYMENTS] = payments
    app[payments_api.CALLS] = calls
    payments_api.add_routes(app)
    return app


async def start_site(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve `app`; returns the runner (to clean up) and the bound port (for port 0)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
    return runner, sockets[0].getsockname()[1] if sockets else port
