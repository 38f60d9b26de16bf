"""The test phones: sipp for SIP (a real, external user agent), our RtpPhone for media.

The caller is a trunk's caller (identified by its address, 127.0.0.2 or the inband
trunk's 127.0.0.4); the agent's phone registers as `alice` with its password, then
auto-answers on 127.0.0.3. Each learns the far end's RTP address and telephone-event
payload type from the SDP sipp received (its message trace).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import shutil
import socket
import tempfile
from pathlib import Path

from securepay.testing.asterisk_rig import SIP_CALLER_IP, AsteriskInstance, free_port
from securepay.testing.sip import scenarios
from securepay.testing.sip.rtp import RtpPhone

SIPP = "sipp"
AGENT_IP = "127.0.0.3"
AGENT_USER = "alice"
CALL_TIMEOUT_S = 300
SDP_WAIT_S = 15


class SippError(RuntimeError):
    """sipp failed or a call did not come up; carries sipp's own messages."""


def sipp_path() -> str | None:
    return shutil.which(SIPP)


def received_sdp(trace: str) -> tuple[tuple[str, int], int] | None:
    """From sipp's message trace: the first SDP it received, as ((ip, port), event pt);
    the event type is 101 when the far end takes no telephone-event (inband DTMF)."""
    for message in trace.split("message received")[1:]:
        media = re.search(r"^m=audio (\d+)", message, re.MULTILINE)
        address = re.search(r"^c=IN IP4 (\S+)", message, re.MULTILINE)
        event = re.search(r"^a=rtpmap:(\d+) telephone-event", message, re.MULTILINE)
        if media and address:
            return (address.group(1), int(media.group(1))), int(event.group(1)) if event else 101
    return None


class SippProcess:
    """One sipp run in its own temporary directory (scenario, traces, logs)."""

    def __init__(self, name: str, scenario: str, ip: str, port: int) -> None:
        self.name = name
        self.ip = ip
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix=f"securepay-sipp-{name}-"))
        self.scenario = self.dir / f"{name}.xml"
        self.scenario.write_text(scenario)
        self.trace = self.dir / "messages.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, target: str, *args: str) -> None:
        self.process = await asyncio.create_subprocess_exec(
            SIPP, *self.argv(target, *args),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            cwd=self.dir,
        )  # fmt: skip

    def argv(self, target: str, *args: str) -> list[str]:
        return [
            "-sf", str(self.scenario),
            "-i", self.ip, "-p", str(self.port), "-mi", self.ip, "-mp", str(free_port()),
            "-cp", str(free_port()),
            "-m", "1", "-nostdin", "-timeout", f"{CALL_TIMEOUT_S}s", "-timeout_error",
            "-trace_msg", "-message_file", str(self.trace),
            "-trace_err", "-error_file", str(self.dir / "errors.log"),
            *args, target,
        ]  # fmt: skip

    async def wait(self, timeout: float) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def sdp(self, timeout: float = SDP_WAIT_S) -> tuple[tuple[str, int], int]:
        """Wait until sipp has received the far end's SDP."""

        async def poll() -> tuple[tuple[str, int], int]:
            while True:
                if self.process is not None and self.process.returncode is not None:
                    raise SippError(f"sipp {self.name} ended before media: {self.messages()}")
                if self.trace.exists() and (found := received_sdp(self.trace.read_text(errors="replace"))):
                    return found
                await asyncio.sleep(0.02)

        return await asyncio.wait_for(poll(), timeout)

    def messages(self) -> str:
        files = (self.trace, self.dir / "errors.log")
        parts = [p.read_text(errors="replace")[-3000:] for p in files if p.exists()]
        return "\n".join(p for p in parts if p) or "(sipp wrote nothing)"

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class SipCaller:
    """A caller on a trunk: dials `number`, then sends and hears RTP through `rtp`."""

    def __init__(self, asterisk: AsteriskInstance, ip: str = SIP_CALLER_IP) -> None:
        self.asterisk = asterisk
        self.rtp = RtpPhone(ip)
        self.call_id = f"securepay-caller-{secrets.token_hex(6)}"
        self.sipp = SippProcess("caller", scenarios.caller(), ip, free_port())
        self.duration_ms = 80
        self.gap_ms = 80
        self.inband = False

    async def dial(self, number: str) -> None:
        rtp_port = await self.rtp.open()
        await self.sipp.start(
            f"127.0.0.1:{self.asterisk.sip_port}",
            "-s", number, "-cid_str", self.call_id,
            "-key", "rtp_ip", self.rtp.ip, "-key", "rtp_port", str(rtp_port),
        )  # fmt: skip
        self.rtp.start(*await self.sipp.sdp())

    async def key(self, digits: str) -> None:
        """Key as RFC 4733 events, or as tones in the audio with `inband`."""
        await self.rtp.key(digits, self.duration_ms, self.gap_ms, self.inband)

    async def hang_up(self) -> int:
        """Send BYE now (sipp does, on our INFO); sipp's exit status once Asterisk answered."""
        info = (
            f"INFO sip:caller@{self.sipp.ip}:{self.sipp.port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {self.sipp.ip}:9;branch=z9hG4bK{secrets.token_hex(6)}\r\n"
            f"From: <sip:test@{self.sipp.ip}>;tag={secrets.token_hex(4)}\r\n"
            f"To: <sip:caller@{self.sipp.ip}>\r\n"
            f"Call-ID: {self.call_id}\r\nCSeq: 1 INFO\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(info.encode(), (self.sipp.ip, self.sipp.port))
        return await self.ended()

    async def ended(self, timeout: float = 10) -> int:
        """Wait for the call to end; sipp's exit status (0: the scenario ran to its end)."""
        return await self.sipp.wait(timeout)

    async def close(self) -> None:
        await self.sipp.stop()
        await self.rtp.close()


class SipAgent:
    """The agent's phone: registers as alice, then auto-answers the one call it gets."""

    def __init__(self, asterisk: AsteriskInstance) -> None:
        self.asterisk = asterisk
        self.rtp = RtpPhone(AGENT_IP)
        self.port = free_port()
        self.sipp = SippProcess("agent", scenarios.agent(), AGENT_IP, self.port)
        self.answered: asyncio.Task[None] | None = None

    async def register_and_wait(self) -> None:
        target = f"127.0.0.1:{self.asterisk.sip_port}"
        register = SippProcess("register", scenarios.register(), AGENT_IP, self.port)
        try:
            password = self.asterisk.sip_password
            await register.start(target, "-s", AGENT_USER, "-au", AGENT_USER, "-ap", password)
            if await register.wait(10) != 0:
                raise SippError(f"alice's phone could not register: {register.messages()}")
        finally:
            await register.stop()
        self.rtp.speaking = False
        rtp_port = await self.rtp.open()
        await self.sipp.start(
            target, "-s", AGENT_USER, "-key", "rtp_ip", AGENT_IP, "-key", "rtp_port", str(rtp_port)
        )
        self.answered = asyncio.get_running_loop().create_task(self._answer())

    async def _answer(self) -> None:
        self.rtp.start(*await self.sipp.sdp(CALL_TIMEOUT_S))

    async def ended(self, timeout: float = 10) -> int:
        return await self.sipp.wait(timeout)

    async def close(self) -> None:
        if self.answered is not None:
            self.answered.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.answered
        await self.sipp.stop()
        await self.rtp.close()
