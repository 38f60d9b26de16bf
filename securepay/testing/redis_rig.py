"""A private redis-server on a free loopback port, for tests and `make demo`.

The rig never relies on a Redis that happens to be running: it starts its own with
persistence off and stops it at the end.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time

from securepay.testing.asterisk_rig import free_port


class RedisError(RuntimeError):
    """Raised when redis-server cannot be found, installed or started."""


def ensure_redis_server() -> str:
    """The redis-server binary, installing Debian's package when it is missing."""
    binary = shutil.which("redis-server")
    if binary is None:
        for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "redis-server"]):
            subprocess.run(argv, check=False, capture_output=True)
        binary = shutil.which("redis-server")
    if binary is None:
        raise RedisError("redis-server is missing and could not be installed: apt-get install redis-server")
    return binary


class RedisInstance:
    def __init__(self) -> None:
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> None:
        argv = [
            ensure_redis_server(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]
        self._process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                raise RedisError(f"redis-server exited with {self._process.returncode}: {err[-500:]}")
            if self._pings():
                return
            time.sleep(0.05)
        raise RedisError(f"redis-server did not answer on port {self.port} within {timeout_s:.0f} s")

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open and nothing answers, as with a
        Redis that hangs rather than dies."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def _pings(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False
