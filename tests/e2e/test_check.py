"""`securepay check` as an operator runs it, against the rig's real Asterisk 22.

The rig renders the shipped asterisk-config/ (manager.conf included), so a clean run
here is the claim that what we ship passes its own leak checks. Each fault is seeded
for one test only and removed afterwards.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from securepay.ami import AmiAuthError, AmiClient
from securepay.ops.check import prompt_names
from securepay.testing.asterisk_rig import AsteriskInstance

PROMPTS = prompt_names() or []


@dataclass(frozen=True)
class Row:
    status: str
    detail: str
    fix: str


@dataclass(frozen=True)
class Report:
    code: int
    rows: dict[str, Row]
    text: str


def write_config(tmp_path: Path, asterisk: AsteriskInstance, extra: str = "", **ari: str) -> Path:
    ami_password = ari.pop("ami_password", asterisk.ami_password)
    manager_conf = ari.pop("manager_conf", str(asterisk.dir / "etc" / "manager.conf"))
    config = tmp_path / "securepay.toml"
    config.write_text(
        "[ari]\n"
        f'url = "{asterisk.ari.url}"\n'
        f'password = "{ari.get("password", asterisk.password)}"\n'
        "[ami]\n"
        "enabled = true\n"
        f"port = {asterisk.ami_port}\n"
        f'password = "{ami_password}"\n'
        f'manager_conf = "{manager_conf}"\n' + extra
    )
    return config


async def run_check(config: Path) -> Report:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECUREPAY_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "securepay.cli",
        "check",
        "--config",
        str(config),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    text = out.decode()
    assert "Traceback" not in text + err.decode(), err.decode()
    return Report(process.returncode, parse_table(text), text)


def parse_table(text: str) -> dict[str, Row]:
    """`STATUS  name  detail` rows, each FAIL followed by its `fix:` line."""
    rows: dict[str, Row] = {}
    last = ""
    for line in text.splitlines():
        status, _, rest = line.partition("  ")
        if status.strip() in ("OK", "FAIL", "SKIP"):
            name, _, detail = rest.strip().partition("  ")
            last = name.strip()
            rows[last] = Row(status.strip(), detail.strip(), "")
        elif line.strip().startswith("fix: ") and last:
            rows[last] = Row(rows[last].status, rows[last].detail, line.strip().removeprefix("fix: "))
    return rows


async def ari_call(asterisk: AsteriskInstance, method: str, path: str, **params: str) -> int:
    auth = {"Authorization": aiohttp.encode_basic_auth(asterisk.ari.username, asterisk.ari.password)}
    async with (
        aiohttp.ClientSession(headers=auth) as session,
        session.request(method, f"{asterisk.ari.url}/ari{path}", params=params) as resp,
    ):
        return resp.status


async def test_check_passes_on_the_shipped_asterisk_config(
    asterisk: AsteriskInstance, tmp_path: Path
) -> None:
    report = await run_check(write_config(tmp_path, asterisk))
    assert report.code == 0, report.text
    for name in ("config", "ari", "ari app", "prompts", "core sounds", "logger dtmf", "ari debug"):
        assert report.rows[name].status == "OK", report.text
    for name in ("bridge media", "ami", "ami actions", "manager users", "gateway"):
        assert report.rows[name].status == "OK", report.text
    assert "Redirect, Getvar, Status" in report.rows["ami actions"].detail
    assert report.rows["redis"].status == "SKIP" and report.rows["crm"].status == "SKIP"
    assert report.rows["prompts"].detail == f"all {len(PROMPTS)} prompts in en, es"
    assert asterisk.password not in report.text and asterisk.ami_password not in report.text


async def test_dtmf_log_channel_fails_with_the_logger_fix(asterisk: AsteriskInstance, tmp_path: Path) -> None:
    status = await ari_call(
        asterisk, "POST", "/asterisk/logging/securepay-leak.log", configuration="notice,dtmf"
    )
    assert status == 204
    try:
        report = await run_check(write_config(tmp_path, asterisk))
    finally:
        await ari_call(asterisk, "DELETE", "/asterisk/logging/securepay-leak.log")
    assert report.code == 1
    row = report.rows["logger dtmf"]
    assert row.status == "FAIL" and "securepay-leak.log" in row.detail
    assert "remove dtmf" in row.fix and "logger reload" in row.fix


async def test_asterisk_without_bridge_media_fails_naming_the_prompts_the_agent_would_miss(
    asterisk: AsteriskInstance, tmp_path: Path
) -> None:
    module = "/asterisk/modules/chan_bridge_media.so"
    assert await ari_call(asterisk, "DELETE", module) == 204
    try:
        report = await run_check(write_config(tmp_path, asterisk, "[payments]\nagent_hears_prompts = true\n"))
    finally:
        assert await ari_call(asterisk, "POST", module) == 204
    assert report.code == 1
    row = report.rows["bridge media"]
    assert row.status == "FAIL" and "no hold music" in row.detail and "agent_hears_prompts" in row.detail
    assert "load => chan_bridge_media.so" in row.fix


async def test_wrong_ari_password_fails_and_skips_what_needs_ari(
    asterisk: AsteriskInstance, tmp_path: Path
) -> None:
    report = await run_check(write_config(tmp_path, asterisk, password="not-the-password"))
    assert report.code == 1
    row = report.rows["ari"]
    assert row.status == "FAIL" and "rejected" in row.detail
    assert "ari.conf" in row.fix
    for name in ("ari app", "prompts", "logger dtmf", "ari debug"):
        assert report.rows[name].status == "SKIP", report.text
    assert "not-the-password" not in report.text


async def test_language_without_rendered_prompts_fails_as_missing(
    asterisk: AsteriskInstance, tmp_path: Path
) -> None:
    config = write_config(tmp_path, asterisk, '[payments]\nlanguages = ["en", "fr"]\n')
    report = await run_check(config)
    assert report.code == 1
    row = report.rows["prompts"]
    assert row.status == "FAIL"
    assert f"fr: {len(PROMPTS)} of {len(PROMPTS)} missing" in row.detail and "en:" not in row.detail
    assert "sounds/<lang>/securepay/" in row.fix and "fr" in row.fix


async def test_manager_user_reading_all_fails_with_the_read_fix(
    asterisk: AsteriskInstance, tmp_path: Path
) -> None:
    etc = tmp_path / "asterisk"
    (etc / "manager.d").mkdir(parents=True)
    shipped = (asterisk.dir / "etc" / "manager.conf").read_text()
    (etc / "manager.conf").write_text(shipped + '\n#include "manager.d/*.conf"\n')
    (etc / "manager.d" / "crm-sync.conf").write_text(
        "[crm-sync]\nsecret = s3cret\nread = all\nwrite = system,call\n"
    )
    report = await run_check(write_config(tmp_path, asterisk, manager_conf=str(etc / "manager.conf")))
    assert report.code == 1
    row = report.rows["manager users"]
    assert row.status == "FAIL" and "crm-sync (read = all)" in row.detail
    assert "securepay (read" not in row.detail, "the shipped user must not be named"
    assert "read" in row.fix and "manager reload" in row.fix


async def test_wrong_ami_secret_fails_with_the_manager_fix(
    asterisk: AsteriskInstance, tmp_path: Path
) -> None:
    report = await run_check(write_config(tmp_path, asterisk, ami_password="wrong-secret"))
    assert report.code == 1
    row = report.rows["ami"]
    assert row.status == "FAIL" and "rejected" in row.detail
    assert "manager.conf" in row.fix
    assert "wrong-secret" not in report.text


async def test_ami_login_works_against_the_rigs_manager(asterisk: AsteriskInstance) -> None:
    async with AmiClient("127.0.0.1", asterisk.ami_port, "securepay", asterisk.ami_password) as ami:
        assert ami.banner.startswith("Asterisk Call Manager/")
        await ami.action("Getvar", Variable="SECUREPAY_CHECK")
    with pytest.raises(AmiAuthError):
        async with AmiClient("127.0.0.1", asterisk.ami_port, "securepay", "wrong"):
            pass
