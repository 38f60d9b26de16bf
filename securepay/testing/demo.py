"""`make demo`: bring up Asterisk, Redis and the daemon on embedded defaults and show
they are connected. With DEMO_KEEP=1 everything stays up until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys

from securepay import config, daemon, logs
from securepay.events.bus import RedisBus
from securepay.testing.asterisk_rig import AsteriskInstance
from securepay.testing.asterisk_root import find_or_build
from securepay.testing.redis_rig import RedisInstance


def say(text: str) -> None:
    print(f"demo: {text}", flush=True)


async def demo(asterisk: AsteriskInstance, redis: RedisInstance) -> int:
    ari = asterisk.ari
    settings = config.load(
        None,
        {
            "SECUREPAY_ARI_URL": ari.url,
            "SECUREPAY_ARI_PASSWORD": ari.password,
            "SECUREPAY_REDIS_URL": redis.url,
            "SECUREPAY_LOG_FORMAT": "text",
            "SECUREPAY_LOG_LEVEL": "warning",
        },
    )
    bus = RedisBus(redis.url)
    connected = asyncio.Event()
    task = asyncio.create_task(daemon.run(settings, on_connected=connected.set))
    try:
        await asyncio.wait_for(connected.wait(), 20)
        say(f"daemon connected to Asterisk over ARI ({ari.url}, app {ari.app})")
        say(f"redis-server answers on {redis.url}: {await bus.ping()}")
        if os.environ.get("DEMO_KEEP") == "1":
            say("DEMO_KEEP=1: everything stays up; Ctrl-C stops it")
            await task
        return 0
    finally:
        await bus.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def main() -> int:
    logs.configure("warning", "text")
    say("provisioning Asterisk (the first run builds a cached chroot, about a minute)")
    install = find_or_build()
    asterisk = AsteriskInstance(install)
    redis = RedisInstance()
    try:
        asterisk.start()
        say(f"Asterisk {install.version} up; ARI on {asterisk.ari.url}")
        redis.start()
        say(f"redis-server up on {redis.url}")
        code = asyncio.run(demo(asterisk, redis))
    except KeyboardInterrupt:
        code = 0
    finally:
        redis.stop()
        asterisk.remove()
        say("stopped Asterisk and redis-server")
    say("OK" if code == 0 else "FAILED")
    return code


if __name__ == "__main__":
    sys.exit(main())
