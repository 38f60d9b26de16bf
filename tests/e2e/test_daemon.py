"""`securepay run` as an operator runs it: a real process against a real Asterisk."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from securepay.testing.asterisk_rig import AriEndpoint, AsteriskInstance


def daemon_env(ari: AriEndpoint, password: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECUREPAY_")}
    env.update(
        SECUREPAY_ARI_URL=ari.url,
        SECUREPAY_ARI_USERNAME=ari.username,
        SECUREPAY_ARI_PASSWORD=password or ari.password,
        SECUREPAY_ARI_RECONNECT_MAX_S="0.5",
    )
    return env


async def start_daemon(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "securepay.cli",
        "run",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def read_until(
    process: asyncio.subprocess.Process, text: str, seen: list[str], timeout: float = 20
) -> None:
    assert process.stderr is not None

    async def scan() -> None:
        while True:
            line = (await process.stderr.readline()).decode()
            if not line:
                raise AssertionError(f"daemon exited before logging {text!r}; it said: {seen}")
            seen.append(line)
            if text in line:
                return

    await asyncio.wait_for(scan(), timeout)


async def test_daemon_started_while_asterisk_is_down_connects_once_it_comes_up(
    fresh_asterisk: AsteriskInstance,
) -> None:
    daemon = await start_daemon(daemon_env(fresh_asterisk.ari))
    lines: list[str] = []
    try:
        await read_until(daemon, "ARI unreachable", lines)
        await asyncio.sleep(1.5)
        await asyncio.to_thread(fresh_asterisk.start)
        await read_until(daemon, "ARI connected", lines)
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(daemon.wait(), 10) == 0
    records = [json.loads(line) for line in lines]
    assert sum("ARI unreachable" in r["msg"] for r in records) == 1, (
        "retries are logged once per state change"
    )
    assert all(fresh_asterisk.password not in line for line in lines)


async def test_wrong_ari_password_exits_with_one_clear_message(asterisk: AsteriskInstance) -> None:
    daemon = await start_daemon(daemon_env(asterisk.ari, password="wrong-password"))
    _, stderr = await asyncio.wait_for(daemon.communicate(), 20)
    assert daemon.returncode == 3
    assert "ARI rejected user 'securepay'" in stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert "wrong-password" not in stderr.decode()


async def test_mistyped_config_key_is_named_and_exits_non_zero(tmp_path: Path) -> None:
    config = tmp_path / "securepay.toml"
    config.write_text('[ari]\nurl = "http://127.0.0.1:8088"\npasword = "x"\n')
    daemon = await start_daemon(dict(os.environ), "--config", str(config))
    _, stderr = await asyncio.wait_for(daemon.communicate(), 20)
    assert daemon.returncode == 2
    assert stderr.decode().strip() == "securepay: bad config: ari.pasword: unknown key"


async def test_wrong_value_type_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "securepay.toml"
    config.write_text('[http]\nport = "eighty"\n')
    daemon = await start_daemon(dict(os.environ), "--config", str(config))
    _, stderr = await asyncio.wait_for(daemon.communicate(), 20)
    assert daemon.returncode == 2
    assert stderr.decode().startswith("securepay: bad config: http.port: ")
    assert "Traceback" not in stderr.decode()
