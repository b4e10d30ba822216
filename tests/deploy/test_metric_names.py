"""Every series the alert rules and the dashboard read exists in a live scrape of the service.

The service is driven until each metric has a series: answers of every kind, cache hits,
coalesced calls, a Partner Center 429, THROTTLED answers, a refused call, Redis failures and
a readiness probe. Then each selector's metric, the labels it matches or groups by, and the
exact label values it asks for must be in what `/metrics` served.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import graphql_api
from tests.deploy.kit import GRAFANA, PROMETHEUS, Selector, load, selectors
from tests.live_emulator import serve_emulator
from tests.live_server import free_port
from tests.live_service import live_service

AUTH = {"Authorization": "Bearer deploy-kit"}
LIST = "query Listing { customers(first: 3) { nodes { id } } }"
# Labels Prometheus adds to every scraped series (the target's), not the service.
TARGET_LABELS = frozenset({"job", "instance"})
# Series that are Prometheus's own: `up` is written for each scrape.
PROMETHEUS_SERIES = frozenset({"up"})
# Label values a rule matches that no test can provoke: a 500 is a bug on the service's side.
UNPROVOKED_VALUES = {("graphql_errors_total", "code", "INTERNAL_SERVER_ERROR")}


@dataclass
class Scrape:
    """What `/metrics` served: each sample name's label names and label values."""

    labels: dict[str, set[str]] = field(default_factory=dict)
    values: set[tuple[str, str, str]] = field(default_factory=set)

    def add(self, text: str) -> None:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self.labels.setdefault(sample.name, set()).update(sample.labels)
                self.values.update((sample.name, k, v) for k, v in sample.labels.items())


def _graphql(client: httpx.Client, query: str, **kwargs: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query}, headers=AUTH, **kwargs)
    body: dict[str, Any] = response.json()
    return body


def _codes(body: dict[str, Any]) -> set[str]:
    return {error["extensions"]["code"] for error in body.get("errors", [])}


@pytest.fixture(scope="module")
def scrape() -> Scrape:
    scraped = Scrape()
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    with contextmanager(serve_emulator)(30, 3) as emulator:
        # Answers, cache hits, coalesced calls, refusals, Redis failures, readiness.
        emulator.state.configure(latency_ms=300)
        with live_service({"PARTNER_CENTER_URL": emulator.url, "REDIS_URL": dead_redis}) as svc:
            assert svc.get("/readyz").status_code == 200
            with ThreadPoolExecutor(4) as pool:
                answers = list(pool.map(lambda _: _graphql(svc, LIST), range(4)))
            assert all("errors" not in answer for answer in answers)
            assert "errors" not in _graphql(svc, LIST)  # from the cache
            assert _codes(_graphql(svc, "{ nope }")) == {"GRAPHQL_VALIDATION_FAILED"}
            unauthenticated = svc.post("/graphql", json={"query": LIST}).json()
            assert _codes(unauthenticated) == {"UNAUTHENTICATED"}
            scraped.add(svc.get("/metrics").text)
        emulator.reset()
        # Partner Center answers 429.
        emulator.state.configure(throttle_rate=1.0)
        throttled_env = {"PARTNER_CENTER_URL": emulator.url, "UPSTREAM_MAX_ATTEMPTS": "1"}
        with live_service(throttled_env) as svc:
            assert _codes(_graphql(svc, LIST)) == {"THROTTLED"}
            scraped.add(svc.get("/metrics").text)
        emulator.reset()
        # The service's own budget refuses a call.
        budget_env = {
            "PARTNER_CENTER_URL": emulator.url,
            "UPSTREAM_RATE_PER_MINUTE": "1",
            "UPSTREAM_RATE_BURST": "1",
            "UPSTREAM_RATE_MAX_WAIT": "0",
            "CACHE_TTL_SECONDS": "0",
        }
        with live_service(budget_env) as svc:
            assert "errors" not in _graphql(svc, LIST)
            assert _codes(_graphql(svc, LIST)) == {"THROTTLED"}
            scraped.add(svc.get("/metrics").text)
    return scraped


def _alert_expressions() -> list[str]:
    rules = load(PROMETHEUS / "alerts.yaml")
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def _dashboard_expressions() -> list[str]:
    dashboard = json.loads((GRAFANA / "graphql-api.json").read_text())
    return [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def _check(expression: str, scraped: Scrape) -> None:
    found, grouped = selectors(expression)
    assert found, f"no series in {expression!r}"
    served_labels: set[str] = set()
    for selector in found:
        if selector.metric in PROMETHEUS_SERIES:
            continue
        _check_selector(selector, scraped, expression)
        served_labels |= scraped.labels[selector.metric]
    missing_groups = grouped - served_labels - TARGET_LABELS
    assert not missing_groups, f"{expression!r} groups by labels never served: {missing_groups}"


def _check_selector(selector: Selector, scraped: Scrape, expression: str) -> None:
    assert selector.metric in scraped.labels, f"{selector.metric} is not in the scrape"
    for label, operator, value in selector.matchers:
        if label in TARGET_LABELS:
            continue
        assert label in scraped.labels[selector.metric], f"{selector.metric} has no {label}"
        if operator != "=":
            continue
        wanted = (selector.metric, label, value)
        if wanted in UNPROVOKED_VALUES:
            continue
        assert wanted in scraped.values, f"{expression!r}: {label}={value!r} never served"


@pytest.mark.parametrize("expression", _alert_expressions())
def test_every_series_an_alert_reads_is_served(expression: str, scrape: Scrape) -> None:
    _check(expression, scrape)


@pytest.mark.parametrize("expression", _dashboard_expressions())
def test_every_series_a_dashboard_panel_reads_is_served(expression: str, scrape: Scrape) -> None:
    _check(expression, scrape)


def test_the_alert_tests_feed_series_shaped_like_the_scrape(scrape: Scrape) -> None:
    tests = load(PROMETHEUS / "alerts.test.yaml")
    for case in tests["tests"]:
        for series in case["input_series"]:
            (selector,), _ = selectors(series["series"])
            if selector.metric in PROMETHEUS_SERIES:
                continue
            served = scrape.labels.get(selector.metric)
            assert served is not None, f"{selector.metric} is not in the scrape"
            labels = {label for label, _, _ in selector.matchers} - TARGET_LABELS
            assert labels == served, f"{series['series']}: the scrape has {sorted(served)}"


def test_the_unprovoked_values_are_ones_the_service_writes() -> None:
    sources = [path.read_text() for path in Path(graphql_api.__file__).parent.rglob("*.py")]
    for _, _, value in UNPROVOKED_VALUES:
        assert any(f'"{value}"' in source for source in sources), value


def test_the_selector_reader_finds_names_labels_and_groupings() -> None:
    found, grouped = selectors(
        'histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="1", y=~"2|3"}[5m]))) '
        "/ ignoring(z) b_total > 5"
    )
    assert [(s.metric, s.matchers) for s in found] == [
        ("a_bucket", [("x", "=", "1"), ("y", "=~", "2|3")]),
        ("b_total", []),
    ]
    assert grouped == {"le", "z"}
