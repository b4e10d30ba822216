"""Validation of `GET /v1/customers` query parameters, with Partner Center's error codes.

Choices where the sources are silent (see docs/emulator.md, "Inferred behaviours"):

* `size` absent or `0` means the server default, 500 (the SDKs send `size=0` for
  non-indexed queries, and `Get-PartnerCustomer` without a size got `size=500` links).
  Non-integers, negatives and anything above 500 are 400 / 800002.
* `filter` is URL-encoded JSON `{"Field", "Value", "Operator"}`. Key names and enum values
  are read case-insensitively, underscores ignored (the SDKs write `StartsWith`, the docs
  `starts_with`). An unknown field or operator name is 400 / 900126 ("Unable to parse
  enum"); a known operator other than starts-with, bad JSON, or an empty or non-string
  value is 400 / 800002. No length limit is imposed on the value.
* `seekOperation`: `Next` in any case; the other documented operations are 400 / 800002
  (customers never offer them), anything else 400 / 900126.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from graphql_api.emulator.errors import INVALID_INPUT, UNPARSABLE_ENUM, RequestRejected

DEFAULT_SIZE = 500
MAX_SIZE = 500

FIELDS: dict[str, str] = {
    "companyname": "CompanyName",
    "domain": "Domain",
    "indirectreseller": "IndirectReseller",
    "indirectcloudsolutionprovider": "IndirectCloudSolutionProvider",
}
# The generic FieldFilter operators of the swagger: real enum values, but not for customers.
_OTHER_OPERATORS = frozenset(
    {"equals", "notequals", "greaterthan", "greaterthanorequals", "lessthan",
     "lessthanorequals", "substring", "contains", "endswith"}
)
_SEEK_OPERATIONS = frozenset({"previous", "first", "last", "pageindex"})


@dataclass(frozen=True, slots=True)
class Filter:
    """A validated prefix search: canonical field name and the prefix to match."""

    field: str
    value: str


def _enum_key(value: str) -> str:
    return value.replace("_", "").lower()


def parse_size(raw: str | None) -> int:
    """The page size a first-page request asks for."""
    if raw is None or raw.strip() == "":
        return DEFAULT_SIZE
    try:
        size = int(raw.strip())
    except ValueError:
        raise RequestRejected(400, INVALID_INPUT, "Invalid request input: size must be an "
                              "integer between 1 and 500") from None
    if size == 0:
        return DEFAULT_SIZE
    if not 1 <= size <= MAX_SIZE:
        raise RequestRejected(400, INVALID_INPUT, "Invalid request input: size must be an "
                              "integer between 1 and 500")
    return size


def _lookup(obj: dict[str, Any], name: str) -> Any:
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == name:
            return value
    return None


def parse_filter(raw: str | None) -> Filter | None:
    """The decoded `filter` parameter, validated."""
    if raw is None:
        return None
    try:
        obj = json.loads(raw)
    except ValueError:
        raise RequestRejected(400, INVALID_INPUT, "Invalid request input: filter is not "
                              "valid JSON") from None
    if not isinstance(obj, dict):
        raise RequestRejected(400, INVALID_INPUT, "Invalid request input: filter must be "
                              "a JSON object")
    field, value, operator = _lookup(obj, "field"), _lookup(obj, "value"), _lookup(obj, "operator")
    if not isinstance(field, str) or _enum_key(field) not in FIELDS:
        raise RequestRejected(400, UNPARSABLE_ENUM, f"Unable to parse enum: Field {field!r}")
    if not isinstance(operator, str):
        raise RequestRejected(400, UNPARSABLE_ENUM, f"Unable to parse enum: Operator {operator!r}")
    op = _enum_key(operator)
    if op in _OTHER_OPERATORS:
        raise RequestRejected(400, INVALID_INPUT, "Invalid request input: only the "
                              "starts_with operator is supported for customers")
    if op != "startswith":
        raise RequestRejected(400, UNPARSABLE_ENUM, f"Unable to parse enum: Operator {operator!r}")
    if not isinstance(value, str) or value == "":
        raise RequestRejected(400, INVALID_INPUT, "Invalid request input: filter value must "
                              "be a non-empty string")
    return Filter(field=FIELDS[_enum_key(field)], value=value)


def check_seek(raw: str) -> None:
    """Accept `seekOperation=Next` (any case); reject the rest."""
    op = raw.strip().lower()
    if op == "next":
        return
    if op in _SEEK_OPERATIONS:
        raise RequestRejected(400, INVALID_INPUT, f"Invalid request input: seek operation "
                              f"{raw!r} is not supported for customers")
    raise RequestRejected(400, UNPARSABLE_ENUM, f"Unable to parse enum: seekOperation {raw!r}")


__all__ = [
    "DEFAULT_SIZE",
    "FIELDS",
    "MAX_SIZE",
    "Filter",
    "check_seek",
    "parse_filter",
    "parse_size",
]
