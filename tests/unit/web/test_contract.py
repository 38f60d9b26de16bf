"""The OpenAPI document in the repo is the API the daemon serves, route for route."""

from __future__ import annotations

from aiohttp import web
from openapi_spec_validator import validate

from securepay import config
from securepay.calls.registry import CallRegistry
from securepay.events.bus import InProcessBus
from securepay.web.app import OPENAPI, build_app
from tests.unit.web.support import CONTRACT, web_rig

METHODS = {"get", "post", "put", "patch", "delete"}


def routed_operations(app: web.Application) -> set[tuple[str, str]]:
    operations = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if path.startswith("/api/") and route.method != "HEAD":
            operations.add((route.method, path))
    return operations


def test_the_contract_is_a_valid_openapi_3_1_document() -> None:
    assert CONTRACT["openapi"].startswith("3.1")
    validate(CONTRACT)


def test_every_api_route_is_in_the_contract_and_every_documented_operation_is_routed() -> None:
    bus = InProcessBus()
    app = build_app(config.load(None, {}), None, CallRegistry(), bus)  # type: ignore[arg-type]
    documented = {
        (method.upper(), path)
        for path, item in CONTRACT["paths"].items()
        for method in item
        if method in METHODS
    }
    assert routed_operations(app) == documented


def test_every_error_answer_in_the_contract_uses_the_one_error_shape() -> None:
    for path, item in CONTRACT["paths"].items():
        for method, operation in ((m, o) for m, o in item.items() if m in METHODS):
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                if "$ref" in response:
                    response = CONTRACT["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


async def test_the_daemon_serves_the_contract_without_a_token() -> None:
    async with web_rig() as rig, rig.client().get("/api/v1/openapi.yaml") as resp:
        assert resp.status == 200
        assert resp.content_type == "application/yaml"
        assert await resp.text() == OPENAPI.read_text()
