"""Keep card data out of core dumps: the daemon makes itself non-dumpable at start.

A core dump of the daemon would hold whatever card buffers were live at the crash, and
/proc/<pid>/mem of a dumpable process is readable by any process of the same user.
``PR_SET_DUMPABLE 0`` stops both; a zero core size limit is the second lock (the
systemd unit also sets ``LimitCORE=0``, and its seccomp filter may refuse setrlimit,
which is fine since the limit is then already 0).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import resource
import sys

PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4


def _prctl(option: int, arg: int = 0) -> int:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    result = int(libc.prctl(option, arg, 0, 0, 0))
    if result < 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")
    return result


def is_dumpable() -> bool:
    """Whether this process may leave a core dump (always False off Linux, where we do not run)."""
    return sys.platform == "linux" and _prctl(PR_GET_DUMPABLE) != 0


def forbid_core_dumps() -> bool:
    """Make this process non-dumpable and its core size 0; True once it is non-dumpable."""
    if sys.platform != "linux":
        return False
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        _prctl(PR_SET_DUMPABLE, 0)
    except OSError:
        return False
    return not is_dumpable()
