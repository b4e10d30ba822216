"""The benchmark scenarios: what each one sends, its minimum upstream calls, and its figures.

1. `page`: `customers(first: 50)` with id and company profile, upstream latency 0; beside it
   the same page straight from the emulator's REST route (the floor), as a ratio.
2. `billing`: `customers(first: 100)` with billing profiles at 50 ms upstream latency; wall
   time against the critical-path bound of one query, list latency + ceil(100 / in-flight
   cap) x latency, and (for several queries at once) throughput against the cap's bound,
   cap / (latency x 101 calls) queries a second.
3. `walk`: a full walk of every customer with `first: 100`; one sample is one whole walk,
   its upstream calls must equal the number of upstream pages.
4. `search`: a company-name prefix search, first 50, with the same figures (and floor) as 1.
5. `relay`: the page as Relay sends it: relay-compiler's `CustomerListPaginationQuery` text
   (a fragment spread, `__typename` on the node, a `cursor` on every edge) with variables.
6. `apollo`: the page as Apollo Client's `InMemoryCache` sends it: `__typename` added to every
   selection set, `cursor` on every edge.

Each cell (scenario x concurrency) runs a warm-up, then several rounds; the figures are the
medians over the rounds. Upstream calls come from the emulator's `/_emulator/stats`.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from bench.load import LoadResult, Send, get_sender, graphql_codes, graphql_sender, run_closed_loop
from bench.processes import BEARER, EmulatorControl, RssSampler, cpu_seconds

PAGE_QUERY = """query Page($first: Int!) {
  customers(first: $first) {
    edges { node { id companyProfile { companyName domain tenantId } } }
    pageInfo { hasNextPage endCursor }
  }
}"""

BILLING_QUERY = """query Billing($first: Int!) {
  customers(first: $first) {
    edges { node { id billingProfile { id firstName lastName email companyName } } }
  }
}"""

WALK_QUERY = """query Walk($after: String) {
  customers(first: 100, after: $after) {
    nodes { id companyProfile { companyName } }
    pageInfo { hasNextPage endCursor }
  }
}"""

SEARCH_QUERY = """query Search($prefix: String!) {
  customers(search: {field: COMPANY_NAME, startsWith: $prefix}, first: 50) {
    edges { node { id companyProfile { companyName domain tenantId } } }
    pageInfo { hasNextPage endCursor }
  }
}"""

# relay-compiler 21's output for a `usePaginationFragment` over `customers`, verbatim.
RELAY_QUERY = """query CustomerListPaginationQuery(
  $count: Int = 50
  $cursor: String
  $search: CustomerSearch
) {
  ...CustomerList_query_3PfUTl
}

fragment CustomerList_query_3PfUTl on Query {
  customers(first: $count, after: $cursor, search: $search) {
    edges {
      node {
        id
        companyProfile {
          companyName
          domain
        }
        __typename
      }
      cursor
    }
    pageInfo {
      endCursor
      hasNextPage
    }
  }
}"""
_ADDRESS_FIELDS = """id country region city state district addressLine1 addressLine2
          addressLine3 postalCode firstName middleName lastName phoneNumber emailAddress"""

# A Relay-shaped page that selects every field of Customer, CompanyProfile, BillingProfile
# and Address: the full record of each customer is loaded (one call each, which carries the
# billing profile too), so a page of 50 is 51 upstream calls.
EVERY_FIELD_QUERY = f"""query EveryField($count: Int = 50, $cursor: String) {{
  customers(first: $count, after: $cursor) {{
    edges {{
      node {{
        id
        commerceId
        relationshipToPartner
        allowDelegatedAccess
        associatedPartnerId
        customDomains
        companyProfile {{
          tenantId
          domain
          companyName
          address {{ {_ADDRESS_FIELDS} }}
          email
          organizationRegistrationNumber
        }}
        billingProfile {{
          id
          firstName
          lastName
          email
          culture
          language
          companyName
          defaultAddress {{ {_ADDRESS_FIELDS} }}
        }}
        __typename
      }}
      cursor
    }}
    pageInfo {{
      endCursor
      hasNextPage
    }}
  }}
}}"""
# Relay sends every variable of the operation, null where the caller gave none.
RELAY_VARIABLES: dict[str, Any] = {"count": 50, "cursor": None, "search": None}

# What Apollo Client 4 puts on the wire for a hand-written page query: its document
# transform adds `__typename` to every selection set except the operation's root.
APOLLO_QUERY = """query CustomerPage($first: Int!, $after: String) {
  customers(first: $first, after: $after) {
    edges {
      cursor
      node {
        id
        companyProfile {
          companyName
          domain
          __typename
        }
        __typename
      }
      __typename
    }
    pageInfo {
      hasNextPage
      endCursor
      __typename
    }
    __typename
  }
}"""
APOLLO_VARIABLES: dict[str, Any] = {"first": 50, "after": None}

SEARCH_PREFIX = "Co"
BILLING_LATENCY_MS = 50.0
BILLING_PAGE = 100
WALK_PAGE = 100
# The id a bench gives its query in the manifest it starts a façade with (relay-compiler's
# persisted output maps such ids to texts).
PERSISTED_DOC_ID = "bench-persisted-document"


@dataclass(frozen=True, slots=True)
class Plan:
    """How long and how often each cell runs."""

    concurrencies: tuple[int, ...] = (1, 16, 64)
    rounds: int = 3
    round_seconds: float = 2.0
    warmup_seconds: float = 1.0


QUICK = Plan(concurrencies=(1,), rounds=1, round_seconds=0.3, warmup_seconds=0.1)


@dataclass
class Rig:
    """What the scenarios run against: the façade, the emulator, and the façade's settings."""

    service_url: str
    service_pid: int
    emulator_url: str
    emulator_pid: int
    emulator: EmulatorControl
    customers: int
    max_in_flight: int

    @property
    def graphql_url(self) -> str:
        """The façade's GraphQL endpoint."""
        return f"{self.service_url}/graphql"


@dataclass
class Figures:
    """Medians over the rounds of one load run."""

    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    errors: int
    upstream_calls_per_request: float
    # The measured server's own CPU per request (from /proc): robust to a busy machine,
    # unlike latency, since other processes' work is not counted.
    server_cpu_ms_per_request: float = 0.0


@dataclass
class Cell:
    """One scenario at one concurrency."""

    scenario: str
    concurrency: int
    figures: Figures
    min_upstream_calls: float
    peak_rss_mb: float
    floor: Figures | None = None
    extra: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def _failed(result: LoadResult) -> int:
    return sum(1 for s in result.samples if s.status != 200 or s.codes)


async def measure(
    rig: Rig,
    send: Send,
    concurrency: int,
    plan: Plan,
    *,
    server_pid: int | None = None,
    count_calls: bool = True,
) -> Figures:
    """Warm up, then run `plan.rounds` rounds; medians of their figures.

    `server_pid` is the process whose CPU is counted (the façade unless told otherwise).
    """
    pid = rig.service_pid if server_pid is None else server_pid
    if plan.warmup_seconds > 0:
        await run_closed_loop(send, concurrency=concurrency, duration=plan.warmup_seconds)
    rounds: list[LoadResult] = []
    calls: list[float] = []
    cpu: list[float] = []
    for _ in range(plan.rounds):
        rig.emulator.reset_stats()
        cpu_before = cpu_seconds(pid)
        result = await run_closed_loop(send, concurrency=concurrency, duration=plan.round_seconds)
        cpu_used = cpu_seconds(pid) - cpu_before
        rounds.append(result)
        if result.count:
            cpu.append(cpu_used * 1000 / result.count)
            if count_calls:
                calls.append(rig.emulator.calls() / result.count)

    def median(values: list[float]) -> float:
        return statistics.median(values) if values else 0.0

    return Figures(
        rps=median([r.rps for r in rounds]),
        p50_ms=median([r.percentile(50) * 1000 for r in rounds]),
        p95_ms=median([r.percentile(95) * 1000 for r in rounds]),
        p99_ms=median([r.percentile(99) * 1000 for r in rounds]),
        requests=sum(r.count for r in rounds),
        errors=sum(_failed(r) for r in rounds),
        upstream_calls_per_request=median(calls),
        server_cpu_ms_per_request=median(cpu),
    )


def _floor_ratio(cell: Cell) -> None:
    assert cell.floor is not None
    floor, figures = cell.floor, cell.figures
    cell.extra["floor_p50_ms"] = floor.p50_ms
    cell.extra["p50_ratio_to_floor"] = figures.p50_ms / floor.p50_ms if floor.p50_ms else 0.0
    cell.extra["added_p50_ms"] = figures.p50_ms - floor.p50_ms
    cell.extra["floor_rps"] = floor.rps
    # The façade's CPU per request beside the emulator's for the same REST page: the
    # GraphQL layer's cost without the noise of other processes on the machine.
    cell.extra["floor_cpu_ms"] = floor.server_cpu_ms_per_request


async def _beside_floor(
    rig: Rig, plan: Plan, concurrency: int, name: str, send: Send, floor_params: dict[str, str]
) -> Cell:
    """`send` (one upstream call per request) measured beside its floor in the same run.

    The floor is the same REST page (`floor_params`) fetched straight from the emulator.
    """
    floor_send = get_sender(
        f"{rig.emulator_url}/v1/customers", bearer=BEARER, params=floor_params
    )
    floor = await measure(
        rig, floor_send, concurrency, plan, server_pid=rig.emulator_pid, count_calls=False
    )
    with RssSampler(rig.service_pid) as rss:
        figures = await measure(rig, send, concurrency, plan)
    cell = Cell(name, concurrency, figures, 1, rss.peak / 2**20, floor=floor)
    _floor_ratio(cell)
    return cell


async def page(rig: Rig, plan: Plan, concurrency: int) -> Cell:
    """Scenario 1: a 50-customer page with company profiles, beside the REST floor."""
    send = graphql_sender(rig.graphql_url, PAGE_QUERY, {"first": 50}, bearer=BEARER)
    return await _beside_floor(rig, plan, concurrency, "1 page", send, {"size": "50"})


async def billing(rig: Rig, plan: Plan, concurrency: int) -> Cell:
    """Scenario 2: 100 billing profiles at 50 ms upstream latency, against the bound."""
    send = graphql_sender(rig.graphql_url, BILLING_QUERY, {"first": BILLING_PAGE}, bearer=BEARER)
    rig.emulator.configure(latency_ms=BILLING_LATENCY_MS)
    try:
        with RssSampler(rig.service_pid) as rss:
            figures = await measure(rig, send, concurrency, plan)
    finally:
        rig.emulator.restore()
    # One query alone: the list call, then ceil(100 / cap) waves of concurrent billing calls.
    bound_ms = BILLING_LATENCY_MS + math.ceil(BILLING_PAGE / rig.max_in_flight) * BILLING_LATENCY_MS
    # Several queries share the cap: each call holds a slot for one latency, so no closed
    # loop can pass cap / (latency x calls per query) queries a second.
    bound_rps = rig.max_in_flight / (BILLING_LATENCY_MS / 1000 * (1 + BILLING_PAGE))
    cell = Cell("2 billing", concurrency, figures, 1 + BILLING_PAGE, rss.peak / 2**20)
    cell.extra["bound_ms"] = bound_ms
    cell.extra["p50_ratio_to_bound"] = figures.p50_ms / bound_ms
    cell.extra["bound_rps"] = bound_rps
    cell.extra["rps_share_of_bound"] = figures.rps / bound_rps
    return cell


@dataclass
class _WalkTally:
    pages: int = 0
    incomplete: int = 0


def walk_sender(rig: Rig, tally: _WalkTally) -> Send:
    """A `Send` whose one request is a whole walk; it returns the last page's response."""
    headers = {"Authorization": BEARER, "Content-Type": "application/json"}

    async def send(client: httpx.AsyncClient, worker: int, number: int) -> httpx.Response:
        after: str | None = None
        seen = 0
        while True:
            body = {"query": WALK_QUERY, "variables": {"after": after}}
            response = await client.post(rig.graphql_url, json=body, headers=headers)
            tally.pages += 1
            if response.status_code != 200 or graphql_codes(response):
                return response
            connection = response.json()["data"]["customers"]
            seen += len(connection["nodes"])
            if not connection["pageInfo"]["hasNextPage"]:
                if seen != rig.customers:
                    tally.incomplete += 1
                return response
            after = connection["pageInfo"]["endCursor"]

    return send


async def walk(rig: Rig, plan: Plan, concurrency: int) -> Cell:
    """Scenario 3: whole walks with first: 100; a sample is one walk."""
    tally = _WalkTally()
    with RssSampler(rig.service_pid) as rss:
        figures = await measure(rig, walk_sender(rig, tally), concurrency, plan)
    pages = math.ceil(rig.customers / WALK_PAGE)
    cell = Cell("3 walk", concurrency, figures, pages, rss.peak / 2**20)
    cell.extra["upstream_pages"] = pages
    cell.extra["incomplete_walks"] = tally.incomplete
    return cell


async def search(rig: Rig, plan: Plan, concurrency: int) -> Cell:
    """Scenario 4: a company-name prefix search, beside the same REST search (the floor)."""
    send = graphql_sender(rig.graphql_url, SEARCH_QUERY, {"prefix": SEARCH_PREFIX}, bearer=BEARER)
    rest_filter = json.dumps(
        {"Field": "CompanyName", "Value": SEARCH_PREFIX, "Operator": "starts_with"}
    )
    floor_params = {"size": "50", "filter": rest_filter}
    return await _beside_floor(rig, plan, concurrency, "4 search", send, floor_params)


async def relay(rig: Rig, plan: Plan, concurrency: int) -> Cell:
    """Scenario 5: Relay's generated pagination query, beside the REST floor."""
    send = graphql_sender(rig.graphql_url, RELAY_QUERY, RELAY_VARIABLES, bearer=BEARER)
    return await _beside_floor(rig, plan, concurrency, "5 relay", send, {"size": "50"})


async def apollo(rig: Rig, plan: Plan, concurrency: int) -> Cell:
    """Scenario 6: the page as Apollo Client sends it, beside the REST floor."""
    send = graphql_sender(rig.graphql_url, APOLLO_QUERY, APOLLO_VARIABLES, bearer=BEARER)
    return await _beside_floor(rig, plan, concurrency, "6 apollo", send, {"size": "50"})


Scenario = Callable[[Rig, Plan, int], Awaitable[Cell]]
SCENARIOS: dict[str, Scenario] = {
    "1": page,
    "2": billing,
    "3": walk,
    "4": search,
    "5": relay,
    "6": apollo,
}


async def run_all(rig: Rig, plan: Plan, names: tuple[str, ...] = tuple(SCENARIOS)) -> list[Cell]:
    """Every named scenario at every concurrency of `plan`, in order."""
    cells: list[Cell] = []
    for name in names:
        for concurrency in plan.concurrencies:
            cells.append(await SCENARIOS[name](rig, plan, concurrency))
    return cells


__all__ = [
    "APOLLO_QUERY",
    "APOLLO_VARIABLES",
    "QUICK",
    "RELAY_QUERY",
    "RELAY_VARIABLES",
    "SCENARIOS",
    "Cell",
    "Figures",
    "Plan",
    "Rig",
    "measure",
    "run_all",
]
