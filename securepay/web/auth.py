"""Who is asking: bearer tokens, the per-address brake on guessing them, and browser origins.

Tokens are long random strings (`securepay token`), so a plain sha256 is a safe stored
form: salts and slow hashes protect guessable passwords, and there are none here.
Tokens travel in the Authorization header, never in a cookie, so no other site can make
a browser send them (no CSRF); for the same reason CORS stays closed unless the operator
names the origins (a CRM page, say) that may call the API.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from securepay.config import Settings
from securepay.web.errors import error

PUBLIC_PATHS = frozenset({"/api/v1/openapi.yaml", "/api/v1/events"})
"""The contract is public; the event stream signs in with its first message (see events_ws)."""

CORS_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, DELETE",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "600",
}


def new_token() -> str:
    """A fresh agent or supervisor token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the config stores for `token` (`token_sha256`)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """A signed-in agent, or a supervisor (`agent_id` None) who may follow every agent."""

    agent_id: str | None
    name: str

    @property
    def role(self) -> str:
        return "supervisor" if self.agent_id is None else "agent"

    def may_see(self, agent_id: str) -> bool:
        return self.agent_id is None or self.agent_id == agent_id


@dataclass(frozen=True)
class Refusal:
    """Why a request is not let in; the HTTP API and the event stream report it alike."""

    status: int
    code: str
    message: str
    retry_after: int | None = None

    def response(self) -> web.Response:
        headers = {"WWW-Authenticate": 'Bearer realm="securepay"'} if self.status == 401 else {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return error(self.status, self.code, self.message, headers=headers)


class FailureLimiter:
    """Failed sign-ins per client address over a sliding window; past the limit, refuse all tries.

    Refusing even a right token while blocked is what stops a guesser: otherwise every
    429 would just be a pause in the guessing.
    """

    MAX_CLIENTS = 10_000
    """Bounds memory under a spray from many addresses; the stalest address is forgotten first."""

    def __init__(self, max_failures: int, window_s: float, clock: Callable[[], float] = time.monotonic):
        self._max = max_failures
        self._window = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None if it may try now."""
        failures = self._recent(client)
        if len(failures) < self._max:
            return None
        return max(1, math.ceil(failures[0] + self._window - self._clock()))

    def failed(self, client: str) -> None:
        if client not in self._failures and len(self._failures) >= self.MAX_CLIENTS:
            stalest = min(self._failures, key=lambda c: self._failures[c][-1])
            del self._failures[stalest]
        self._failures.setdefault(client, deque()).append(self._clock())

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.get(client)
        if failures is None:
            return deque()
        cutoff = self._clock() - self._window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        if not failures:
            del self._failures[client]
        return failures


class Access:
    """The tokens the config knows, the failure limiter and the CORS allow-list of one app."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._tokens = [
            (bytes.fromhex(agent.token_sha256), Principal(agent_id, agent.name))
            for agent_id, agent in settings.agents.items()
            if agent.token_sha256
        ]
        self._tokens += [
            (bytes.fromhex(digest), Principal(None, "Supervisor"))
            for digest in settings.web.supervisor_tokens_sha256
        ]
        self.cors_origins = frozenset(settings.web.cors_origins)
        self.limiter = FailureLimiter(
            settings.web.auth_failures_max, settings.web.auth_failures_window_s, clock
        )

    def identify(self, token: str) -> Principal | None:
        """Compares against every known hash, in constant time each, whichever matches.

        A token with a lone surrogate (JSON can carry one) is hashed as is and matches nothing."""
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        found = None
        for known, principal in self._tokens:
            if hmac.compare_digest(known, digest):
                found = principal
        return found

    def authenticate(self, client: str, token: str | None) -> Principal | Refusal:
        wait = self.limiter.retry_after(client)
        if wait is not None:
            return Refusal(
                429, "too-many-failures", f"too many failed sign-ins from {client}; retry in {wait} s", wait
            )
        if not token:
            return Refusal(401, "unauthorized", "sign in: send the header Authorization: Bearer <token>")
        principal = self.identify(token)
        if principal is None:
            self.limiter.failed(client)
            return Refusal(401, "unauthorized", "the token is not valid")
        return principal

    def origin_allowed(self, request: web.Request) -> bool:
        """No Origin (not a browser), the daemon's own origin, or one on the allow-list."""
        origin = request.headers.get("Origin")
        return origin is None or origin in self.cors_origins or urlsplit(origin).netloc == request.host


ACCESS = web.AppKey("access", Access)
PRINCIPAL = web.RequestKey("principal", Principal)


def bearer_token(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def client_address(request: web.Request) -> str:
    return request.remote or "unknown"


@web.middleware
async def require_token(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
    """Every /api/ route but the public ones needs a valid bearer token."""
    if not request.path.startswith("/api/") or request.path in PUBLIC_PATHS:
        return await handler(request)
    result = request.app[ACCESS].authenticate(
        client_address(request), bearer_token(request.headers.get("Authorization"))
    )
    if isinstance(result, Refusal):
        return result.response()
    request[PRINCIPAL] = result
    return await handler(request)


@web.middleware
async def cors(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
    """Answers preflights and labels responses for allow-listed origins only."""
    origin = request.headers.get("Origin")
    allowed = origin is not None and origin in request.app[ACCESS].cors_origins
    is_preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
    if is_preflight and origin is not None and request.path.startswith("/api/"):
        if not allowed:
            return error(403, "origin-not-allowed", f"{origin} may not call this API (see web.cors_origins)")
        return web.Response(status=204, headers={**CORS_HEADERS, **_allow(origin)})
    response = await handler(request)
    if allowed and origin is not None and not response.prepared:
        response.headers.update(_allow(origin))
    return response


def _allow(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": "Location, Retry-After",
        "Vary": "Origin",
    }


async def whoami(request: web.Request) -> web.Response:
    """Lets a panel check a token at sign-in, learn whose calls it follows and the request limits."""
    principal = request[PRINCIPAL]
    payments = request.app[ACCESS].settings.payments
    return web.json_response(
        {
            "role": principal.role,
            "agent_id": principal.agent_id,
            "name": principal.name,
            "currency": payments.default_currency,
            "max_amount": f"{payments.max_amount:.2f}",
            "default_mode": payments.default_mode,
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/me", whoami)
