"""`securepay token`: a fresh token for its holder and the hash for the config."""

from __future__ import annotations

from securepay import cli
from securepay.web.auth import token_hash


def test_token_prints_a_new_token_and_the_sha256_the_config_stores(capsys) -> None:
    assert cli.main(["token"]) == 0
    first = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines()[:2])
    assert len(first["token"]) >= 40
    assert first["token_sha256"] == token_hash(first["token"])
    cli.main(["token"])
    second = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines()[:2])
    assert second["token"] != first["token"]
