"""The HTTP API fuzzed from its contract (securepay/web/openapi.yaml) by Schemathesis, against
the real daemon on a real Asterisk with a live call, signed in as a supervisor and then as
an agent: every operation, schema-valid and invalid bodies, parameters and methods, no or
bad tokens, and stateful runs that request, read and cancel real payments. No answer may
be a 5xx, every 4xx carries a reason in the contract's error shape, and the daemon still
takes a payment afterwards.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from securepay.testing.asterisk_rig import AsteriskInstance
from securepay.web.app import OPENAPI
from tests.unit.web.live import api, api_url, key_card, live_rig, request_payment
from tests.unit.web.support import ALICE_TOKEN, CONTRACT, SUPERVISOR_TOKEN, bearer, component

SEED = 20261203
EXAMPLES_PER_OPERATION = 100
CONFIG = """
# DELETE cancels a payment; its record stays readable with the outcome agent-cancelled.
checks.use_after_free.enabled = false

[dictionaries.calls]
values = ["{call_id}"]

[dictionaries.agents]
values = ["alice", "bob"]

[[operations]]
include-operation-id = "requestPayment"
parameters = {{ "path.call_id" = {{ dictionary = "calls", probability = 0.5 }} }}
# A schema-valid body may still be refused for the operator's limits: an amount over
# payments.max_amount or a language not in payments.languages.
checks.positive_data_acceptance.expected-statuses = [201, 404, 409, 422]

[[operations]]
include-operation-id = "getAgentCall"
parameters = {{ "path.agent_id" = {{ dictionary = "agents", probability = 0.5 }} }}

[[operations]]
# A plain GET of the WebSocket endpoint is always refused (426): the contract says so.
include-operation-id = "eventStream"
checks.positive_data_acceptance.enabled = false
"""
SCHEMATHESIS = "from schemathesis.cli import schemathesis; schemathesis()"


def operation_of(method: str, url: str) -> str:
    """The contract's operation a request went to, or "undeclared" (a method or path it has not)."""
    path = urlsplit(url).path
    for template, operations in CONTRACT["paths"].items():
        pattern = "^" + re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return str(operations[method.lower()]["operationId"])
    return "undeclared"


def interactions(report: Path) -> list[dict[str, Any]]:
    """Every request Schemathesis sent and the answer it got, from its NDJSON report."""
    found: list[dict[str, Any]] = []
    for line in report.read_text().splitlines():
        event = json.loads(line)
        scenario = event.get("ScenarioFinished")
        if scenario:
            found += scenario["recorder"].get("interactions", {}).values()
    return found


def body_of(response: dict[str, Any]) -> bytes:
    content = response.get("content") or {}
    return base64.b64decode(content["$base64"]) if "$base64" in content else b""


async def fuzz(url: str, config: Path, token: str, reports: Path) -> list[dict[str, Any]]:
    """One Schemathesis run signed in with `token`; fails on any failed check."""
    fuzzer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SCHEMATHESIS,
        "--config-file",
        str(config),
        "run",
        str(OPENAPI),
        "--url",
        url,
        "--header",
        f"Authorization: {bearer(token)['Authorization']}",
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--workers",
        "1",
        "--report",
        "ndjson",
        "--report-dir",
        str(reports),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=reports.parent,  # its cache goes there, not into the clone
    )
    output, _ = await fuzzer.communicate()
    assert fuzzer.returncode == 0, output.decode(errors="replace")[-6000:]
    print(output.decode(errors="replace").rpartition("SUMMARY")[2])
    return interactions(next(reports.glob("*.ndjson")))


async def test_fuzzing_the_api_gets_no_5xx_only_reasoned_4xx_and_the_daemon_still_takes_payments(
    asterisk: AsteriskInstance, tmp_path: Path
) -> None:
    async with live_rig(asterisk, auth_failures_max=1_000_000) as rig:
        call_id = await rig.place_call()
        config = tmp_path / "schemathesis.toml"
        config.write_text(CONFIG.format(call_id=call_id))
        sent: list[dict[str, Any]] = []
        for role, token in (("supervisor", SUPERVISOR_TOKEN), ("agent", ALICE_TOKEN)):
            sent += await fuzz(api_url(rig), config, token, tmp_path / role)
        per_operation: Counter[str] = Counter()
        statuses: Counter[int] = Counter()
        error_shape = component("Error")
        for interaction in sent:
            request, response = interaction["request"], interaction["response"]
            per_operation[operation_of(request["method"], request["uri"])] += 1
            status = response["status_code"]
            statuses[status] += 1
            assert status < 500, f"{request['method']} {request['uri']} answered {status}"
            if 400 <= status < 500:
                answer = json.loads(body_of(response))
                error_shape.validate(answer)
                assert answer["message"], answer
        print("\nfuzz cases sent per operation:")
        for operation, count in sorted(per_operation.items()):
            print(f"  {operation:<16} {count:>6}")
        print(f"  {'total':<16} {sum(per_operation.values()):>6}")
        print(f"  statuses: {dict(sorted(statuses.items()))}")
        declared = {op["operationId"] for ops in CONTRACT["paths"].values() for op in ops.values()}
        assert declared <= set(per_operation), f"never fuzzed: {declared - set(per_operation)}"
        assert statuses[401] > 0, "no request without or with a bad token was tried"

        async with api(rig, ALICE_TOKEN) as alice:
            left_running = rig.daemon.calls.get(call_id).payment_id
            if left_running:
                async with alice.delete(f"/api/v1/payments/{left_running}") as resp:
                    assert resp.status in (202, 409), await resp.text()
            await rig.until(lambda: not rig.daemon.calls.get(call_id).payment_id, 30)
            payment = await request_payment(alice, rig, call_id)
        await key_card(rig, payment)
        await rig.finished(payment)
        assert payment.outcome is not None and payment.outcome.value == "success"
