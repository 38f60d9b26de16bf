"""The securepay daemon: one ARI connection and the services hanging off it.

Losing Asterisk is not fatal (the ARI client retries and resyncs); wrong ARI
credentials are, since retrying cannot fix them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from securepay.ari import AriClient, AriSettings
from securepay.ari.client import ConnectionState
from securepay.config import Settings

log = logging.getLogger("securepay")


def ari_settings(settings: Settings) -> AriSettings:
    return AriSettings(
        url=settings.ari.url,
        username=settings.ari.username,
        password=settings.ari.password.get_secret_value(),
        app=settings.ari.app,
        reconnect_max_s=settings.ari.reconnect_max_s,
    )


async def run(settings: Settings, on_connected: Callable[[], None] | None = None) -> None:
    """Run until SIGTERM/SIGINT or cancellation; raises AriAuthError on wrong credentials."""
    from securepay import __version__

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ari = AriClient(ari_settings(settings))
    if on_connected is not None:
        ari.on_state(lambda state: on_connected() if state == ConnectionState.CONNECTED else None)
    log.info("securepay %s starting; ARI %s app %s", __version__, settings.ari.url, settings.ari.app)
    ari_task = asyncio.create_task(ari.run(), name="ari")
    stop_task = asyncio.create_task(stop.wait(), name="stop")
    try:
        await asyncio.wait({ari_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        if ari_task.done():
            ari_task.result()
    finally:
        log.info("securepay stopping")
        stop_task.cancel()
        await ari.close()
        ari_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await ari_task
