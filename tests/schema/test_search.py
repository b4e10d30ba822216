"""`customers(search: ...)`: each field, case ignored, paged with cursors that keep the search."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from tests.live_emulator import LiveEmulator
from tests.schema.walking import ids, walk


def reseller(live: LiveEmulator) -> str:
    return str(next(c.indirect_reseller_id for c in live.customers if c.indirect_reseller_id))


def csp(live: LiveEmulator) -> str:
    return str(next(c.indirect_csp_id for c in live.customers if c.indirect_csp_id))


# (GraphQL field, the emulator record's searched value, how to pick a prefix)
CASES: list[tuple[str, Callable[[Any], str | None], Callable[[LiveEmulator], str]]] = [
    ("COMPANY_NAME", lambda c: c.company_name, lambda live: "contoso"),
    ("COMPANY_NAME", lambda c: c.company_name, lambda live: "ZÜRICH"),
    ("COMPANY_NAME", lambda c: c.company_name, lambda live: 'The "Quoted" Company &'),
    ("DOMAIN", lambda c: c.domain, lambda live: live.customers[0].domain[:3].upper()),
    ("INDIRECT_RESELLER", lambda c: c.indirect_reseller_id, reseller),
    ("INDIRECT_CLOUD_SOLUTION_PROVIDER", lambda c: c.indirect_csp_id, csp),
]


@pytest.mark.parametrize(
    ("field", "value_of", "prefix_of"),
    CASES,
    ids=["company", "company-non-ascii", "company-quotes", "domain", "reseller", "csp"],
)
async def test_a_search_walk_yields_exactly_the_matching_customers_in_order(
    big: LiveEmulator,
    runner: Any,
    field: str,
    value_of: Callable[[Any], str | None],
    prefix_of: Callable[[LiveEmulator], str],
) -> None:
    prefix = prefix_of(big)
    expected = [
        c.id
        for c in big.customers
        if (value_of(c) or "").casefold().startswith(prefix.casefold()) and value_of(c)
    ]
    assert expected, "the data should hold a match for this prefix"
    pages = await walk(runner(big.url), [7], search={"field": field, "startsWith": prefix})
    assert ids(pages) == expected
    assert big.calls() == math.ceil(len(expected) / 7)


async def test_a_search_without_matches_is_an_empty_last_page(
    big: LiveEmulator, runner: Any
) -> None:
    pages = await walk(
        runner(big.url), [10], search={"field": "COMPANY_NAME", "startsWith": "zzzz-no-such"}
    )
    assert len(pages) == 1
    assert pages[0]["edges"] == []
    assert pages[0]["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }
    assert big.calls() == 1
