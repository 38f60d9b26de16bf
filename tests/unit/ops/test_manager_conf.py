"""The manager.conf lint: which AMI users would receive keyed digits."""

from __future__ import annotations

from pathlib import Path

import pytest

from securepay.ops.manager_conf import (
    ManagerConfError,
    config_from_getconfig,
    leaking_users,
    manager_users,
    parse_manager_text,
    read_manager_conf,
)

SHIPPED = Path(__file__).resolve().parents[3] / "asterisk-config"


def names(text: str, base: Path | None = None) -> list[str]:
    return [user.name for user in leaking_users(parse_manager_text(text, base))]


def test_shipped_manager_user_reads_and_writes_call_only() -> None:
    categories = read_manager_conf(SHIPPED / "manager.conf")
    assert leaking_users(categories) == []
    options = dict(dict(categories)["securepay"])
    assert options["read"] == "call" and options["write"] == "call"
    assert options["permit"] == "127.0.0.1/255.255.255.255"
    assert dict(dict(categories)["general"])["bindaddr"] == "127.0.0.1"


def test_shipped_logger_conf_has_no_dtmf_level_and_no_star() -> None:
    lines = [line.split(";", 1)[0] for line in (SHIPPED / "logger.conf").read_text().splitlines()]
    levels = " ".join(line.split("=>", 1)[1] for line in lines if "=>" in line)
    assert levels and "dtmf" not in levels.lower() and "*" not in levels


def test_shipped_cel_conf_logs_no_dtmf_event() -> None:
    """CEL's DTMF event carries the digit: with it, every keyed card reaches the CEL backend."""
    lines = [line.split(";", 1)[0] for line in (SHIPPED / "cel.conf").read_text().splitlines()]
    events = next(line.split("=", 1)[1] for line in lines if line.strip().startswith("events"))
    names = {name.strip().upper() for name in events.split(",")}
    assert names and "DTMF" not in names and "ALL" not in names


def test_users_reading_dtmf_or_all_are_named_and_general_is_not_a_user() -> None:
    text = """
[general]
enabled = yes
[panel]
read = system,call,dtmf
[crm]
read = all
[billing]
read = call,reporting  ; dtmf in a comment does not count
"""
    assert names(text) == ["panel", "crm"]
    assert [u.name for u in manager_users(parse_manager_text(text))] == ["panel", "crm", "billing"]


def test_the_last_read_line_wins_as_in_asterisk() -> None:
    assert names("[a]\nread = all\nread = call\n[b]\nread = call\nread => dtmf\n") == ["b"]


def test_read_class_inherited_from_a_template_is_found_and_templates_are_not_users() -> None:
    text = "[noisy](!)\nread = all\n[crm](noisy)\nsecret = x\n[quiet](noisy)\nread = call\n"
    assert names(text) == ["crm"]


def test_added_options_merge_into_the_earlier_category() -> None:
    assert names("[crm]\nread = call\n[crm](+)\nread = call,dtmf\n") == ["crm"]


def test_block_comments_are_ignored() -> None:
    assert names("[crm]\nread = call\n;--\nread = all\n--;\n") == []


def test_included_files_and_globs_are_read_relative_to_the_config_dir(tmp_path: Path) -> None:
    (tmp_path / "manager.d").mkdir()
    (tmp_path / "manager.conf").write_text(
        '[general]\nenabled = yes\n#include "manager.d/*.conf"\n#tryinclude manager_custom.conf\n'
    )
    (tmp_path / "manager.d" / "crm.conf").write_text("[crm]\nread = dtmf\n")
    (tmp_path / "manager.d" / "ok.conf").write_text("[ok]\nread = call\n")
    assert [u.name for u in leaking_users(read_manager_conf(tmp_path / "manager.conf"))] == ["crm"]


def test_a_missing_include_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "manager.conf").write_text("#include manager_custom.conf\n")
    with pytest.raises(ManagerConfError, match=r"manager_custom\.conf"):
        read_manager_conf(tmp_path / "manager.conf")


def test_getconfig_answer_becomes_categories() -> None:
    answer = {
        "Response": "Success",
        "ActionID": "1",
        "Category-000000": "general",
        "Line-000000-000000": "enabled=yes",
        "Category-000001": "admin",
        "Line-000001-000000": "secret=x",
        "Line-000001-000001": "read=system,call,dtmf",
    }
    categories = config_from_getconfig(answer)
    assert [name for name, _ in categories] == ["general", "admin"]
    assert [u.name for u in leaking_users(categories)] == ["admin"]
