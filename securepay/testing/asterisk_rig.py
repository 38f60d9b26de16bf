"""A private Asterisk instance for tests and `make demo`.

Each instance has its own config, run, spool, log and data directories and its own
loopback ports, so it never touches an Asterisk already running on the machine. Its
config is rendered from the operator files in `asterisk-config/`, with only ports,
the ARI password and a test dialplan changed, so the tests prove what we ship.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path

from securepay.testing.asterisk_root import AsteriskInstall, mount_proc

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "asterisk-config"
SOUNDS_DIR = REPO / "sounds"
APP = "securepay"
ARI_USER = "securepay"
AMI_USER = "securepay"

TEST_DIALPLAN = """
[securepay-test]
; Local-channel drivers: ;1 is the test's "phone", ;2 runs the dialplan below.
exten => caller,1,Stasis(securepay,caller)
 same => n,Hangup()
exten => agent,1,Stasis(securepay,agent)
 same => n,Hangup()
; A caller for agent <id>: the driver originates Local/call-<id>@securepay-test into
; its own app (the caller's phone); ;2 enters securepay like a real inbound call.
exten => _call-.,1,Set(CHANNEL(language)=${IF($["${CALLER_LANGUAGE}" = ""]?en:${CALLER_LANGUAGE})})
 same => n,Set(SECUREPAY_CRM_RECORD=${CRM_RECORD})
 same => n,Stasis(securepay,inbound,${EXTEN:5})
 same => n,Hangup()
; A caller bridged to agent <id> by Dial() and recorded by MixMonitor, as on an existing
; PBX: securepay takes it over only when a payment is requested (AMI Redirect).
exten => _dial-.,1,Set(CHANNEL(language)=en)
 same => n,MixMonitor(${RECORDING})
 same => n,Dial(Local/agentphone@securepay-test/n)
 same => n,Hangup()
; The agent's phone: securepay dials it; the driver answers it in its own app.
exten => agentphone,1,Stasis(securepay-driver,agentphone)
 same => n,Hangup()
; The agent's phone, recording what the agent hears (the phone's receive direction) to
; <spool>/monitor/agent-heard-<channel id>.wav, for tests that measure the agent's audio.
exten => agentphone-recorded,1,MixMonitor(agent-${UNIQUEID}.wav,r(agent-heard-${UNIQUEID}.wav))
 same => n,Stasis(securepay-driver,agentphone)
 same => n,Hangup()

[securepay-test-fallback]
; Tests point [ivr] fallback_context here to see a caller arrive in the fallback.
exten => s,1,Stasis(securepay-driver,fallback)
 same => n,Hangup()
"""


TEST_SIP_DIALPLAN = """
[securepay-inbound]
; SIP phones (securepay.testing.sip): a trunk caller dialling dial-<name> is bridged to
; alice's phone by Dial() (queue-<name>: by Queue()) and recorded to
; spool/monitor/<name>.wav, as on an existing PBX (Queue/Dial mode).
exten => _dial-.,1,Set(CHANNEL(language)=en)
 same => n,MixMonitor(${EXTEN:5}.wav)
 same => n,Dial(PJSIP/alice,30)
 same => n,Hangup()
; The same through a queue whose only member is alice's phone.
exten => _queue-.,1,Set(CHANNEL(language)=en)
 same => n,MixMonitor(${EXTEN:6}.wav)
 same => n,Queue(securepay-test,,,,30)
 same => n,Hangup()
"""

TEST_QUEUES = """
[securepay-test]
strategy = ringall
member => PJSIP/alice
"""

SIP_CALLER_IP = "127.0.0.2"
SIP_INBAND_CALLER_IP = "127.0.0.4"
TEST_PJSIP = f"""
; A second trunk whose caller sends DTMF as tones in the audio (dtmf_mode = inband).
[trunk-inband]
type = endpoint
context = securepay-inbound
disallow = all
allow = ulaw
direct_media = no
dtmf_mode = inband
send_connected_line = no

[trunk-inband]
type = identify
endpoint = trunk-inband
match = {SIP_INBAND_CALLER_IP}
"""


TEST_MODULES = """
; The test dialplan's stand-in for an operator's recording (Queue/Dial mode tests).
load => app_mixmonitor.so
; Call records as a PBX keeps them, for the card-data canary to search (log/cdr-csv, log/cel-custom).
load => res_cdrel_custom.so
load => cdr_csv.so
load => cel_custom.so
; CALLERID(), which the CEL mapping below reads (without it, every CEL event logs two errors).
load => func_callerid.so
; Queue(), for the SIP phones' Queue/Dial mode test.
load => app_queue.so
"""

CALL_RECORDS = {
    # cdr_csv reads its options from cdr.conf's [csv] section.
    "cdr.conf": "[general]\nenable = yes\n\n[csv]\nusegmtime = yes\nloguniqueid = yes\nloguserfield = yes\n",
    "cel_custom.conf": (
        "[mappings]\nMaster.csv => ${CSV_QUOTE(${eventtype})},${CSV_QUOTE(${eventtime})},"
        "${CSV_QUOTE(${CALLERID(name)})},${CSV_QUOTE(${CALLERID(num)})},${CSV_QUOTE(${CHANNEL(name)})},"
        "${CSV_QUOTE(${CHANNEL(context)})},${CSV_QUOTE(${CHANNEL(exten)})},${CSV_QUOTE(${appname})},"
        "${CSV_QUOTE(${appdata})},${CSV_QUOTE(${uniqueid})},${CSV_QUOTE(${linkedid})},"
        "${CSV_QUOTE(${userdeffield})},${CSV_QUOTE(${eventextra})},${CSV_QUOTE(${BRIDGEPEER})}\n"
    ),
}
"""CDR (cdr_csv) and CEL (cel_custom) switched on in the rig's Asterisk; cel.conf is the shipped
one (every event but DTMF), enabled, for every application."""


HOLD_CLASS = "securepay-test-hold"
HOLD_HZ = 440
"""The rig's hold music for the agent: a steady 440 Hz tone. Music has notes on DTMF
frequencies (F5 is 698 Hz, a keypad row) that a tone detector on the agent's leg would
count as a keyed digit; this tone is neither a DTMF tone nor the tests' 1 kHz voice."""


def hold_tone(seconds: int = 4, rate: int = 8000) -> bytes:
    """`seconds` of the hold tone as Asterisk's .sln (signed 16-bit, 8 kHz, mono)."""
    wave = (round(2000 * math.sin(2 * math.pi * HOLD_HZ * n / rate)) for n in range(seconds * rate))
    return b"".join(sample.to_bytes(2, "little", signed=True) for sample in wave)


class RigError(RuntimeError):
    """Raised when the instance cannot be started; carries the log tail."""


@dataclass(frozen=True)
class AriEndpoint:
    url: str
    username: str
    password: str
    app: str = APP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def set_option(text: str, section: str, key: str, value: str) -> str:
    """Replace `key = ...` inside `[section]` of an Asterisk .conf text."""
    pattern = re.compile(
        rf"(^\[{re.escape(section)}\][^\[]*?^\s*{re.escape(key)}\s*=>?\s*)([^;\n]*?)(\s*(;.*)?)$",
        re.MULTILINE | re.DOTALL,
    )
    new, count = pattern.subn(lambda m: m.group(1) + value + m.group(3), text, count=1)
    if count != 1:
        raise RigError(f"asterisk-config has no {key} in [{section}]")
    return new


class AsteriskInstance:
    def __init__(self, install: AsteriskInstall, name: str | None = None) -> None:
        self.install = install
        self.name = name or f"{os.getpid()}-{secrets.token_hex(3)}"
        base = "/srv/securepay-rig" if install.root else "/tmp/securepay-rig"
        self.inner_dir = f"{base}/{self.name}"
        self.dir = install.host_path(self.inner_dir)
        self.ari_port = free_port()
        self.sip_port = free_port()
        self.ami_port = free_port()
        self.password = secrets.token_urlsafe(16)
        self.ami_password = secrets.token_urlsafe(16)
        self.sip_password = secrets.token_urlsafe(16)
        self._process: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None

    def state(self) -> dict[str, object]:
        """What `from_state` needs to find and stop a running instance later."""
        pid = self._process.pid if self._process else None
        return {
            "name": self.name,
            "pid": pid,
            "ari_port": self.ari_port,
            "sip_port": self.sip_port,
            "password": self.password,
            "ami_port": self.ami_port,
            "ami_password": self.ami_password,
        }

    @classmethod
    def from_state(cls, install: AsteriskInstall, state: dict[str, object]) -> AsteriskInstance:
        instance = cls(install, str(state["name"]))
        instance.ari_port = int(str(state["ari_port"]))
        instance.sip_port = int(str(state["sip_port"]))
        instance.password = str(state["password"])
        if state.get("ami_port"):
            instance.ami_port = int(str(state["ami_port"]))
            instance.ami_password = str(state["ami_password"])
        instance._pid = int(str(state["pid"])) if state.get("pid") else None
        return instance

    @property
    def ari(self) -> AriEndpoint:
        return AriEndpoint(f"http://127.0.0.1:{self.ari_port}", ARI_USER, self.password)

    @property
    def log_path(self) -> Path:
        return self.dir / "log" / "messages.log"

    def start(self, timeout_s: float = 30.0) -> None:
        self._render()
        if self.install.root is not None:
            mount_proc(self.install.root)
        console = open(self.dir / "log" / "console.log", "wb")  # noqa: SIM115 - lives as long as the process
        self._process = subprocess.Popen(
            self.install.command("-C", f"{self.inner_dir}/etc/asterisk.conf", "-f", "-n"),
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        console.close()
        self.wait_ready(timeout_s)

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RigError(f"Asterisk exited with {self._process.returncode}:\n{self.log_tail()}")
            if self.ari_answers():
                return
            time.sleep(0.1)
        raise RigError(f"ARI did not answer within {timeout_s:.0f} s:\n{self.log_tail()}")

    def ari_answers(self) -> bool:
        request = urllib.request.Request(f"{self.ari.url}/ari/asterisk/info")
        token = b64encode(f"{ARI_USER}:{self.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=1) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        """Stop Asterisk by its pid: TERM, then KILL if it lingers."""
        process, self._process = self._process, None
        if process is None:
            if self._pid is not None:
                _kill_group(self._pid)
            return
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines: int = 60) -> str:
        parts = []
        for path in (self.dir / "log" / "console.log", self.log_path):
            if path.exists():
                parts.append(
                    f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
                )
        return "\n".join(parts) or "(no Asterisk log)"

    def _render(self) -> None:
        for sub in ("etc", "lib", "spool", "run", "log", "data"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        etc = self.dir / "etc"
        (etc / "asterisk.conf").write_text(self._asterisk_conf())
        for name in ("logger.conf", "musiconhold.conf"):
            shutil.copy(CONFIG_DIR / name, etc / name)
        (self.dir / "hold").mkdir(exist_ok=True)
        (self.dir / "hold" / "tone.sln").write_bytes(hold_tone())
        with open(etc / "musiconhold.conf", "a") as moh:
            moh.write(f"\n[{HOLD_CLASS}]\nmode = files\ndirectory = {self.inner_dir}/hold\n")
        (etc / "modules.conf").write_text((CONFIG_DIR / "modules.conf").read_text() + TEST_MODULES)
        http = set_option((CONFIG_DIR / "http.conf").read_text(), "general", "bindport", str(self.ari_port))
        (etc / "http.conf").write_text(http)
        ari = set_option((CONFIG_DIR / "ari.conf").read_text(), ARI_USER, "password", self.password)
        (etc / "ari.conf").write_text(ari)
        pjsip = set_option(
            (CONFIG_DIR / "pjsip.conf").read_text(), "transport-udp", "bind", f"127.0.0.1:{self.sip_port}"
        )
        pjsip = set_option(pjsip, "alice", "password", self.sip_password)
        pjsip = set_option(pjsip, "trunk", "match", SIP_CALLER_IP)
        (etc / "pjsip.conf").write_text(pjsip + TEST_PJSIP)
        dialplan = (CONFIG_DIR / "extensions.conf").read_text() + TEST_DIALPLAN + TEST_SIP_DIALPLAN
        (etc / "extensions.conf").write_text(dialplan)
        (etc / "queues.conf").write_text(TEST_QUEUES)
        manager = set_option((CONFIG_DIR / "manager.conf").read_text(), "general", "port", str(self.ami_port))
        manager = set_option(manager, AMI_USER, "secret", self.ami_password)
        (etc / "manager.conf").write_text(manager)
        (etc / "rtp.conf").write_text("[general]\nrtpstart = 20000\nrtpend = 30000\n")
        cel = set_option((CONFIG_DIR / "cel.conf").read_text(), "general", "enable", "yes")
        (etc / "cel.conf").write_text(set_option(cel, "general", "apps", "all"))
        for name, text in CALL_RECORDS.items():
            (etc / name).write_text(text)
        for records in ("cdr-csv", "cel-custom"):
            (self.dir / "log" / records).mkdir(exist_ok=True)
        stock_indications = self.install.host_path("/etc/asterisk/indications.conf")
        if stock_indications.exists():
            shutil.copy(stock_indications, etc / "indications.conf")
        self._link_data_dir()

    def _asterisk_conf(self) -> str:
        inner = self.inner_dir
        return (
            "[directories]\n"
            f"astetcdir => {inner}/etc\n"
            f"astmoddir => {self._module_dir()}\n"
            f"astvarlibdir => {inner}/lib\n"
            f"astdbdir => {inner}/lib\n"
            f"astkeydir => {inner}/lib\n"
            f"astdatadir => {inner}/data\n"
            f"astagidir => {inner}/data/agi-bin\n"
            f"astspooldir => {inner}/spool\n"
            f"astrundir => {inner}/run\n"
            f"astlogdir => {inner}/log\n"
            "astsbindir => /usr/sbin\n"
            "\n[options]\nverbose = 0\ndebug = 0\ndocumentation_language = en_US\n"
        )

    def _module_dir(self) -> str:
        stock = self.install.host_path("/etc/asterisk/asterisk.conf").read_text()
        match = re.search(r"^\s*astmoddir\s*=>\s*(\S+)", stock, re.MULTILINE)
        return match.group(1) if match else "/usr/lib/asterisk/modules"

    def _link_data_dir(self) -> None:
        """Stock data (moh, core sounds) by symlink, plus this repo's prompts by copy.

        Symlinks are resolved by Asterisk, so their targets are paths as it sees them;
        the prompts are copied because a chroot cannot see the clone.
        """
        data = self.dir / "data"
        stock = self.install.data_dir
        for entry in self.install.host_path(stock).iterdir():
            if entry.name != "sounds":
                _symlink(data / entry.name, f"{stock}/{entry.name}")
        for lang_dir in sorted(p for p in SOUNDS_DIR.iterdir() if (p / "securepay").is_dir()):
            target = data / "sounds" / lang_dir.name
            target.mkdir(parents=True, exist_ok=True)
            core = self._resolve(f"{stock}/sounds/{lang_dir.name}")
            for entry in self.install.host_path(core).iterdir():
                _symlink(target / entry.name, f"{core}/{entry.name}")
            if (target / "securepay").is_symlink():
                (target / "securepay").unlink()
            shutil.copytree(lang_dir / "securepay", target / "securepay", dirs_exist_ok=True)

    def _resolve(self, inner: str) -> str:
        """Follow symlinks as Asterisk would see them (Debian links sounds via alternatives)."""
        argv = ["readlink", "-f", inner]
        if self.install.root is not None:
            argv = ["chroot", str(self.install.root), *argv]
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def _kill_group(pid: int) -> None:
    """Stop a process group started by an earlier `asterisk-up`, waiting up to 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
        for _ in range(100):
            os.killpg(pid, 0)
            time.sleep(0.1)
        os.killpg(pid, signal.SIGKILL)


def _symlink(link: Path, target: str) -> None:
    if not link.is_symlink() and not link.exists():
        link.symlink_to(target)
