"""Prometheus metrics: what the payment code reports, and the `/metrics` page.

The payment code calls the plain functions below (never prometheus-client directly),
so metric names and labels live in one place. Label values are bounded: an outcome,
step or status that is not one of the known values is counted as "other", so a bug
can never put an id (or worse) into a label. No metric ever carries a payment, call
or agent id, an amount or any card data.

Metrics live in their own registry, with the process and Python collectors, so tests
and several daemons in one interpreter do not collide with prometheus-client's global one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)

from securepay import __version__
from securepay.flow.outcome import Outcome
from securepay.flow.steps import Step
from securepay.gateway.result import ChargeStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The classic text format every Prometheus reads (the page has only plain metric names)."""
OTHER = "other"
OUTCOMES = tuple(o.value for o in Outcome)
STEPS = tuple(s.value for s in Step)
GATEWAY_STATUSES = (*(s.value for s in ChargeStatus), "unreachable")

disable_created_metrics()  # no *_created series: they double the page and nobody graphs them
REGISTRY = CollectorRegistry()
process_collector.ProcessCollector(registry=REGISTRY)
platform_collector.PlatformCollector(registry=REGISTRY)
gc_collector.GCCollector(registry=REGISTRY)

_info = Info("securepay", "The running securepay.", registry=REGISTRY)
_info.info({"version": __version__})

_payments = Counter(
    "securepay_payments",
    "Payments finished, by outcome (success, declined, caller-hung-up, ...).",
    ["outcome"],
    registry=REGISTRY,
)
_payments_started = Counter(
    "securepay_payments_started", "Payments whose caller entered the secure IVR.", registry=REGISTRY
)
_active = Gauge(
    "securepay_active_sessions", "Payments in progress (caller in the secure IVR).", registry=REGISTRY
)
_steps = Histogram(
    "securepay_step_duration_seconds",
    "Time from a step's prompt to its confirmed entry (processing: the gateway round trip and read-out).",
    ["step"],
    buckets=(1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180),
    registry=REGISTRY,
)
_ari_reconnects = Counter(
    "securepay_ari_reconnects", "ARI events connections re-established after a loss.", registry=REGISTRY
)
_ari_connected = Gauge(
    "securepay_ari_connected", "1 while the ARI events connection is up.", registry=REGISTRY
)
_gateway = Histogram(
    "securepay_gateway_request_seconds",
    "Gateway round trips, by result status (approved, declined, error, unreachable, ...).",
    ["status"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60),
    registry=REGISTRY,
)
_outbox = Gauge(
    "securepay_crm_outbox_depth",
    "CRM activities waiting to be posted (retrying); failed ones are not counted.",
    registry=REGISTRY,
)
_outbox_failed = Gauge(
    "securepay_crm_outbox_failed",
    "CRM activities that gave up and wait for `securepay crm retry`.",
    registry=REGISTRY,
)

for _outcome in OUTCOMES:
    _payments.labels(_outcome)
for _step in STEPS:
    _steps.labels(_step)
for _status in GATEWAY_STATUSES:
    _gateway.labels(_status)


def _bounded(value: object, known: tuple[str, ...]) -> str:
    text = getattr(value, "value", value)
    return text if isinstance(text, str) and text in known else OTHER


def payment_started() -> None:
    """A caller entered the secure IVR: counts it and raises the active sessions gauge."""
    _payments_started.inc()
    _active.inc()


def payment_finished(outcome: Outcome | str) -> None:
    """A payment ended (every path, once): counts it and lowers the active sessions gauge."""
    _payments.labels(_bounded(outcome, OUTCOMES)).inc()
    _active.dec()


def step_completed(step: Step | str, seconds: float) -> None:
    _steps.labels(_bounded(step, STEPS)).observe(max(0.0, seconds))


def gateway_call(seconds: float, status: ChargeStatus | str) -> None:
    """One gateway round trip; status is the ChargeStatus value, or "unreachable"."""
    _gateway.labels(_bounded(status, GATEWAY_STATUSES)).observe(max(0.0, seconds))


class GatewayTimer:
    """Times one gateway call; `status` stays "unreachable" unless the caller sets it."""

    def __init__(self) -> None:
        self.status: ChargeStatus | str = "unreachable"

    def done(self, status: ChargeStatus | str) -> None:
        self.status = status


@contextmanager
def gateway_timer() -> Iterator[GatewayTimer]:
    """`with metrics.gateway_timer() as t: result = await gw.charge(r); t.done(result.status)`."""
    started = time.monotonic()
    timer = GatewayTimer()
    try:
        yield timer
    finally:
        gateway_call(time.monotonic() - started, timer.status)


_ever_connected = False


def ari_connected(up: bool) -> None:
    """The ARI events connection went up or down; every up after the first counts as a reconnect."""
    global _ever_connected
    if up:
        if _ever_connected:
            _ari_reconnects.inc()
        _ever_connected = True
    _ari_connected.set(1 if up else 0)


def outbox_depth(pending: int, failed: int | None = None) -> None:
    """Set the CRM outbox gauges (the /metrics handler reads them from the ledger per scrape)."""
    _outbox.set(max(0, pending))
    if failed is not None:
        _outbox_failed.set(max(0, failed))


def render() -> bytes:
    """The `/metrics` body in Prometheus text format; serve it with CONTENT_TYPE."""
    return generate_latest(REGISTRY)
