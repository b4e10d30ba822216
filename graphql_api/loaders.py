"""Per-request DataLoaders: each customer record or profile fetched at most once per request.

Partner Center has no bulk endpoint, so batching means de-duplicating keys and running one
batch's calls concurrently (the client's in-flight cap bounds them). The plan, fewest calls
first:

- A list page (`page`) is one call; its items (summaries: id, relationship, minimal company
  profile) are remembered, so every summary field costs no call, and neither does
  `customer(id)` for a customer listed in the same request (it waits for the request's list
  pages in flight before deciding to load).
- `customer` loads the full record, `GET /v1/customers/{id}`, only when a field beyond the
  summary is asked for. That one call carries both profiles inline, so it primes
  `company_profile` and `billing_profile`: asking for them next costs nothing.
- `company_profile` is always served from the full customer record: that route works with
  app-only tokens, where `/profiles/company` wants App+User, and the same call serves any
  other field of the customer.
- `billing_profile` reads the full record when one is loaded or on its way (no call of its
  own); otherwise it calls `/profiles/billing`, the cheapest route to that profile alone.

A known gap: `billing_profile` decides when its batch runs. A need for the full record found
later in the same request (a field one level deeper, e.g. `companyProfile { email }` beside
`billingProfile`) then costs a `get_customer` besides the billing call; planning from the
operation's selections would save it.

A failure for one key (404, 403, 429...) is returned for that key only: that field is null
with its error, every other key's value still arrives. Loaders return REST records
(`partner_center.models`), never GraphQL types. Keys are customer ids, case-insensitive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar, cast

from aiodataloader import DataLoader

from .partner_center import (
    BillingProfile,
    CallContext,
    CompanyProfile,
    Customer,
    CustomerFilter,
    CustomerPage,
    PartnerCenterClient,
)

K = TypeVar("K")
V = TypeVar("V")


def customer_key(customer_id: str) -> str:
    """The loader key of a customer id: GUIDs compare case-insensitively."""
    return customer_id.lower()


class _Loader(DataLoader[str, V]):
    """A DataLoader keyed by customer id, that can tell whether a key was asked for already."""

    def __init__(
        self,
        batch_load_fn: Callable[[list[str]], Coroutine[Any, Any, list[V]]],
        *,
        max_batch_size: int,
    ) -> None:
        super().__init__(
            batch_load_fn,
            max_batch_size=max_batch_size,
            get_cache_key=customer_key,
            loop=asyncio.get_running_loop(),
        )

    def has(self, key: str) -> bool:
        """True when `key` is loaded, loading, or primed in this request."""
        return customer_key(key) in self._cache


async def _settle(calls: Sequence[Awaitable[V]]) -> list[V]:
    """Run `calls` concurrently; a failed call yields its exception in its slot.

    aiodataloader fails exactly the keys whose slot holds an Exception. Cancellation is not a
    per-key outcome and propagates.
    """
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Exception):
            raise result
    # The slots holding exceptions are what aiodataloader expects, hence the cast.
    return cast(list[V], results)


class Loaders:
    """The loaders of one request, bound to its client and call context."""

    def __init__(
        self, client: PartnerCenterClient, call: CallContext, *, max_batch_size: int
    ) -> None:
        self._client = client
        self._call = call
        self._summaries: dict[str, Customer] = {}
        self._pages_in_flight: set[asyncio.Future[None]] = set()
        self.customer: _Loader[Customer] = _Loader(
            self._load_customers, max_batch_size=max_batch_size
        )
        self.company_profile: _Loader[CompanyProfile | None] = _Loader(
            self._load_company_profiles, max_batch_size=max_batch_size
        )
        self.billing_profile: _Loader[BillingProfile] = _Loader(
            self._load_billing_profiles, max_batch_size=max_batch_size
        )

    async def page(
        self, *, token: str | None, size: int, search: CustomerFilter | None
    ) -> CustomerPage:
        """One upstream page of customers (the first when `token` is None); remembers its items."""
        # Registered before the first await, so that `known_customer` in a sibling field
        # knows a page that may hold its customer is on its way.
        arrived = asyncio.get_running_loop().create_future()
        self._pages_in_flight.add(arrived)
        try:
            if token is None:
                page = await self._client.list_customers(self._call, size=size, search=search)
            else:
                # The token carries the query; the size is repeated as `links.next` does.
                page = await self._client.next_customers(self._call, token, size=size)
            for item in page.items:
                self._summaries.setdefault(customer_key(item.id), item)
            return page
        finally:
            self._pages_in_flight.discard(arrived)
            arrived.set_result(None)

    def summary(self, customer_id: str) -> Customer | None:
        """The list item seen for `customer_id` in this request, if any."""
        return self._summaries.get(customer_key(customer_id))

    async def known_customer(self, customer_id: str) -> Customer:
        """The customer as cheaply as possible: its list summary if seen, else the full record.

        List pages being fetched in this request are waited for first (their failures are
        theirs to report): `customer(id)` beside `customers` then costs no call of its own.
        """
        # One turn of the loop lets sibling root fields, resolved concurrently, start theirs.
        await asyncio.sleep(0)
        while self._pages_in_flight:
            await asyncio.wait(list(self._pages_in_flight))
        summary = self.summary(customer_id)
        if summary is not None:
            return summary
        return await self.customer.load(customer_id)

    async def _load_customers(self, ids: list[str]) -> list[Customer]:
        records = await _settle([self._client.get_customer(self._call, i) for i in ids])
        for record in records:
            if isinstance(record, Customer):
                # The full record carries both profiles: later asks for them cost nothing.
                if record.company_profile is not None:
                    self.company_profile.prime(record.id, record.company_profile)
                if record.billing_profile is not None:
                    self.billing_profile.prime(record.id, record.billing_profile)
        return records

    async def _load_company_profiles(self, ids: list[str]) -> list[CompanyProfile | None]:
        async def one(customer_id: str) -> CompanyProfile | None:
            return (await self.customer.load(customer_id)).company_profile

        return await _settle([one(i) for i in ids])

    async def _load_billing_profiles(self, ids: list[str]) -> list[BillingProfile]:
        async def one(customer_id: str) -> BillingProfile:
            if self.customer.has(customer_id):
                # The full record is loaded or on its way, and it carries the billing profile.
                record = await self.customer.load(customer_id)
                if record.billing_profile is not None:
                    return record.billing_profile
            return await self._client.get_billing_profile(self._call, customer_id)

        return await _settle([one(i) for i in ids])


def create_loaders(
    client: PartnerCenterClient, call: CallContext, *, max_batch_size: int
) -> Loaders:
    """Fresh loaders for one request; call from inside the request's event loop."""
    return Loaders(client, call, max_batch_size=max_batch_size)


__all__ = ["Loaders", "create_loaders", "customer_key"]
