"""`securepay run | check | token | payments | crm`: the operator's entry points.

Expected failures (bad config, wrong ARI credentials) end with one line naming
the problem and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from securepay import __version__, config, daemon, hardening, logs
from securepay.ari import AriAuthError
from securepay.crm import commands as crm_commands
from securepay.ledger import commands as ledger_commands
from securepay.web.auth import new_token, token_hash

EXIT_CONFIG = 2
EXIT_ARI = 3


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = config.load(args.config)
    except config.ConfigError as exc:
        print(f"securepay: bad config: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if getattr(args, "pass_args", False):  # commands that read their own options: handler(settings, args)
        return int(args.handler(settings, args) or 0)
    return int(args.handler(settings) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="securepay", description="Secure phone payments for Asterisk.")
    parser.add_argument("--version", action="version", version=f"securepay {__version__}")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the daemon", description="Run the daemon.")
    _add_config_option(run)
    run.set_defaults(handler=_run)
    check_text = "validate the config, reach Asterisk and every service, and look for card-data leaks"
    check_cmd = sub.add_parser(
        "check",
        help=check_text,
        description=check_text + ". Prints OK / FAIL / SKIP with the fix for each FAIL; exit 1 on any FAIL.",
    )
    _add_config_option(check_cmd)
    check_cmd.set_defaults(handler=_check, pass_args=True)
    token = sub.add_parser(
        "token",
        help="make an API token for an agent or supervisor",
        description="Print a new random token and the sha256 the config stores for it.",
    )
    token.set_defaults(handler=_token, config=None)
    ledger_commands.add_commands(sub, _add_config_option)
    crm_commands.add_commands(sub, _add_config_option)
    return parser


def _add_config_option(cmd: argparse.ArgumentParser) -> None:
    default_config = os.environ.get("SECUREPAY_CONFIG")
    cmd.add_argument(
        "--config",
        type=Path,
        default=Path(default_config) if default_config else None,
        help="TOML config file (default: $SECUREPAY_CONFIG, else embedded defaults)",
    )


def _token(settings: config.Settings) -> int:
    """The token goes to its holder once; only its hash is kept in the config."""
    secret = new_token()
    print(f"token         {secret}")
    print(f"token_sha256  {token_hash(secret)}")
    print("Give the token to its holder. Put token_sha256 under [agents.<id>] (an agent)")
    print("or in web.supervisor_tokens_sha256 (a supervisor); the token itself is not stored.")
    return 0


def _run(settings: config.Settings) -> int:
    logs.configure(settings.log.level, settings.log.format)
    if not hardening.forbid_core_dumps():
        logging.getLogger(__name__).warning("could not make the daemon non-dumpable: a crash may dump core")
    try:
        asyncio.run(daemon.run(settings))
    except config.ConfigError as exc:
        print(f"securepay: bad config: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except AriAuthError:
        print(
            f"securepay: ARI rejected user {settings.ari.username!r} at {settings.ari.url}: "
            "check [ari] username and password against ari.conf",
            file=sys.stderr,
        )
        return EXIT_ARI
    return 0


def _check(settings: config.Settings, args: argparse.Namespace) -> int:
    from securepay.ops import check

    return check.run(settings, args.config)


if __name__ == "__main__":
    sys.exit(main())
