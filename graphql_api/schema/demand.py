"""Demand control: what the schema tells a router about the cost of its fields.

Apollo Router's demand control estimates an operation from `@cost` and `@listSize` before it
plans any fetch. Its defaults weigh an object 1 and a scalar 0, and a list of unknown length
as its configured static size. Here the cost that matters is Partner Center's shared budget,
so a field whose value takes an upstream call weighs `UPSTREAM_CALL_WEIGHT` (10 objects' worth),
and `customers` says its `edges` and `nodes` are as long as its `first` argument
(`CUSTOMERS_DEFAULT_PAGE_SIZE`'s default, 50, when `first` is absent).

The weights follow this service's own estimate (estimate.py): `customers` (a list page),
`customer`, `node`, and per customer the billing profile and each field only the full
record carries. The router adds a weight per field, so several full-record fields of one
customer count several times where the service makes one call: its figure is a bound.
"""

from __future__ import annotations

from strawberry import UNSET
from strawberry.federation.schema_directives import Cost, ListSize

# One Partner Center call, in the router's units (an object resolved from memory weighs 1).
UPSTREAM_CALL_WEIGHT = 10
# What `customers` returns when `first` is absent (CUSTOMERS_DEFAULT_PAGE_SIZE's default).
ASSUMED_PAGE_SIZE = 50


def costs_an_upstream_call() -> list[object]:
    """The directives of a field whose value takes one Partner Center call."""
    return [Cost(weight=UPSTREAM_CALL_WEIGHT)]


def costs_one_call_for_the_list() -> list[object]:
    """The directives of a list field that one Partner Center call answers whole.

    The router multiplies a list field's weight by the list's size; an assumed size of 1
    makes it weigh the one call, not one per item (a customer's domains come in one record).
    """
    return [
        Cost(weight=UPSTREAM_CALL_WEIGHT),
        ListSize(
            assumed_size=1,
            # UNSET, not None: left out of the SDL rather than printed as null.
            slicing_arguments=UNSET,
            sized_fields=UNSET,
            require_one_slicing_argument=False,
        ),
    ]


def customers_demand() -> list[object]:
    """The directives of `customers`: a list page, and lists as long as `first`."""
    return [
        Cost(weight=UPSTREAM_CALL_WEIGHT),
        ListSize(
            slicing_arguments=["first"],
            sized_fields=["edges", "nodes"],
            assumed_size=ASSUMED_PAGE_SIZE,
            # `first` is optional (it has a default page size), so the router must not
            # refuse an operation that leaves it out.
            require_one_slicing_argument=False,
        ),
    ]


__all__ = [
    "ASSUMED_PAGE_SIZE",
    "UPSTREAM_CALL_WEIGHT",
    "costs_an_upstream_call",
    "costs_one_call_for_the_list",
    "customers_demand",
]
