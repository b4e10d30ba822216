"""What an operation asks of its customers, read from the selection set, in REST records' terms.

The loaders choose per customer between the billing route and the full record (see
`graphql_api.schema.loaders`); to choose well before any profile is asked for, they must know
whether the operation needs the full record at all. A field resolver that returns customers
(`customers`, `customer`, `node`, `_entities`) reads its own selection set once, with
fragments followed and `@skip`/`@include` applied, and gets a `CustomerNeeds`; its
`needs_full(summary)` answers for one listed customer, since a summary that lacks a value
(Partner Center leaves `commerceId` out of list items) sends that field to the full record.

A Customer or CompanyProfile field this module does not know is counted as needing the
full record: a wrong guess that way costs no extra call (the full record carries the
billing profile), while the other way it would cost one. A test keeps the lists complete.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any

import strawberry
from graphql.pyutils import Path
from strawberry.types.nodes import SelectedField, Selection

from .. import partner_center as pc

# Customer fields a list summary may carry, and how to read them from a record.
# (attrgetter: a C call per listed customer and field, where a lambda ran Python code.)
_CUSTOMER_SUMMARY: Mapping[str, Callable[[pc.Customer], object]] = {
    "commerceId": attrgetter("commerce_id"),
    # Present exactly when the value as sent is (the tolerant reading is the field's).
    "relationshipToPartner": attrgetter("relationship_as_sent"),
}
# Customer fields served without any record beyond the id.
_CUSTOMER_FREE = frozenset({"id", "__typename"})
# Customer fields only the full record carries.
_CUSTOMER_FULL = frozenset({"allowDelegatedAccess", "associatedPartnerId", "customDomains"})
_COMPANY_PROFILE = "companyProfile"
_BILLING_PROFILE = "billingProfile"

_COMPANY_SUMMARY: Mapping[str, Callable[[pc.CompanyProfile], object]] = {
    "tenantId": attrgetter("tenant_id"),
    "domain": attrgetter("domain"),
    "companyName": attrgetter("company_name"),
}
_COMPANY_FREE = frozenset({"__typename"})
_COMPANY_FULL = frozenset({"address", "email", "organizationRegistrationNumber"})

CUSTOMER_FIELDS = frozenset(
    {*_CUSTOMER_SUMMARY, *_CUSTOMER_FREE, *_CUSTOMER_FULL, _COMPANY_PROFILE, _BILLING_PROFILE}
)
"""The Customer fields planned by name (any other counts as needing the full record)."""
COMPANY_PROFILE_FIELDS = frozenset({*_COMPANY_SUMMARY, *_COMPANY_FREE, *_COMPANY_FULL})
"""The CompanyProfile fields planned by name (any other counts as needing the full record)."""


LISTED_CUSTOMER_FIELDS_WITHOUT_A_CALL = frozenset(
    {*_CUSTOMER_FREE, "relationshipToPartner", _COMPANY_PROFILE}
)
"""Customer fields a list item serves without a call of its own (when it carries them)."""
LISTED_COMPANY_FIELDS_WITHOUT_A_CALL = frozenset({*_COMPANY_SUMMARY, *_COMPANY_FREE})
"""CompanyProfile fields a list item's minimal profile serves (when it carries them)."""


@dataclass(frozen=True, slots=True)
class CustomerNeeds:
    """The fields an operation asks of the customers one field returns, as REST needs."""

    # A field only the full record carries is asked for.
    full_only: bool = False
    # Summary fields asked for: a summary without a value for one takes the full record.
    customer_fields: tuple[Callable[[pc.Customer], object], ...] = ()
    company_profile: bool = False
    company_fields: tuple[Callable[[pc.CompanyProfile], object], ...] = ()
    billing_profile: bool = False
    # A connection's `edges { cursor }` is asked for: every edge's cursor is signed up front
    # (read then as a plain field); otherwise none is, and `pageInfo` signs its own.
    edge_cursors: bool = False

    def needs_full(self, record: pc.Customer) -> bool:
        """True when serving the asked fields from `record` takes the customer's full record."""
        # Called once per listed customer: plain loops, no generator per call.
        if not record.is_summary:
            return False
        if self.full_only:
            return True
        for get in self.customer_fields:
            if get(record) is None:
                return True
        if not self.company_profile:
            return False
        profile = record.company_profile
        if profile is None:
            return True
        for get_field in self.company_fields:  # noqa: SIM110 (any() builds a generator)
            if get_field(profile) is None:
                return True
        return False


def connection_needs(info: strawberry.Info[Any, Any]) -> CustomerNeeds:
    """What the current connection field asks of its customers (`edges.node` and `nodes`)."""
    return _memoized(info, _connection_needs)


def customer_needs(info: strawberry.Info[Any, Any]) -> CustomerNeeds:
    """What the current field asks of the customer it returns (`customer`, `node`...)."""
    return _memoized(info, _customer_needs)


def _connection_needs(info: strawberry.Info[Any, Any]) -> CustomerNeeds:
    customers: list[SelectedField] = []
    edge_cursors = False
    for connection in _fields(info.selected_fields):
        for part in _fields(connection.selections):
            if part.name == "nodes":
                customers.append(part)
            elif part.name == "edges":
                for edge_field in _fields(part.selections):
                    if edge_field.name == "node":
                        customers.append(edge_field)
                    elif edge_field.name == "cursor":
                        edge_cursors = True
    needs = _needs(customers)
    return replace(needs, edge_cursors=True) if edge_cursors else needs


def _customer_needs(info: strawberry.Info[Any, Any]) -> CustomerNeeds:
    return _needs(_fields(info.selected_fields))


# Needs per field of a parsed document. Strawberry's `selected_fields` rebuilds the selection
# tree on every call (a tenth of a one-customer request); the parser cache (limits.py) hands
# every request of the same query the same document, so the needs are worked out once.
# Key: the operation's AST node (identity; the entry refers to it weakly, so that the memo
# never keeps a document, and its whole source text, alive: a reused id finds a dead
# reference and misses), the field's position in the response (response keys and parent types, list
# indices left out: the same position gathers the same field nodes), and the Boolean
# variables, the only input that can change the answer (`@skip(if: $v)`,
# `@include(if: $v)`). Bounded: cleared when full.
_Position = tuple[tuple[str, str | None], ...]
_NeedsKey = tuple[int, _Position, tuple[tuple[str, bool], ...], Callable[..., CustomerNeeds]]
_needs_memo: dict[_NeedsKey, tuple[weakref.ref[Any], CustomerNeeds]] = {}
_MAX_MEMOIZED_NEEDS = 1024
# Operations known ahead of requests (a manifest's, kept alive for the process): their needs
# are kept apart and never cleared, so a flood of other documents cannot make them planned
# again. Bounded by the manifest: positions times its operations' Boolean variables.
_pinned_operations: dict[int, object] = {}
_pinned_needs: dict[_NeedsKey, tuple[object, CustomerNeeds]] = {}


def pin_operation(operation: object) -> None:
    """Keep the needs planned for `operation` (an AST node that lives as long as the process)."""
    _pinned_operations[id(operation)] = operation


def _position(path: Path | None) -> _Position:
    """The field's response keys with their parent types, innermost first, without indices."""
    keys: list[tuple[str, str | None]] = []
    while path is not None:
        if isinstance(path.key, str):
            keys.append((path.key, path.typename))
        path = path.prev
    return tuple(keys)


def _memoized(
    info: strawberry.Info[Any, Any], work_out: Callable[[strawberry.Info[Any, Any]], CustomerNeeds]
) -> CustomerNeeds:
    operation = info.operation
    flags = tuple(
        sorted((name, value) for name, value in info.variable_values.items() if type(value) is bool)
    )
    key = (id(operation), _position(info.path), flags, work_out)
    entry = _needs_memo.get(key)
    if entry is not None and entry[0]() is operation:
        return entry[1]
    if _pinned_operations.get(id(operation)) is operation:
        pinned = _pinned_needs.get(key)
        if pinned is None:
            pinned = _pinned_needs[key] = (operation, work_out(info))
        return pinned[1]
    needs = work_out(info)
    if len(_needs_memo) >= _MAX_MEMOIZED_NEEDS:
        _needs_memo.clear()
    _needs_memo[key] = (weakref.ref(operation), needs)
    return needs


def _needs(customers: Iterable[SelectedField]) -> CustomerNeeds:
    full_only = company = billing = False
    customer_fields: dict[str, Callable[[pc.Customer], object]] = {}
    company_fields: dict[str, Callable[[pc.CompanyProfile], object]] = {}
    for field in _fields(s for customer in customers for s in customer.selections):
        if field.name in _CUSTOMER_SUMMARY:
            customer_fields[field.name] = _CUSTOMER_SUMMARY[field.name]
        elif field.name == _COMPANY_PROFILE:
            company = True
            for sub in _fields(field.selections):
                if sub.name in _COMPANY_SUMMARY:
                    company_fields[sub.name] = _COMPANY_SUMMARY[sub.name]
                elif sub.name not in _COMPANY_FREE:
                    full_only = True
        elif field.name == _BILLING_PROFILE:
            billing = True
        elif field.name not in _CUSTOMER_FREE:
            full_only = True
    return CustomerNeeds(
        full_only=full_only,
        customer_fields=tuple(customer_fields.values()),
        company_profile=company,
        company_fields=tuple(company_fields.values()),
        billing_profile=billing,
    )


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields of a selection set, fragments flattened, skipped ones left out.

    Every fragment counts whatever its type condition: in this schema each level has one
    object type (customers are the only nodes and entities), and were that to change, a
    fragment counted needlessly only makes the plan ask for the full record.
    """
    for selection in selections:
        if not _included(selection.directives):
            continue
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _fields(selection.selections)


def _included(directives: Mapping[str, Mapping[str, Any]]) -> bool:
    """False when `@skip(if: true)` or `@include(if: false)` leaves the selection out."""
    if directives.get("skip", {}).get("if") is True:
        return False
    return directives.get("include", {}).get("if", True) is not False


__all__ = [
    "COMPANY_PROFILE_FIELDS",
    "CUSTOMER_FIELDS",
    "LISTED_COMPANY_FIELDS_WITHOUT_A_CALL",
    "LISTED_CUSTOMER_FIELDS_WITHOUT_A_CALL",
    "CustomerNeeds",
    "connection_needs",
    "customer_needs",
    "pin_operation",
]
