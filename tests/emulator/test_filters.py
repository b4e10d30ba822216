"""Filters: prefix match on each search field, case-insensitive, odd values safe."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest

from graphql_api.emulator.data import Customer
from tests.emulator.conftest import Served, body


def _filter(field: str, value: str, operator: str = "starts_with") -> str:
    return json.dumps({"Field": field, "Value": value, "Operator": operator})


def _names(
    client: httpx.Client, field: str, value: str, operator: str = "starts_with"
) -> list[str]:
    response = client.get("/v1/customers", params={"size": 500,
                                                  "filter": _filter(field, value, operator)})
    assert response.status_code == 200, response.text
    page = body(response)
    assert "continuationToken" not in page, "tests expect one page of matches"
    return [item["companyProfile"]["companyName"] for item in page["items"]]


def _ids(client: httpx.Client, field: str, value: str) -> list[str]:
    response = client.get("/v1/customers", params={"size": 500, "filter": _filter(field, value)})
    return [item["id"] for item in body(response)["items"]]


def _customers(served: Served) -> tuple[Customer, ...]:
    return served.emulator.dataset.customers


@pytest.mark.parametrize("value", ["contoso", "CONTOSO", "cOnToSo"])
def test_company_name_matches_prefix_in_any_case(default_emulator: Served, value: str) -> None:
    names = _names(default_emulator.client, "CompanyName", value)
    assert {"Contoso", "Contoso Ltd", "Contoso Pharmaceuticals"} <= set(names)
    assert all(name.lower().startswith("contoso") for name in names)


def test_company_name_matches_only_prefixes(default_emulator: Served) -> None:
    names = _names(default_emulator.client, "CompanyName", "Pharmaceuticals")
    assert names == []


def test_company_name_match_keeps_upstream_order(default_emulator: Served) -> None:
    ids = _ids(default_emulator.client, "CompanyName", "Contoso")
    order = [c.id for c in _customers(default_emulator)]
    assert ids == sorted(ids, key=order.index)


@pytest.mark.parametrize("value", ["contosoph", "CONTOSOPH"])
def test_domain_matches_prefix_in_any_case(default_emulator: Served, value: str) -> None:
    response = default_emulator.client.get(
        "/v1/customers", params={"filter": _filter("Domain", value)}
    )
    domains = [item["companyProfile"]["domain"] for item in body(response)["items"]]
    assert domains == ["contosopharmaceuticals.onmicrosoft.com"]


def test_indirect_reseller_matches_tenant_id_prefix(default_emulator: Served) -> None:
    reseller = default_emulator.emulator.dataset.indirect_resellers[0]
    ids = _ids(default_emulator.client, "IndirectReseller", reseller.id[:13].upper())
    expected = [c.id for c in _customers(default_emulator) if c.indirect_reseller_id == reseller.id]
    assert expected
    assert ids == expected


def test_indirect_csp_matches_tenant_id_prefix(default_emulator: Served) -> None:
    csp = default_emulator.emulator.dataset.indirect_csps[1]
    ids = _ids(default_emulator.client, "IndirectCloudSolutionProvider", csp.id.upper())
    expected = [c.id for c in _customers(default_emulator) if c.indirect_csp_id == csp.id]
    assert expected
    assert ids == expected


def test_indirect_reseller_customers_show_the_reseller_as_associated_partner(
    default_emulator: Served,
) -> None:
    reseller = default_emulator.emulator.dataset.indirect_resellers[0]
    first = _ids(default_emulator.client, "IndirectReseller", reseller.id)[0]
    response = default_emulator.client.get(f"/v1/customers/{first}")
    assert body(response)["associatedPartnerId"] == reseller.id


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("zürich ärzte", "Zürich Ärzte GmbH"),
        ("ZÜRICH ÄRZTE", "Zürich Ärzte GmbH"),
        ("Café Crème", "Café Crème SARL"),
        ('The "Quoted"', 'The "Quoted" Company & Sons'),
        ("100% Organic Farms &", "100% Organic Farms & Co."),
        ("A+B=C Labs #", "A+B=C Labs #1"),
        ("Path/Slash", "Path/Slash Holdings"),
        ("O'Brien &", "O'Brien & Partners"),
        ("株式会社", "株式会社コントソ"),
    ],
)
def test_odd_values_find_their_customer(default_emulator: Served, value: str, name: str) -> None:
    assert _names(default_emulator.client, "CompanyName", value) == [name]


def test_hand_encoded_filter_is_decoded_once(default_emulator: Served) -> None:
    raw = _filter("CompanyName", "100% Organic Farms & Co.")
    response = default_emulator.client.get(f"/v1/customers?size=0&filter={quote(raw, safe='')}")
    assert [i["companyProfile"]["companyName"] for i in body(response)["items"]] == [
        "100% Organic Farms & Co."
    ]


def test_very_long_value_matches_nothing(default_emulator: Served) -> None:
    assert _names(default_emulator.client, "CompanyName", "Contoso" + "x" * 4000) == []


def test_value_matching_nothing_gives_an_empty_last_page(default_emulator: Served) -> None:
    response = default_emulator.client.get(
        "/v1/customers", params={"filter": _filter("CompanyName", "qqqq")}
    )
    page = body(response)
    assert (page["totalCount"], page["items"], "next" in page["links"]) == (0, [], False)


@pytest.mark.parametrize("operator", ["starts_with", "StartsWith", "STARTS_WITH"])
def test_both_operator_spellings_are_accepted(default_emulator: Served, operator: str) -> None:
    assert "Contoso" in _names(default_emulator.client, "CompanyName", "Contoso", operator)


def test_field_name_is_case_insensitive(default_emulator: Served) -> None:
    assert "Contoso" in _names(default_emulator.client, "companyname", "Contoso")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", 800002),
        ('["CompanyName", "x"]', 800002),
        ('{"Field":"CompanyName","Value":"","Operator":"starts_with"}', 800002),
        ('{"Field":"CompanyName","Value":7,"Operator":"starts_with"}', 800002),
        ('{"Field":"CompanyName","Operator":"starts_with"}', 800002),
        ('{"Field":"CompanyName","Value":"x","Operator":"equals"}', 800002),
        ('{"Field":"Country","Value":"x","Operator":"starts_with"}', 900126),
        ('{"Value":"x","Operator":"starts_with"}', 900126),
        ('{"Field":"CompanyName","Value":"x","Operator":"begins"}', 900126),
        ('{"Field":"CompanyName","Value":"x"}', 900126),
    ],
)
def test_bad_filter_is_400_with_partner_center_code(
    default_emulator: Served, raw: str, code: int
) -> None:
    response = default_emulator.client.get("/v1/customers", params={"filter": raw})
    assert response.status_code == 400
    assert body(response)["code"] == code
    assert body(response)["source"] == "PartnerFD"
