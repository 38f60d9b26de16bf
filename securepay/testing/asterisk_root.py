"""Find or build an Asterisk >= 20 to run the rig against.

Debian 12 ships no Asterisk, so when the machine has none we build a Debian unstable
chroot (the recipe in the project's reference notes) and cache it outside the clone:
building costs about a minute, reusing it costs nothing. A lock keeps two runs from
building at once, and a marker written last tells a finished build from an interrupted
one, which is thrown away and rebuilt.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path("/var/cache/securepay/asterisk-root")
ROOT_ENV = "SECUREPAY_ASTERISK_ROOT"
MARKER = ".securepay-complete"
MIN_MAJOR = 20
PACKAGES = (
    "asterisk",
    "asterisk-core-sounds-en",
    "asterisk-core-sounds-es",
    "asterisk-moh-opsound-wav",
)
OWNED_DIRS = (
    "/etc/asterisk",
    "/var/lib/asterisk",
    "/var/log/asterisk",
    "/var/spool/asterisk",
    "/usr/share/asterisk",
)


class ProvisionError(RuntimeError):
    """Raised when no usable Asterisk can be found or built."""


@dataclass(frozen=True)
class AsteriskInstall:
    """Where an Asterisk binary lives and how to run it.

    `root` is the chroot directory, or None for a system Asterisk; paths the rig
    writes are host paths, paths handed to Asterisk are seen from inside `root`.
    """

    root: Path | None
    version: str
    data_dir: str

    def host_path(self, inner: str) -> Path:
        """Map a path as Asterisk sees it to the same file on the host."""
        return Path(inner) if self.root is None else self.root / inner.lstrip("/")

    def command(self, *args: str) -> list[str]:
        """The argv that runs `asterisk args...` in this install."""
        prefix = [] if self.root is None else ["chroot", str(self.root)]
        return [*prefix, "asterisk", *args]


def find_or_build(root: Path | None = None, log: object = sys.stderr) -> AsteriskInstall:
    """Prefer a system Asterisk >= 20; otherwise the cached chroot, built if needed."""
    system = system_install()
    if system is not None:
        return system
    root = root or Path(os.environ.get(ROOT_ENV, DEFAULT_ROOT))
    ensure_chroot(root, log)
    return chroot_install(root)


def system_install() -> AsteriskInstall | None:
    binary = shutil.which("asterisk")
    if binary is None:
        return None
    version = _version([binary, "-V"])
    if version is None or _major(version) < MIN_MAJOR:
        return None
    return AsteriskInstall(root=None, version=version, data_dir="/usr/share/asterisk")


def chroot_install(root: Path) -> AsteriskInstall:
    version = _version(["chroot", str(root), "asterisk", "-V"])
    if version is None:
        raise ProvisionError(f"the Asterisk chroot at {root} has no working asterisk binary")
    return AsteriskInstall(root=root, version=version, data_dir="/usr/share/asterisk")


def ensure_chroot(root: Path, log: object = sys.stderr) -> None:
    """Build the chroot unless a complete one is cached; safe to call concurrently."""
    root.parent.mkdir(parents=True, exist_ok=True)
    with _locked(root.with_name(root.name + ".lock")):
        if (root / MARKER).exists():
            return
        if root.exists():
            _say(log, f"securepay: {root} is an interrupted build; rebuilding")
            remove_chroot(root)
        _say(log, f"securepay: building the Asterisk chroot in {root} (about a minute)")
        _build(root)
        (root / MARKER).write_text("ok\n")


def remove_chroot(root: Path) -> None:
    """Delete a chroot, unmounting anything left mounted inside it first."""
    unmount_proc(root)
    shutil.rmtree(root)


def mount_proc(root: Path) -> None:
    proc = root / "proc"
    if not os.path.ismount(proc):
        _run(["mount", "-t", "proc", "proc", str(proc)])


def unmount_proc(root: Path) -> None:
    proc = root / "proc"
    if os.path.ismount(proc):
        subprocess.run(["umount", "-l", str(proc)], check=False)


def _build(root: Path) -> None:
    _ensure_host_tools()
    _run(["debootstrap", "--variant=minbase", "sid", str(root), _mirror()])
    mount_proc(root)
    try:
        chroot = ["chroot", str(root)]
        _run([*chroot, "apt-get", "-q", "-o", "Acquire::Check-Valid-Until=false", "update"])
        _run(
            [
                *chroot,
                "env",
                "DEBIAN_FRONTEND=noninteractive",
                "apt-get",
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                *PACKAGES,
            ]
        )
        _run([*chroot, "chown", "-R", "root:root", *OWNED_DIRS])
        _run([*chroot, "apt-get", "clean"])
    finally:
        unmount_proc(root)


def _ensure_host_tools() -> None:
    if shutil.which("debootstrap") is None:
        _run(["apt-get", "update", "-q"])
        _run(["apt-get", "install", "-y", "-q", "debootstrap"])


def _mirror() -> str:
    """The Debian mirror this machine already uses, so the chroot needs no other host."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.exists():
        match = re.search(r"^URIs:\s*(\S+)", sources.read_text(), re.MULTILINE)
        if match:
            return match.group(1)
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists():
        match = re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", legacy.read_text(), re.MULTILINE)
        if match:
            return match.group(1)
    return "http://deb.debian.org/debian"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _version(argv: list[str]) -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"Asterisk\s+(\S+)", out.stdout)
    return match.group(1) if match else None


def _major(version: str) -> int:
    match = re.match(r"\D*(\d+)", version)
    return int(match.group(1)) if match else 0


def _run(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise ProvisionError(f"{' '.join(argv[:4])} ... failed ({result.returncode}):\n{tail}")


def _say(log: object, message: str) -> None:
    print(message, file=log, flush=True)  # type: ignore[call-overload]


def chroot_in_use(root: Path) -> bool:
    """Whether any process still runs inside `root` (another test run's Asterisk)."""
    target = str(root.resolve())
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.readlink(entry / "root") == target:
                    return True
    return False
