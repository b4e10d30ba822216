"""The root `Query`: customers as a connection, one customer by id, and Relay's `node`."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry

from .. import partner_center as pc
from ..partner_center import CustomerFilter, CustomerPage
from ._fields import described
from .connection import UNSIGNED, CustomerConnection, CustomerEdge, PageInfo, sign_edges
from .context import RequestContext
from .cursors import Cursor, CursorCodec
from .customer import Customer
from .demand import costs_an_upstream_call, customers_demand
from .inputs import CustomerSearch, page_size, search_filter, start_position
from .loaders import Loaders
from .node import Node
from .paging import FetchPage, Window, read_window
from .planning import connection_needs

Info = strawberry.Info[RequestContext, None]


async def _customer(info: Info, id: str) -> Customer:
    return await Customer.by_id(info, id)


def _connection(
    window: Window,
    codec: CursorCodec,
    loaders: Loaders,
    full: set[str],
    records: dict[str, pc.Customer],
    *,
    after_given: bool,
    edge_cursors: bool,
) -> CustomerConnection:
    """The connection of `window`; `full` names the customers the plan serves in full, and
    `records` holds the full records of those loaded already."""
    cursors = (
        sign_edges(window.runs, codec) if edge_cursors else [UNSIGNED] * len(window.edges)
    )
    edges = [
        CustomerEdge(
            cursor=cursor,
            position=edge,
            codec=codec,
            node=Customer.from_record(
                records.get(edge.customer.id, edge.customer),
                loaders,
                summary_suffices=edge.customer.id not in full,
            ),
        )
        for edge, cursor in zip(window.edges, cursors, strict=True)
    ]
    return CustomerConnection(
        edges=edges,
        page_info=PageInfo(
            has_previous_page=after_given,
            first_edge=edges[0] if edges else None,
            last_edge=edges[-1] if edges else None,
            known_has_next_page=window.has_next_page,
            probe_has_next_page=None,
        ),
    )


@strawberry.type(description="Read the partner's customers in Partner Center.")
class Query:
    """The root query type."""

    @described(
        "The partner's customers, in Partner Center's order, optionally narrowed by a "
        "prefix search. Forward paging only: pass a page's `pageInfo.endCursor` as "
        "`after` (with the same `search`) for the next page.",
        directives=customers_demand(),
    )
    async def customers(
        self,
        info: Info,
        search: Annotated[
            CustomerSearch | None,
            strawberry.argument(
                description="Only customers whose field starts with a prefix (case ignored)."
            ),
        ] = None,
        first: Annotated[
            int | None,
            strawberry.argument(
                description=(
                    "How many customers to return: 0 to CUSTOMERS_MAX_PAGE_SIZE (500 unless "
                    "configured); CUSTOMERS_DEFAULT_PAGE_SIZE (50 unless configured) when "
                    "absent."
                )
            ),
        ] = None,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="Return the customers after this cursor (an edge's `cursor`)."
            ),
        ] = None,
    ) -> CustomerConnection:
        settings = info.context.settings.schema
        size = page_size(first, settings)
        rest_search = search_filter(search)
        start = start_position(after, first=size, search=rest_search, settings=settings)
        loaders = info.context.loaders
        codec = CursorCodec(settings.cursor_key)

        async def fetch(
            token: str | None, size: int, search: CustomerFilter | None
        ) -> CustomerPage:
            return await loaders.page(token=token, size=size, search=search)

        if size == 0:
            return _empty(start, fetch, after_given=after is not None)
        needs = connection_needs(info)
        # Billing batches of sibling fields wait until this window tells the loaders which
        # of its customers' full records the operation needs (they carry billing inline).
        with loaders.planning():
            window = await read_window(fetch, start, size)
            full = {
                edge.customer.id for edge in window.edges if needs.needs_full(edge.customer)
            }
            loaders.expect_full(full)
        billing = (
            [edge.customer.id for edge in window.edges if edge.customer.id not in full]
            if needs.billing_profile
            else []
        )
        records: dict[str, pc.Customer] = {}
        if (full or billing) and loaders.start_calls(full=full, billing=billing):
            if full:
                # Every field of these customers waits for their full records anyway: with
                # the records at hand, the fields answer at once, and a page costs no
                # awaitable per field per customer (five of them on a page of every field).
                # A record that fails stays a summary, its fields reporting the failure.
                records = await loaders.full_records(full)
            else:
                # One loop turn lets the first calls leave now, rather than after GraphQL
                # has walked the whole page and aiodataloader has dispatched the fields'
                # batches: that walk and dispatch would sit on the request's critical path.
                # Not part of the switchable speed layer: the stock executor gains the same.
                await asyncio.sleep(0)
        return _connection(
            window,
            codec,
            loaders,
            full,
            records,
            after_given=after is not None,
            edge_cursors=needs.edge_cursors,
        )

    @described(
        "The customer with this Partner Center id; null if none.",
        directives=costs_an_upstream_call(),
    )
    async def customer(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The customer's Partner Center id (its tenant GUID)."),
        ],
    ) -> Customer | None:
        return await _customer(info, id)

    @described(
        "The object with this id (Relay); customers are the only nodes.",
        directives=costs_an_upstream_call(),
    )
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The object's id; for a customer, its tenant GUID."),
        ],
    ) -> Node | None:
        return await _customer(info, id)


def _empty(start: Cursor, fetch: FetchPage, *, after_given: bool) -> CustomerConnection:
    """`first: 0`: no edges, and an upstream call only if hasNextPage is asked for."""

    async def probe() -> bool:
        window = await read_window(fetch, start, 0)
        return window.has_next_page

    return CustomerConnection(
        edges=[],
        page_info=PageInfo(
            has_previous_page=after_given,
            first_edge=None,
            last_edge=None,
            known_has_next_page=None,
            probe_has_next_page=probe,
        ),
    )


__all__ = ["Query"]
