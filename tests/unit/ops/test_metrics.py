"""The metrics the payment code reports, as Prometheus scrapes them."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from securepay import metrics
from securepay.flow.outcome import Outcome
from securepay.flow.steps import Step
from securepay.gateway.result import ChargeStatus


def sample(name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    raise AssertionError(f"{name} {labels} not on the page")


def test_finished_payments_are_counted_by_outcome_and_leave_no_active_session() -> None:
    before = sample("securepay_payments_total", outcome="declined")
    active = sample("securepay_active_sessions")
    metrics.payment_started()
    assert sample("securepay_active_sessions") == active + 1
    metrics.payment_finished(Outcome.DECLINED)
    assert sample("securepay_payments_total", outcome="declined") == before + 1
    assert sample("securepay_active_sessions") == active


def test_every_outcome_is_on_the_page_before_it_happens() -> None:
    for outcome in Outcome:
        assert sample("securepay_payments_total", outcome=outcome.value) >= 0


def test_an_unknown_label_value_is_counted_as_other_never_verbatim() -> None:
    metrics.payment_started()
    metrics.payment_finished("4111111111111111")
    page = metrics.render().decode()
    assert "4111111111111111" not in page
    assert sample("securepay_payments_total", outcome="other") >= 1


def test_step_durations_and_gateway_latency_are_histograms() -> None:
    count = sample("securepay_step_duration_seconds_count", step="cvc")
    metrics.step_completed(Step.CVC, 4.5)
    assert sample("securepay_step_duration_seconds_count", step="cvc") == count + 1
    assert sample("securepay_step_duration_seconds_bucket", step="cvc", le="5.0") >= 1
    calls = sample("securepay_gateway_request_seconds_count", status="approved")
    metrics.gateway_call(0.3, ChargeStatus.APPROVED)
    with metrics.gateway_timer() as timer:
        timer.done(ChargeStatus.APPROVED)
    assert sample("securepay_gateway_request_seconds_count", status="approved") == calls + 2


def test_a_gateway_call_that_raised_counts_as_unreachable() -> None:
    before = sample("securepay_gateway_request_seconds_count", status="unreachable")
    try:
        with metrics.gateway_timer():
            raise TimeoutError
    except TimeoutError:
        pass
    assert sample("securepay_gateway_request_seconds_count", status="unreachable") == before + 1


def test_ari_reconnects_count_every_connection_after_the_first() -> None:
    before = sample("securepay_ari_reconnects_total")
    metrics.ari_connected(True)
    metrics.ari_connected(False)
    assert sample("securepay_ari_connected") == 0
    metrics.ari_connected(True)
    assert sample("securepay_ari_connected") == 1
    assert sample("securepay_ari_reconnects_total") >= before + 1


def test_outbox_depth_is_a_gauge_set_or_read_at_scrape_time() -> None:
    metrics.outbox_depth(7, failed=2)
    assert sample("securepay_crm_outbox_depth") == 7
    assert sample("securepay_crm_outbox_failed") == 2


def test_page_is_prometheus_text_with_the_version() -> None:
    assert metrics.CONTENT_TYPE.startswith("text/plain; version=0.0.4")
    assert sample("securepay_info", version=__import__("securepay").__version__) == 1
