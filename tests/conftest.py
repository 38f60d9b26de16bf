"""The real-service rig: one Asterisk and one redis-server per test session.

Both are provisioned by the harness itself (the Asterisk chroot is built and cached
outside the clone on first use). Under CI=true a missing service fails the tests that
need it; elsewhere they skip with the reason, so a laptop without root still runs the
unit tests.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from securepay.testing.asterisk_rig import AsteriskInstance
from securepay.testing.asterisk_root import AsteriskInstall, chroot_in_use, find_or_build, unmount_proc
from securepay.testing.redis_rig import RedisInstance
from securepay.testing.sip.sipp import sipp_path

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def unavailable(what: str, reason: str) -> None:
    message = f"{what} unavailable: {reason}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def asterisk_install() -> Iterator[AsteriskInstall]:
    try:
        install = find_or_build()
    except Exception as exc:  # any provisioning failure: report it, never hide it
        unavailable("Asterisk", str(exc))
    yield install
    if install.root is not None and not chroot_in_use(install.root):
        unmount_proc(install.root)


@pytest.fixture(scope="session")
def asterisk(asterisk_install: AsteriskInstall) -> Iterator[AsteriskInstance]:
    instance = AsteriskInstance(asterisk_install)
    try:
        instance.start()
    except Exception as exc:
        instance.remove()
        unavailable("Asterisk", str(exc))
    yield instance
    instance.remove()


@pytest.fixture
def fresh_asterisk(asterisk_install: AsteriskInstall) -> Iterator[AsteriskInstance]:
    """An instance of its own, not started: for tests that stop or delay Asterisk."""
    instance = AsteriskInstance(asterisk_install)
    yield instance
    instance.remove()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisInstance]:
    instance = RedisInstance()
    try:
        instance.start()
    except Exception as exc:
        unavailable("redis-server", str(exc))
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """Debian's chromium driven by Playwright (a playwright Browser); never a downloaded browser."""
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:
        unavailable("chromium", f"playwright is not installed ({exc})")
    if not os.access(CHROMIUM, os.X_OK):
        unavailable("chromium", f"{CHROMIUM} is missing: apt-get install chromium")
    async with async_playwright() as playwright:
        try:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:
            unavailable("chromium", str(exc))
        yield browser
        await browser.close()


@pytest.fixture(scope="session")
def sipp() -> str:
    """sipp (Debian's sip-tester): the SIP user agent of the `sip` tests."""
    path = sipp_path()
    if path is None:
        unavailable("sipp", "sipp is not installed: apt-get install sip-tester")
    return str(path)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Attach Asterisk's log for the failing test to pytest's report."""
    report = yield
    if report.failed and call.when == "call":
        for name in ("asterisk", "fresh_asterisk"):
            instance = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if isinstance(instance, AsteriskInstance):
                report.sections.append((f"Asterisk log ({name})", instance.log_tail()))
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests under tests/e2e that use the rig carry their marker automatically."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & {"asterisk", "fresh_asterisk", "asterisk_install"}:
            item.add_marker(pytest.mark.asterisk)
        if "redis_server" in fixtures:
            item.add_marker(pytest.mark.redis)
        if "chromium" in fixtures:
            item.add_marker(pytest.mark.browser)
        if "sipp" in fixtures:
            item.add_marker(pytest.mark.sip)
