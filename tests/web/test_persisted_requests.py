"""Requests by document id over real HTTP: manifests, trusted mode, APQ and their bad input."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql.language.parser import Parser
from graphql.validation.validation_context import ValidationContext

from graphql_api.observability.logging_setup import configure_logging
from graphql_api.schema import estimate
from tests.live_emulator import LiveEmulator, reset_around, serve_emulator
from tests.live_service import live_service

AUTH = {"Authorization": "Bearer persisted-tests"}
PAGE = (
    "query Page($first: Int) { customers(first: $first) { edges { cursor node { id "
    "companyProfile { companyName } } } pageInfo { hasNextPage endCursor } } }"
)
NAMES = "query Names { customers(first: 2) { nodes { id } } }"
RELAY_ID = "relay-page-1"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[LiveEmulator]:
    yield from serve_emulator(customers=60, seed=11)


@pytest.fixture
def emulator(module_emulator: LiveEmulator) -> Iterator[LiveEmulator]:
    yield from reset_around(module_emulator)


@pytest.fixture
def manifests(tmp_path: Path) -> str:
    """A Relay manifest and an Apollo one, as their tools write them, comma-separated."""
    relay = tmp_path / "relay.json"
    relay.write_text(json.dumps({RELAY_ID: PAGE}))
    apollo = tmp_path / "apollo.json"
    apollo.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": sha256(NAMES), "name": "Names", "type": "query", "body": NAMES}
                ],
            }
        )
    )
    return f"{relay},{apollo}"


Service = Callable[..., Any]


@pytest.fixture
def service(emulator: LiveEmulator, manifests: str) -> Service:
    @contextmanager
    def start(env: Mapping[str, str] | None = None) -> Iterator[httpx.Client]:
        settings = {
            "PARTNER_CENTER_URL": emulator.url,
            "GRAPHQL_PERSISTED_DOCUMENTS": manifests,
            **(env or {}),
        }
        with live_service(settings) as client:
            yield client

    return start


def post(client: httpx.Client, body: Mapping[str, Any], **headers: str) -> httpx.Response:
    return client.post("/graphql", json=dict(body), headers={**AUTH, **headers})


def code_of(response: httpx.Response) -> str:
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert "data" not in response.json()
    code: str = errors[0]["extensions"]["code"]
    return code


def persisted_metric(client: httpx.Client, event: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f'graphql_persisted_documents_total{{event="{event}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class Counted:
    """Counts parser and validation work, and estimate plans made, while it is installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsers = self.validations = self.plans = 0
        parser_init = Parser.__init__
        validation_init = ValidationContext.__init__
        plan_init = estimate.EstimatePlan.__init__

        def parser(inner: Parser, *args: Any, **kwargs: Any) -> None:
            self.parsers += 1
            parser_init(inner, *args, **kwargs)

        def validation(inner: ValidationContext, *args: Any, **kwargs: Any) -> None:
            self.validations += 1
            validation_init(inner, *args, **kwargs)

        def plan(inner: estimate.EstimatePlan, *args: Any, **kwargs: Any) -> None:
            self.plans += 1
            plan_init(inner, *args, **kwargs)

        monkeypatch.setattr(Parser, "__init__", parser)
        monkeypatch.setattr(ValidationContext, "__init__", validation)
        monkeypatch.setattr(estimate.EstimatePlan, "__init__", plan)


# -- manifests ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["doc_id", "id", "documentId"])
def test_relay_document_runs_by_each_id_field(service: Service, field: str) -> None:
    with service() as client:
        response = post(client, {field: RELAY_ID, "variables": {"first": 3}})
    assert response.status_code == 200
    assert len(response.json()["data"]["customers"]["edges"]) == 3


def test_apollo_document_runs_by_its_persisted_query_hash(service: Service) -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256(NAMES)}}
    with service() as client:
        response = post(client, {"extensions": extensions})
    assert len(response.json()["data"]["customers"]["nodes"]) == 2


def test_get_by_id_has_the_cache_control_of_the_same_text(service: Service) -> None:
    variables = json.dumps({"first": 2})
    with service() as client:
        by_text = client.get(
            "/graphql", params={"query": PAGE, "variables": variables}, headers=AUTH
        )
        by_id = client.get(
            "/graphql", params={"doc_id": RELAY_ID, "variables": variables}, headers=AUTH
        )
        extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha256(NAMES)}})
        apollo_get = client.get("/graphql", params={"extensions": extensions}, headers=AUTH)
    assert by_id.json() == by_text.json()
    for response in (by_text, by_id, apollo_get):
        assert response.status_code == 200
        assert response.headers["cache-control"].startswith("private, max-age=")


def test_get_by_id_from_a_browser_is_not_the_graphiql_page(service: Service) -> None:
    with service() as client:
        response = client.get(
            "/graphql", params={"doc_id": RELAY_ID}, headers={**AUTH, "Accept": "text/html"}
        )
    assert response.json()["data"]["customers"]["edges"]


def test_manifest_document_costs_no_parse_validation_or_estimate_plan(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    with service() as client:
        counted = Counted(monkeypatch)
        # Many distinct texts, more than the parser and validation caches keep.
        for number in range(300):
            post(client, {"query": f"{{ n{number}: __typename }}"})
        parsers, validations, plans = counted.parsers, counted.validations, counted.plans
        assert parsers >= 300
        assert validations >= 300
        assert plans >= 300
        by_id = post(client, {"doc_id": RELAY_ID, "variables": {"first": 2}})
        by_text = post(client, {"query": PAGE, "variables": {"first": 2}})
    assert by_id.json()["data"]
    assert by_text.json()["data"]
    assert (counted.parsers, counted.validations, counted.plans) == (parsers, validations, plans)


def test_manifest_operation_names_get_metric_labels(service: Service) -> None:
    with service() as client:
        post(client, {"doc_id": RELAY_ID})
        metrics = client.get("/metrics").text
        hits = persisted_metric(client, "persisted_hit")
    assert 'graphql_requests_total{operation="Page",outcome="ok"} 1.0' in metrics
    assert hits == 1


# -- bad input --------------------------------------------------------------------------------


def test_unknown_document_id_is_typed(service: Service) -> None:
    with service() as client:
        response = post(client, {"doc_id": "no-such-id"})
    assert response.status_code == 400
    assert code_of(response) == "PERSISTED_DOCUMENT_NOT_FOUND"


@pytest.mark.parametrize(
    "body",
    [
        {"doc_id": 12},
        {"doc_id": ""},
        {"doc_id": "x" * 300},
        {"doc_id": RELAY_ID, "id": "another"},
        {"extensions": {"persistedQuery": "abc"}},
        {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": sha256(NAMES)}}},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": 5}}},
        {"doc_id": RELAY_ID, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "b"}}},
    ],
    ids=[
        "id-not-a-string",
        "empty-id",
        "huge-id",
        "two-ids",
        "persisted-query-not-an-object",
        "version-2",
        "hash-not-a-string",
        "id-and-hash-disagree",
    ],
)
def test_malformed_ids_and_extensions_are_bad_requests(
    service: Service, body: Mapping[str, Any]
) -> None:
    with service() as client:
        response = post(client, body)
    assert response.status_code == 400
    assert code_of(response) == "BAD_REQUEST"


def test_query_and_id_that_disagree_are_refused(service: Service) -> None:
    with service() as client:
        response = post(client, {"doc_id": RELAY_ID, "query": NAMES})
        same = post(client, {"doc_id": RELAY_ID, "query": PAGE})
    assert code_of(response) == "BAD_REQUEST"
    assert same.json()["data"]


# -- trusted mode -----------------------------------------------------------------------------


def test_trusted_mode_refuses_text_before_any_parsing_or_call(
    service: Service, emulator: LiveEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = "query {" + " customers { nodes { id } }" * 5000 + "}"
    with service({"GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "true"}) as client:
        counted = Counted(monkeypatch)
        for body in (
            {"query": hostile},
            {"query": PAGE},
            {"query": "{ __schema { types { name } } }"},
        ):
            response = post(client, body)
            assert response.status_code == 400
            assert code_of(response) == "TRUSTED_DOCUMENT_REQUIRED"
        refused = persisted_metric(client, "trusted_refused")
    assert (counted.parsers, counted.validations) == (0, 0)
    assert emulator.calls() == 0
    assert refused == 3


def test_trusted_mode_answers_a_caller_without_credentials_unauthenticated(
    service: Service, emulator: LiveEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Authentication ran before the body was read: an anonymous caller is told to
    # authenticate, not how this deployment takes its documents, still with 0 parser work.
    unlisted = {"persistedQuery": {"version": 1, "sha256Hash": sha256("{ __typename }")}}
    with service({"GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "true"}) as client:
        counted = Counted(monkeypatch)
        anonymous = [
            client.post("/graphql", json={"query": PAGE}),
            client.post("/graphql", json={"query": PAGE}, headers={"Authorization": "Basic eA=="}),
            client.post("/graphql", json={"extensions": unlisted}),
            client.get("/graphql", params={"query": PAGE}),
        ]
        parsers = counted.parsers
        # In passthrough mode a bearer token is checked by Partner Center, at the first call:
        # until then the caller counts as authenticated, and the text is refused as text.
        bearer = post(client, {"query": PAGE}, Authorization="Bearer not-checked-yet")
        # A manifest document runs as without trusted mode: its fields need credentials.
        by_id = client.post("/graphql", json={"doc_id": RELAY_ID})
        refused = persisted_metric(client, "trusted_refused")
    for response in anonymous:
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert code_of(response) == "UNAUTHENTICATED"
    assert parsers == 0
    assert code_of(bearer) == "TRUSTED_DOCUMENT_REQUIRED"
    assert by_id.status_code == 200
    assert [e["extensions"]["code"] for e in by_id.json()["errors"]] == ["UNAUTHENTICATED"]
    assert emulator.calls() == 0
    assert refused == 5


def test_trusted_mode_runs_manifest_documents(service: Service) -> None:
    with service({"GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "true"}) as client:
        response = post(client, {"doc_id": RELAY_ID, "variables": {"first": 1}})
    assert len(response.json()["data"]["customers"]["edges"]) == 1


def test_trusted_mode_refuses_an_unlisted_hash_without_asking_for_the_text(
    service: Service,
) -> None:
    text = "{ __typename }"
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}
    with service({"GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "true"}) as client:
        hash_only = post(client, {"extensions": extensions})
        with_text = post(client, {"extensions": extensions, "query": text})
    assert code_of(hash_only) == "PERSISTED_QUERY_NOT_IN_LIST"
    assert code_of(with_text) == "PERSISTED_QUERY_NOT_IN_LIST"


def test_trusted_mode_lets_the_bypass_secret_send_text(service: Service) -> None:
    secret = "router-only-secret-0123456789"
    env = {"GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "true", "GRAPHQL_TRUSTED_BYPASS_SECRET": secret}
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id } } }"
    with service(env) as client:
        wrong = post(client, {"query": "{ _service { sdl } }"}, **{"Trusted-Documents-Bypass": "x"})
        sdl = post(
            client, {"query": "{ _service { sdl } }"}, **{"Trusted-Documents-Bypass": secret}
        )
        found = post(
            client,
            {"query": entities, "variables": {"r": []}},
            **{"Trusted-Documents-Bypass": secret},
        )
    assert code_of(wrong) == "TRUSTED_DOCUMENT_REQUIRED"
    assert "type Customer" in sdl.json()["data"]["_service"]["sdl"]
    assert found.json() == {"data": {"_entities": []}}


def test_trusted_mode_serves_no_graphiql(service: Service) -> None:
    with service({"GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "true"}) as client:
        response = client.get("/graphql", headers={"Accept": "text/html"})
    assert "text/html" not in response.headers["content-type"]
    assert code_of(response) == "BAD_REQUEST"


def test_apq_is_not_supported_in_trusted_mode(service: Service) -> None:
    # An unlisted hash in trusted mode is PERSISTED_QUERY_NOT_IN_LIST, never a registration.
    text = "{ customers(first: 1) { nodes { id } } }"
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}
    with service({"GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "true"}) as client:
        post(client, {"extensions": extensions, "query": text})
        registered = persisted_metric(client, "apq_registered")
    assert registered == 0


# -- APQ ----------------------------------------------------------------------------------------


def apq(text: str, *, with_text: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}
    }
    if with_text:
        body["query"] = text
    return body


def test_apq_miss_registration_hit(service: Service) -> None:
    text = "query Two { customers(first: 2) { nodes { id } } }"
    with service() as client:
        miss = post(client, apq(text, with_text=False))
        registered = post(client, apq(text, with_text=True))
        hit = post(client, apq(text, with_text=False))
        counts = [persisted_metric(client, e) for e in ("apq_miss", "apq_registered", "apq_hit")]
    assert miss.status_code == 200
    assert miss.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    assert miss.headers["cache-control"] == "no-store"
    assert registered.json() == hit.json()
    assert len(hit.json()["data"]["customers"]["nodes"]) == 2
    assert counts == [1, 1, 1]


DEFER_2022 = "multipart/mixed;deferSpec=20220824, application/json;q=0.9"


def test_apq_text_answered_in_parts_is_registered(service: Service) -> None:
    # A `@defer` answer is streamed as multipart parts: the text is kept all the same, so a
    # client asking for parts (Apollo Client does, for any operation with `@defer`) hits.
    text = (
        "query Deferred { customers(first: 2) { nodes { id "
        "... @defer { companyProfile { companyName } } } } }"
    )
    merged = text.replace("Deferred", "Merged")
    with service() as client:
        registered = post(client, apq(text, with_text=True), Accept=DEFER_2022)
        counted = persisted_metric(client, "apq_registered")
        hit = post(client, apq(text, with_text=False), Accept=DEFER_2022)
        hits = persisted_metric(client, "apq_hit")
        # Without a multipart Accept the parts are merged into one answer: kept once.
        assert "data" in post(client, apq(merged, with_text=True)).json()
        counted_merged = persisted_metric(client, "apq_registered")
        merged_hit = post(client, apq(merged, with_text=False))
    for response in (registered, hit):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("multipart/mixed")
        assert '"companyName"' in response.text
    assert (counted, hits, counted_merged) == (1, 1, 2)
    assert len(merged_hit.json()["data"]["customers"]["nodes"]) == 2


def test_apq_off_answers_not_supported(service: Service) -> None:
    text = "{ __typename }"
    with service({"GRAPHQL_APQ": "false"}) as client:
        response = post(client, apq(text, with_text=True))
    assert response.status_code == 200
    assert response.json()["errors"][0] == {
        "message": "PersistedQueryNotSupported",
        "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
    }


def test_apq_text_that_does_not_match_its_hash_is_refused_and_not_kept(service: Service) -> None:
    kept = "query Kept { customers(first: 1) { nodes { id } } }"
    other = "query Other { customers(first: 3) { nodes { id } } }"
    with service() as client:
        post(client, apq(kept, with_text=True))
        # Another caller sends a different text under the kept text's hash.
        forged = post(client, {**apq(kept, with_text=False), "query": other})
        answer = post(client, apq(kept, with_text=False))
    assert forged.status_code == 400
    assert code_of(forged) == "PERSISTED_QUERY_HASH_MISMATCH"
    assert len(answer.json()["data"]["customers"]["nodes"]) == 1


def test_apq_text_over_its_bound_is_refused(service: Service) -> None:
    text = "query Big { " + " ".join(f"a{n}: __typename" for n in range(40)) + " }"
    with service({"GRAPHQL_APQ_MAX_DOCUMENT_BYTES": "256"}) as client:
        response = post(client, apq(text, with_text=True))
        later = post(client, apq(text, with_text=False))
    assert code_of(response) == "PERSISTED_QUERY_TOO_LARGE"
    assert code_of(later) == "PERSISTED_QUERY_NOT_FOUND"


def test_apq_text_that_does_not_validate_is_not_kept(service: Service) -> None:
    text = "{ noSuchField }"
    with service() as client:
        refused = post(client, apq(text, with_text=True))
        later = post(client, apq(text, with_text=False))
    assert code_of(refused) == "GRAPHQL_VALIDATION_FAILED"
    assert code_of(later) == "PERSISTED_QUERY_NOT_FOUND"


def test_a_flood_of_apq_registrations_stays_within_the_bound(service: Service) -> None:
    texts = [f"query Flood{n} {{ __typename }}" for n in range(12)]
    with service({"GRAPHQL_APQ_MAX_DOCUMENTS": "5"}) as client:
        for text in texts:
            assert post(client, apq(text, with_text=True)).json()["data"]
        known = ["data" in post(client, apq(text, with_text=False)).json() for text in texts]
    # The five most recent are kept; the flood pushed the older ones out, nothing grew.
    assert known == [False] * 7 + [True] * 5


# -- logs -------------------------------------------------------------------------------------


def test_request_lines_say_which_document_or_what_apq_did(service: Service) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    text = "query Logged { customers(first: 1) { nodes { id } } }"
    try:
        with service() as client:
            post(client, {"doc_id": RELAY_ID})
            post(client, apq(text, with_text=True))
            post(client, apq(text, with_text=False))
            post(client, apq("{ nope }", with_text=True))
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    requests = [line for line in lines if line.get("message") == "graphql request"]
    assert [(line.get("document_id"), line.get("apq")) for line in requests] == [
        (RELAY_ID, None),
        (None, "registered"),
        (None, "hit"),
        (None, "refused"),
    ]
