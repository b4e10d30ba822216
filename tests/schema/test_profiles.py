"""The profile types are served by the REST records themselves: their names must agree."""

from __future__ import annotations

import msgspec
import pytest
from strawberry.types.base import get_object_definition

from graphql_api.schema.profiles import REST_RECORDS


@pytest.mark.parametrize("graphql_type", list(REST_RECORDS), ids=lambda t: t.__name__)
def test_every_field_of_a_profile_type_is_an_attribute_of_its_record(graphql_type: type) -> None:
    record = REST_RECORDS[graphql_type]
    definition = get_object_definition(graphql_type, strict=True)
    attributes = {field.name for field in msgspec.structs.fields(record)}
    missing = [f.python_name for f in definition.fields if f.python_name not in attributes]
    assert not missing, f"{record.__name__} has no {missing}: {graphql_type.__name__} reads them"
    # No resolver of its own: each field is the record's attribute, read as it is.
    assert all(f.base_resolver is None for f in definition.fields)
