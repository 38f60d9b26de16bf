"""A canary card keyed through every ending, then searched for in every place data goes.

`securepay run` (as systemd runs it, on a real Asterisk, with Redis and a CRM webhook)
takes four payments keyed by DTMF with a card made fresh for this run: one approved,
one declined, one cancelled with * at the ZIP, and one whose daemon is SIGKILLed at the
ZIP and restarted. Then every sink is read and searched for the card in every spelling
(tests/e2e/canary.py): the daemons' logs (as written and as journald stores them), the
HTTP access log, a Redis MONITOR of everything sent to Redis, the ledger and its WAL,
the CRM requests, the panel's WebSocket frames, Asterisk's whole log directory with its
CDR and CEL files, the AMI events the securepay manager user receives, and each
daemon's /proc environ and cmdline. No sink may hold a trace, and no daemon may dump core.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import aiohttp

from securepay.testing.asterisk_rig import AMI_USER, AsteriskInstance, free_port
from securepay.testing.phones import Phones, driven_phones
from securepay.testing.redis_rig import RedisInstance
from tests.e2e.canary import Canary
from tests.e2e.payment_rig import ALICE_TOKEN
from tests.e2e.test_recovery import AUTH, daemon_config, poll, start_daemon
from tests.unit.crm.fakes import FakeWebhook, serve
from tests.unit.web.live import DECLINE_ZIP

APPROVE_ZIP = "46201"
RECORD = "001Ax00000CanArYQA"
HOOK_SECRET = "canary-webhook-secret"
Sinks = dict[str, bytes]


def extra_config(redis_url: str, hook_url: str) -> str:
    """Everything on that could carry data: Redis events, CRM activities (uncharged ones too),
    debug logging."""
    return f"""
[redis]
url = "{redis_url}"

[log]
level = "debug"

[crm]
kind = "webhook"
post_unsubmitted = true
webhook_url = "{hook_url}/hook"
webhook_secret = "{HOOK_SECRET}"
"""


@contextlib.asynccontextmanager
async def tap(
    connect: Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]], hello: bytes
) -> AsyncIterator[bytearray]:
    """Everything a TCP peer sends after `hello`, until the block ends."""
    reader, writer = await connect()
    writer.write(hello)
    received = bytearray()

    async def record() -> None:
        while chunk := await reader.read(65536):
            received.extend(chunk)

    task = asyncio.create_task(record())
    try:
        yield received
    finally:
        await asyncio.sleep(0.5)
        task.cancel()
        writer.close()


@contextlib.asynccontextmanager
async def panel_frames(url: str) -> AsyncIterator[bytearray]:
    """Every frame the agent's panel receives on /api/v1/events, reconnecting as the panel does."""
    frames = bytearray()

    async def follow() -> None:
        async with aiohttp.ClientSession() as http:
            while True:
                with contextlib.suppress(aiohttp.ClientError, ConnectionError):
                    async with http.ws_connect(f"{url}/api/v1/events") as ws:
                        await ws.send_json({"type": "auth", "token": ALICE_TOKEN})
                        async for message in ws:
                            if message.type is aiohttp.WSMsgType.TEXT:
                                frames.extend(message.data.encode() + b"\n")
                await asyncio.sleep(0.2)

    task = asyncio.create_task(follow())
    try:
        yield frames
    finally:
        task.cancel()


async def key_when_entering(
    http: aiohttp.ClientSession, phones: Phones, payment_id: str, step: str, keys: str
) -> None:
    await poll(http, f"/api/v1/payments/{payment_id}", lambda p: p["state"] == f"{step}:entering")
    await phones.key(keys)


async def pay_up_to_zip(http: aiohttp.ClientSession, phones: Phones, call_id: str, canary: Canary) -> str:
    """Request a payment and key the canary card up to the ZIP prompt; returns the payment id."""
    async with http.post(
        f"/api/v1/calls/{call_id}/payments", json={"item": "Canary widget", "amount": "12.34"}, headers=AUTH
    ) as resp:
        assert resp.status == 201, await resp.text()
        payment_id = str((await resp.json())["id"])
    await key_when_entering(http, phones, payment_id, "amount", "1")
    await key_when_entering(http, phones, payment_id, "card_number", canary.pan + "#1")
    await key_when_entering(http, phones, payment_id, "expiry", canary.expiry + "1")
    await key_when_entering(http, phones, payment_id, "cvc", canary.cvc + "1")
    await poll(http, f"/api/v1/payments/{payment_id}", lambda p: p["state"] == "postal_code:entering")
    return payment_id


async def finish(http: aiohttp.ClientSession, payment_id: str) -> str:
    """Wait for the outcome and for the caller to be back with the agent."""
    payment = await poll(http, f"/api/v1/payments/{payment_id}", lambda p: p["outcome"] is not None)
    await poll(http, "/api/v1/agents/alice/call", lambda c: c["payment_id"] is None and c["connected"])
    return str(payment["outcome"])


def proc_files(pid: int) -> Sinks:
    base = Path(f"/proc/{pid}")
    limits = (base / "limits").read_text()
    core = next(line for line in limits.splitlines() if line.startswith("Max core file size"))
    assert core.split()[4:6] == ["0", "0"], f"daemon {pid} may dump core: {core}"
    return {
        f"/proc/{pid}/environ": (base / "environ").read_bytes(),
        f"/proc/{pid}/cmdline": (base / "cmdline").read_bytes(),
    }


def journal(log: bytes, pid: int) -> bytes:
    """The daemon's stderr as journald stores and prints it (SyslogIdentifier=securepay)."""
    stamp = datetime.now(UTC).strftime("%b %d %H:%M:%S")
    host = socket.gethostname()
    return b"".join(f"{stamp} {host} securepay[{pid}]: ".encode() + line + b"\n" for line in log.splitlines())


def asterisk_logs(asterisk: AsteriskInstance) -> Sinks:
    log_dir = asterisk.dir / "log"
    files = {path: path.read_bytes() for path in sorted(log_dir.rglob("*")) if path.is_file()}
    return {
        "Asterisk CDR (cdr_csv)": b"".join(v for p, v in files.items() if "cdr-csv" in p.parts),
        "Asterisk CEL (cel_custom)": b"".join(v for p, v in files.items() if "cel-custom" in p.parts),
        "Asterisk log dir (every file)": b"".join(files.values()),
    }


def ledger_files(path: Path) -> bytes:
    names = (path.name, path.name + "-wal", path.name + "-shm")
    return b"".join(path.with_name(n).read_bytes() for n in names if path.with_name(n).exists())


async def delivered(webhook: FakeWebhook, count: int) -> None:
    while len(webhook.deliveries) < count:
        await asyncio.sleep(0.1)


@dataclass
class Daemons:
    """`securepay run` processes on one config, each logging to its own file."""

    config: Path
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    async def start(self) -> asyncio.subprocess.Process:
        log_path = self.config.with_name(f"daemon-{len(self.processes) + 1}.log")
        with log_path.open("wb") as log:
            process = await start_daemon(self.config, log)
        self.processes.append(process)
        self.logs.append(log_path)
        return process

    async def stop(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 30)

    def sinks(self) -> Sinks:
        logs = [path.read_bytes() for path in self.logs]
        text = b"".join(logs)
        return {
            "daemon logs (stderr)": text,
            "journald-style text": b"".join(
                journal(log, process.pid) for log, process in zip(logs, self.processes, strict=True)
            ),
            "HTTP access log": b"\n".join(
                line for line in text.splitlines() if b'"securepay.http.access"' in line
            ),
        }


async def key_four_endings(
    http: aiohttp.ClientSession, phones: Phones, daemons: Daemons, canary: Canary, ledger: Path
) -> tuple[list[str], Sinks]:
    """Approved, declined, cancelled at the ZIP, and the daemon SIGKILLed at the ZIP then
    restarted; returns the endings and what was read while the daemons ran."""
    sinks: Sinks = {}
    outcomes: list[str] = []
    await poll(http, "/api/v1/me", lambda _: True)
    await phones.call_in("alice", crm_record=RECORD)
    call = await poll(http, "/api/v1/agents/alice/call", lambda c: c["connected"])
    for ending in (APPROVE_ZIP + "1", DECLINE_ZIP + "1", "*"):
        payment_id = await pay_up_to_zip(http, phones, call["id"], canary)
        await phones.key(ending)
        outcomes.append(await finish(http, payment_id))

    await pay_up_to_zip(http, phones, call["id"], canary)
    killed = daemons.processes[0]
    sinks.update(proc_files(killed.pid))
    killed.send_signal(signal.SIGKILL)
    await killed.wait()
    sinks["ledger DB + WAL (after SIGKILL)"] = ledger_files(ledger)
    restarted = await daemons.start()
    back = await poll(http, "/api/v1/agents/alice/call", lambda c: c["connected"])
    outcomes.append("recovered" if back["payment_id"] is None else "stranded")
    sinks.update(proc_files(restarted.pid))
    sinks["ledger DB + WAL (daemon running)"] = ledger_files(ledger)
    return outcomes, sinks


async def test_a_canary_card_keyed_through_every_ending_leaves_no_trace_in_any_sink(
    asterisk: AsteriskInstance, redis_server: RedisInstance, tmp_path: Path
) -> None:
    canary = Canary.generate(date.today())
    spelled = b"\n".join([canary.pan.encode(), json.dumps(list(canary.pan)).encode()])
    assert canary.hits(spelled) >= 3, "the scanner must find what it looks for"
    webhook = FakeWebhook(secret=HOOK_SECRET.encode())
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    daemons = Daemons(daemon_config(tmp_path, asterisk, port))
    ledger = tmp_path / "ledger.sqlite3"
    async with (
        serve(webhook.app()) as hook_url,
        tap(lambda: asyncio.open_connection("127.0.0.1", redis_server.port), b"MONITOR\r\n") as redis_monitor,
        tap(
            lambda: asyncio.open_connection("127.0.0.1", asterisk.ami_port),
            f"Action: Login\r\nUsername: {AMI_USER}\r\nSecret: {asterisk.ami_password}\r\n"
            "Events: on\r\n\r\n".encode(),
        ) as ami_events,
        driven_phones(asterisk.ari) as phones,
        aiohttp.ClientSession(url) as http,
    ):
        with daemons.config.open("a") as extra:
            extra.write(extra_config(redis_server.url, hook_url))
        try:
            await daemons.start()
            async with panel_frames(url.replace("http", "ws")) as frames:
                outcomes, sinks = await key_four_endings(http, phones, daemons, canary, ledger)
                await asyncio.wait_for(delivered(webhook, 3), 30)
                await phones.hang_up_caller()
                await asyncio.sleep(1)
        finally:
            await daemons.stop()
    assert outcomes == ["success", "declined", "caller-cancelled", "recovered"]

    sinks.update(daemons.sinks())
    sinks["panel WebSocket frames"] = bytes(frames)
    sinks["Redis MONITOR capture"] = bytes(redis_monitor)
    sinks["ledger DB + WAL (daemon stopped)"] = ledger_files(ledger)
    sinks["CRM request bodies + headers"] = b"".join(
        json.dumps(headers).encode() + body for headers, body in webhook.deliveries
    )
    sinks["AMI events (securepay user)"] = bytes(ami_events)
    sinks.update(asterisk_logs(asterisk))

    hits = {name: canary.hits(data) for name, data in sinks.items()}
    print(f"\ncanary card ending {canary.pan[-4:]}; sinks scanned:")
    print(f"  {'sink':<36} {'bytes':>10} {'hits':>5}")
    for name, data in sinks.items():
        print(f"  {name:<36} {len(data):>10} {hits[name]:>5}")
    print(f"  {'total':<36} {sum(map(len, sinks.values())):>10} {sum(hits.values()):>5}")
    print("  core dumps: both daemons non-dumpable, Max core file size 0 (/proc/<pid>/limits)")
    assert hits == dict.fromkeys(sinks, 0)
    for name in (
        "Redis MONITOR capture",
        "HTTP access log",
        "Asterisk CDR (cdr_csv)",
        "Asterisk CEL (cel_custom)",
    ):
        assert sinks[name], f"{name} is empty: the sink was not exercised"
    assert b"non-dumpable" not in sinks["daemon logs (stderr)"], "a daemon could not forbid core dumps"
    assert b"payment.result" in sinks["Redis MONITOR capture"], "events did not go through Redis"
    assert b"payment.result" in sinks["panel WebSocket frames"], "the panel followed no payment"
    assert b"Response: Success" in sinks["AMI events (securepay user)"], "the manager user did not log in"
