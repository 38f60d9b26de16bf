"""The daemon makes itself non-dumpable: no core dump or /proc/<pid>/mem holds a card.

Each check runs in a child Python, since a non-dumpable flag cannot be undone and the
test runner must stay as it was.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="prctl(PR_SET_DUMPABLE) is Linux-only")


def child(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.strip()


def test_a_fresh_process_is_dumpable_so_the_check_means_something() -> None:
    assert child("from securepay import hardening; print(hardening.is_dumpable())") == "True"


def test_forbidding_core_dumps_makes_the_process_non_dumpable_with_no_core_size() -> None:
    out = child(
        "import resource\n"
        "from securepay import hardening\n"
        "forbidden = hardening.forbid_core_dumps()\n"
        "print(forbidden, hardening.is_dumpable(), resource.getrlimit(resource.RLIMIT_CORE))"
    )
    assert out == "True False (0, 0)"


def test_securepay_run_goes_non_dumpable_before_the_daemon_starts() -> None:
    out = child(
        "from unittest import mock\n"
        "from securepay import cli, daemon, hardening\n"
        "async def started(settings): print(hardening.is_dumpable())\n"
        "with mock.patch.object(daemon, 'run', started):\n"
        "    cli.main(['run'])\n"
    )
    assert out == "False"
