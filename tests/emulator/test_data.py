"""The data generator: deterministic for a seed, realistic, and varied where it matters."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from graphql_api.emulator import EmulatorConfig, generate
from graphql_api.emulator.data import SPECIAL_NAMES
from tests.emulator.conftest import Served, body

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_same_seed_gives_the_same_data() -> None:
    assert generate(300, 9) == generate(300, 9)


def test_other_seed_gives_other_data() -> None:
    assert generate(300, 9).customers[0].id != generate(300, 10).customers[0].id


def test_same_seed_serves_the_same_pages(serve: Callable[..., Served]) -> None:
    one, two = serve(EmulatorConfig(customers=40, seed=3)), serve(EmulatorConfig(customers=40,
                                                                                 seed=3))
    first = [body(s.client.get("/v1/customers"))["items"] for s in (one, two)]
    assert first[0] == first[1]


def test_ids_are_unique_canonical_lower_case_guids() -> None:
    customers = generate(2000, 1).customers
    ids = [c.id for c in customers] + [c.commerce_id for c in customers]
    assert all(_GUID.match(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_domains_are_unique_onmicrosoft_prefixes() -> None:
    domains = [c.domain for c in generate(2000, 1).customers]
    assert len(set(domains)) == len(domains)
    assert all(re.fullmatch(r"[a-z0-9]{1,27}\.onmicrosoft\.com", d) for d in domains)


def test_special_names_are_always_present() -> None:
    names = {c.company_name for c in generate(100, 5).customers}
    assert set(SPECIAL_NAMES) <= names


def test_company_names_are_unique() -> None:
    names = [c.company_name for c in generate(2000, 1).customers]
    assert len(set(names)) == len(names)


def test_relationship_mix_is_mostly_reseller() -> None:
    mix = Counter(c.relationship for c in generate(2000, 1).customers)
    assert set(mix) == {"reseller", "advisor", "none"}
    assert mix["reseller"] > mix["advisor"] > mix["none"] > 0


def test_some_customers_lack_delegated_access() -> None:
    mix = Counter(c.delegated_access for c in generate(2000, 1).customers)
    assert mix[True] > mix[False] > 0


def test_some_customers_belong_to_each_indirect_reseller() -> None:
    data = generate(2000, 1)
    used = Counter(c.indirect_reseller_id for c in data.customers if c.indirect_reseller_id)
    assert set(used) == {r.id for r in data.indirect_resellers}


def test_customers_of_a_reseller_share_its_indirect_csp() -> None:
    data = generate(2000, 1)
    pairs = {(c.indirect_reseller_id, c.indirect_csp_id) for c in data.customers
             if c.indirect_reseller_id}
    assert len(pairs) == len(data.indirect_resellers)
    assert {csp for _, csp in pairs} == {p.id for p in data.indirect_csps}


def test_zero_customers_serve_an_empty_page(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=0))
    page = body(served.client.get("/v1/customers"))
    assert (page["totalCount"], page["items"]) == (0, [])


def test_passwords_differ_per_customer() -> None:
    passwords = [c.password for c in generate(500, 1).customers]
    assert len(set(passwords)) == len(passwords)
