"""Which manager (AMI) users would receive keyed card digits, from manager.conf's text.

Asterisk sends `DTMFBegin`/`DTMFEnd` events, the digit included, to every manager user
whose `read` classes contain `dtmf` or `all`. This reads manager.conf the way Asterisk
does, as far as users go: `#include`/`#tryinclude` (globs too: Debian includes
`manager.d/*.conf`), `;` and `;-- --;` comments, templates (`[name](!)`) and
inheritance (`[user](template)`), `[name](+)` additions, and the last `read` winning.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

LEAKING_READ_CLASSES = frozenset({"dtmf", "all"})
_INCLUDE = re.compile(r"^#\s*(try)?include\s+(.+)$", re.IGNORECASE)
_HEADER = re.compile(r"^\[([^\]]+)\]\s*(?:\(([^)]*)\))?")
_MAX_DEPTH = 10

Categories = list[tuple[str, list[tuple[str, str]]]]


class ManagerConfError(ValueError):
    """manager.conf (or a file it includes) cannot be read."""


@dataclass(frozen=True)
class ManagerUser:
    name: str
    read: tuple[str, ...]

    @property
    def leaking_classes(self) -> tuple[str, ...]:
        return tuple(c for c in self.read if c in LEAKING_READ_CLASSES)


def read_manager_conf(path: Path) -> Categories:
    """Every category of `path` and what it includes, templates resolved, in file order."""
    raw: list[_Category] = []
    _parse_file(path, path.parent, raw, depth=0)
    return _resolve(raw)


def parse_manager_text(text: str, base_dir: Path | None = None) -> Categories:
    """The same from text; includes are resolved against `base_dir` (skipped without one)."""
    raw: list[_Category] = []
    _parse_lines(text.splitlines(), base_dir, raw, depth=0, where="manager.conf")
    return _resolve(raw)


def manager_users(categories: Categories) -> list[ManagerUser]:
    """Every category but [general] is a user; its read classes are its last `read`."""
    users = []
    for name, options in categories:
        if name.lower() == "general":
            continue
        read = ""
        for key, value in options:
            if key.lower() == "read":
                read = value
        classes = tuple(part.strip().lower() for part in read.split(",") if part.strip())
        users.append(ManagerUser(name, classes))
    return users


def leaking_users(categories: Categories) -> list[ManagerUser]:
    return [user for user in manager_users(categories) if user.leaking_classes]


@dataclass
class _Category:
    name: str
    options: list[tuple[str, str]]
    template: bool
    parents: tuple[str, ...]
    append: bool


def _parse_file(path: Path, base_dir: Path, out: list[_Category], depth: int) -> None:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise ManagerConfError(f"cannot read {path}: {exc.strerror or exc}") from None
    _parse_lines(text.splitlines(), base_dir, out, depth, where=str(path))


def _parse_lines(
    lines: Iterable[str], base_dir: Path | None, out: list[_Category], depth: int, where: str
) -> None:
    in_block_comment = False
    for raw_line in lines:
        line = raw_line
        if in_block_comment:
            if "--;" not in line:
                continue
            line = line.split("--;", 1)[1]
            in_block_comment = False
        if ";--" in line:
            before, _, after = line.partition(";--")
            if "--;" in after:
                line = before + after.split("--;", 1)[1]
            else:
                line = before
                in_block_comment = True
        line = _strip_comment(line).strip()
        if not line:
            continue
        include = _INCLUDE.match(line)
        if include:
            if base_dir is not None:
                _include(include.group(2), bool(include.group(1)), base_dir, out, depth, where)
            continue
        header = _HEADER.match(line)
        if header:
            flags = tuple(part.strip() for part in (header.group(2) or "").split(",") if part.strip())
            out.append(
                _Category(
                    name=header.group(1).strip(),
                    options=[],
                    template="!" in flags,
                    parents=tuple(flag for flag in flags if flag not in ("!", "+")),
                    append="+" in flags,
                )
            )
            continue
        key, sep, value = line.partition("=")
        if sep and out:
            out[-1].options.append((key.strip(), value.removeprefix(">").strip()))


def _strip_comment(line: str) -> str:
    """Drop a `;` comment; `\\;` is a literal semicolon."""
    out = []
    escaped = False
    for char in line:
        if char == ";" and not escaped:
            break
        escaped = char == "\\" and not escaped
        out.append(char)
    return "".join(out).replace("\\;", ";")


def _include(
    target: str, optional: bool, base_dir: Path, out: list[_Category], depth: int, where: str
) -> None:
    if depth >= _MAX_DEPTH:
        raise ManagerConfError(f"{where}: #include nested more than {_MAX_DEPTH} deep")
    target = target.strip().strip('"').strip("<>").strip()
    pattern = target if target.startswith("/") else str(base_dir / target)
    matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    for match in matches:
        path = Path(match)
        if not path.exists():
            if optional or glob.has_magic(pattern):
                continue
            raise ManagerConfError(f"{where}: #include {target}: no such file")
        _parse_file(path, base_dir, out, depth + 1)


def _resolve(raw: list[_Category]) -> Categories:
    """Merge `(+)` additions, copy inherited options in, drop templates."""
    merged: list[_Category] = []
    by_name: dict[str, _Category] = {}
    for category in raw:
        existing = by_name.get(category.name)
        if category.append and existing is not None:
            existing.options.extend(category.options)
            continue
        merged.append(category)
        by_name[category.name] = category
    result: Categories = []
    for category in merged:
        if category.template:
            continue
        options: list[tuple[str, str]] = []
        for parent in category.parents:
            template = by_name.get(parent)
            if template is not None:
                options.extend(_inherited(template, by_name, depth=0))
        options.extend(category.options)
        result.append((category.name, options))
    return result


def _inherited(category: _Category, by_name: dict[str, _Category], depth: int) -> list[tuple[str, str]]:
    if depth >= _MAX_DEPTH:
        return list(category.options)
    options: list[tuple[str, str]] = []
    for parent in category.parents:
        template = by_name.get(parent)
        if template is not None:
            options.extend(_inherited(template, by_name, depth + 1))
    return options + list(category.options)


def config_from_getconfig(answer: Mapping[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The categories of a `GetConfig` answer: [(name, [(key, value), ...]), ...] in order.

    Asterisk numbers them `Category-000000: general`, `Line-000000-000001: key=value`.
    """
    categories: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for key, value in answer.items():
        kind, _, number = key.partition("-")
        if kind == "Category":
            categories[number] = (value, [])
        elif kind == "Line":
            category = number.split("-", 1)[0]
            if category in categories:
                name, _, setting = value.partition("=")
                categories[category][1].append((name.strip(), setting.strip()))
    return list(categories.values())
