"""The systemd unit and the example config shipped in deploy/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from securepay import config

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
UNIT = DEPLOY / "securepay.service"
EXAMPLE = DEPLOY / "securepay.toml.example"
SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        message = "systemd-analyze unavailable: apt-get install systemd"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


def unit_directives() -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            directives.setdefault(key.strip(), []).append(value.strip())
    return directives


def test_systemd_analyze_verify_accepts_the_unit_without_a_warning(tmp_path: Path) -> None:
    """Verified in a scratch root: the host needs no /opt/securepay and no running systemd."""
    analyze = systemd_analyze()
    (tmp_path / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree(SYSTEM_UNITS, tmp_path / "usr/lib/systemd/system", symlinks=True)
    executable = tmp_path / "opt/securepay/.venv/bin/securepay"
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    installed = tmp_path / "etc/systemd/system/securepay.service"
    installed.parent.mkdir(parents=True)
    shutil.copy(UNIT, installed)
    result = subprocess.run(
        [analyze, "verify", f"--root={tmp_path}", "--man=no", str(installed)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == "", result.stderr


def test_systemd_analyze_verify_would_report_a_mistyped_directive(tmp_path: Path) -> None:
    analyze = systemd_analyze()
    broken = tmp_path / "securepay.service"
    broken.write_text(UNIT.read_text().replace("ProtectSystem=strict", "ProtectSytem=strict"))
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(broken)], capture_output=True, text=True, timeout=60
    )
    assert "ProtectSytem" in result.stderr


def test_unit_runs_hardened_as_its_own_user_and_keeps_the_ledger_in_its_state_directory() -> None:
    d = unit_directives()
    assert d["DynamicUser"] == ["yes"]
    assert d["ProtectSystem"] == ["strict"] and d["ProtectHome"] == ["yes"]
    assert d["NoNewPrivileges"] == ["yes"] and d["PrivateTmp"] == ["yes"]
    assert d["StateDirectory"] == ["securepay"]
    assert d["CapabilityBoundingSet"] == [""]
    assert d["Restart"] == ["on-failure"] and d["RestartPreventExitStatus"] == ["2 3"]
    assert int(d["TimeoutStopSec"][0].removesuffix("s")) >= 60, "a charge in flight must finish"
    assert config.LedgerConfig().path.parent == Path("/var/lib/securepay")


def test_unit_forbids_core_dumps() -> None:
    assert unit_directives()["LimitCORE"] == ["0"], "a core dump would hold the card being keyed"


def test_unit_reads_etc_securepay_as_a_credential() -> None:
    d = unit_directives()
    assert d["LoadCredential"] == ["securepay.toml:/etc/securepay/securepay.toml"]
    assert d["ExecStart"] == ["/opt/securepay/.venv/bin/securepay run --config %d/securepay.toml"]


def test_example_config_loads_with_the_daemons_own_loader() -> None:
    settings = config.load(EXAMPLE, environ={})
    assert settings == config.load(EXAMPLE, environ={})
    assert settings.ledger.path == Path("/var/lib/securepay/ledger.sqlite3")
    assert set(settings.agents) == {"alice"}


def test_example_config_sets_every_key_the_daemon_knows() -> None:
    data = tomllib.loads(EXAMPLE.read_text())
    missing = []
    for section, field in config.Settings.model_fields.items():
        if section == "agents":
            model: type[BaseModel] = config.AgentConfig
            tables = list(data.get("agents", {}).values())
            present = set(tables[0]) if tables else set()
        else:
            model = field.annotation  # type: ignore[assignment]
            present = set(data.get(section, {}))
        missing += [f"{section}.{key}" for key in model.model_fields if key not in present]
    assert missing == [], "add these to deploy/securepay.toml.example, each with a comment"


def test_every_key_in_the_example_config_has_a_comment() -> None:
    """A comment on the key's line, or above it (keys of one group may share one)."""
    key_line = re.compile(r"^([a-z_0-9]+)\s*=")
    lines = EXAMPLE.read_text().splitlines()
    uncommented = []
    for number, line in enumerate(lines):
        key = key_line.match(line)
        if not key or "#" in line:
            continue
        above = next((lines[i] for i in range(number - 1, -1, -1) if not key_line.match(lines[i])), "")
        if not above.startswith("#"):
            uncommented.append(key.group(1))
    assert uncommented == []
