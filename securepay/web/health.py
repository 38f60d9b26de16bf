"""`/healthz` and `/metrics`: for the operator's monitoring, not for agents.

Both sit outside `/api/` and need no token, like any scrape endpoint: keep the daemon's
HTTP listener on loopback or behind the proxy that guards it. Neither says anything
about a payment beyond counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from securepay import metrics
from securepay.ledger import CrmState, Ledger

Probe = Callable[[], Awaitable[bool]]
PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Health:
    """The probes `/healthz` runs; each answers True when its part works."""

    probes: dict[str, Probe]
    ledger: Ledger


HEALTH = web.AppKey("health", Health)


async def _run(probe: Probe) -> bool:
    try:
        return await asyncio.wait_for(probe(), PROBE_TIMEOUT_S)
    except Exception:  # a probe that cannot answer is a failed check
        return False


async def healthz(request: web.Request) -> web.Response:
    health = request.app[HEALTH]
    names = list(health.probes)
    results = await asyncio.gather(*(_run(health.probes[name]) for name in names))
    checks = {name: "ok" if ok else "fail" for name, ok in zip(names, results, strict=True)}
    healthy = all(results)
    return web.json_response(
        {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )


async def metrics_page(request: web.Request) -> web.Response:
    unposted = await request.app[HEALTH].ledger.crm_unposted()
    failed = sum(item.state is CrmState.FAILED for item in unposted)
    metrics.outbox_depth(len(unposted) - failed, failed)
    return web.Response(body=metrics.render(), headers={"Content-Type": metrics.CONTENT_TYPE})


def add_routes(app: web.Application, health: Health) -> None:
    app[HEALTH] = health
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
