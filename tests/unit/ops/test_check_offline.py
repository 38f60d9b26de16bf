"""`securepay check` with nothing to reach: every failure named, nothing crashes."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from securepay import config
from securepay.cli import main
from securepay.ops.check import Result, Status, render, run_checks


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_with_nothing_running(**env: str) -> config.Settings:
    port = closed_port()
    return config.load(
        None,
        environ={
            "SECUREPAY_ARI_URL": f"http://127.0.0.1:{port}",
            "SECUREPAY_AMI_ENABLED": "true",
            "SECUREPAY_AMI_PORT": str(port),
            "SECUREPAY_REDIS_URL": f"redis://:hunter2@127.0.0.1:{port}/0",
            **env,
        },
    )


async def test_unreachable_services_fail_with_fixes_and_dependent_checks_skip() -> None:
    results = {r.name: r for r in await run_checks(settings_with_nothing_running(), None)}
    assert results["ari"].status is Status.FAIL and "http.conf" in results["ari"].fix
    assert results["ami"].status is Status.FAIL and "manager.conf" in results["ami"].fix
    assert results["redis"].status is Status.FAIL and "redis-server" in results["redis"].fix
    for name in ("ari app", "prompts", "bridge media", "logger dtmf", "ari debug", "manager users"):
        assert results[name].status is Status.SKIP
    assert results["gateway"].status is Status.OK, "the simulator answers in-process"
    assert all("hunter2" not in f"{r.detail} {r.fix}" for r in results.values())


async def test_a_leaking_manager_conf_is_read_from_the_configured_path(tmp_path: Path) -> None:
    (tmp_path / "manager.conf").write_text("[general]\nenabled = yes\n[admin]\nsecret = x\nread = all\n")
    settings = settings_with_nothing_running(SECUREPAY_AMI_MANAGER_CONF=str(tmp_path / "manager.conf"))
    results = {r.name: r for r in await run_checks(settings, None)}
    assert results["manager users"].status is Status.FAIL
    assert "admin (read = all)" in results["manager users"].detail


def test_table_puts_each_fix_under_its_failure_and_counts_failures() -> None:
    text = render(
        [
            Result("config", Status.OK, "valid"),
            Result("logger dtmf", Status.FAIL, "full receives digits", "remove dtmf"),
            Result("crm", Status.SKIP, "kind = none"),
        ]
    )
    assert text.splitlines() == [
        "OK    config       valid",
        "FAIL  logger dtmf  full receives digits",
        "                   fix: remove dtmf",
        "SKIP  crm          kind = none",
        "1 failed",
    ]


def test_cli_exits_non_zero_when_a_check_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cfg = tmp_path / "securepay.toml"
    cfg.write_text(f'[ari]\nurl = "http://127.0.0.1:{closed_port()}"\n')
    assert main(["check", "--config", str(cfg)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("OK    config")
    assert "FAIL  ari" in out


def test_cli_names_a_bad_key_before_checking_anything(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cfg = tmp_path / "securepay.toml"
    cfg.write_text("[ami]\nenabeld = true\n")
    assert main(["check", "--config", str(cfg)]) == 2
    assert capsys.readouterr().err.strip() == "securepay: bad config: ami.enabeld: unknown key"
