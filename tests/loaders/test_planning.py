"""The planner knows every field of the types it plans for (a new field must be classified)."""

from __future__ import annotations

import pytest

from graphql_api.config import Settings
from graphql_api.schema import create_schema
from graphql_api.schema.planning import COMPANY_PROFILE_FIELDS, CUSTOMER_FIELDS


@pytest.mark.parametrize(
    ("type_name", "planned"),
    [("Customer", CUSTOMER_FIELDS), ("CompanyProfile", COMPANY_PROFILE_FIELDS)],
)
def test_every_field_of_the_type_is_planned_by_name(
    type_name: str, planned: frozenset[str]
) -> None:
    result = create_schema(Settings()).execute_sync(
        "query($name: String!) { __type(name: $name) { fields { name } } }",
        variable_values={"name": type_name},
    )

    assert result.errors is None
    assert result.data is not None
    fields = {field["name"] for field in result.data["__type"]["fields"]}
    assert fields == planned - {"__typename"}
