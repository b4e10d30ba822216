"""Per-request DataLoaders: each customer page, record or profile fetched at most once per request.

Partner Center has no bulk endpoint, so batching means de-duplicating keys and running one
batch's calls concurrently (the client's in-flight cap bounds them). Three routes reach a
customer's data, and each costs one call:

- a list page carries summaries: id, relationship and a minimal company profile (tenant id,
  domain, company name);
- `GET /v1/customers/{id}` carries the full record with *both* profiles inline;
- `GET /v1/customers/{id}/profiles/billing` carries the billing profile alone.

The plan, fewest calls first, per customer and per request:

- What a list page carries costs nothing more: the page's items are remembered, so summary
  fields cost no call, nor does `customer(id)` for a customer listed in the same request
  (it waits for the request's list pages in flight before deciding). Identical pages asked
  twice in one request (two aliases of one list) are fetched once.
- The full record is loaded once a field needs it (`customer`); it primes `company_profile`
  and `billing_profile`, so asking for them next costs nothing.
- `company_profile` is always served from the full record: that route works with app-only
  tokens, where `/profiles/company` wants App+User, and the same call serves every other
  field of the customer.
- `billing_profile` reads the full record when the operation needs that record anyway,
  else calls `/profiles/billing`. Whether the operation needs it is not left to the order
  in which resolvers happen to run: the schema reads each customer field's selection set
  once (`schema/planning.py`) and tells the loaders, before any profile is asked for, which
  customers' full records the request will load (`expect_full`, and `known_customer`'s
  `needs_full`). Billing batches wait for those decisions (`planning`): billing alone is
  one billing call per customer; billing with any field only the full record has is one
  get-by-id per customer and no billing call; summary fields alone cost no call at all.

A failure for one key (404, 403, 429...) is returned for that key only: that field is null
with its error, every other key's value still arrives. Loaders return REST records
(`partner_center.models`), never GraphQL types, and know nothing of GraphQL. Keys are
customer ids, case-insensitive.

`max_batch_size` is aiodataloader's: it splits the keys gathered in one tick into chunks,
which aiodataloader dispatches all at once (each chunk its own task). With no bulk endpoint
a chunk is only a group of concurrent calls, so the setting changes neither how many calls
are made nor how many run at once; the client's in-flight cap decides that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from aiodataloader import DataLoader

from ..observability import Spans, started_batch, traced_batch
from ..partner_center import (
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

# (continuation token or None for the first page, page size, search): one upstream page.
PageKey = tuple[str | None, int, CustomerFilter | None]
# Whether serving an operation's fields from this list summary takes the full record.
NeedsFull = Callable[[Customer], bool]


# The loader key of a customer id: GUIDs compare case-insensitively. `str.lower` itself
# rather than a function calling it: a billing profile's keys are looked up five times.
customer_key: Callable[[str], str] = str.lower


class _Loader(DataLoader[str, V]):
    """A DataLoader keyed by customer id, that can tell whether a key was asked for already."""

    def __init__(
        self,
        batch_load_fn: Callable[[list[str]], Coroutine[Any, Any, list[V]]],
        *,
        max_batch_size: int,
    ) -> None:
        # The loader's cache, held here too (DataLoader's public `cache_map`), so that it can
        # be asked whether a key is known and given a call started outside a batch.
        self._futures: dict[str, asyncio.Future[V]] = {}
        super().__init__(
            batch_load_fn,
            max_batch_size=max_batch_size,
            get_cache_key=customer_key,
            cache_map=self._futures,
            loop=asyncio.get_running_loop(),
        )

    def has(self, key: str) -> bool:
        """True when `key` is loaded, loading, or primed in this request."""
        return customer_key(key) in self._futures

    def hold(self, key: str, loading: asyncio.Future[V]) -> None:
        """Cache `loading` as `key`'s value, as `load` would cache its own future.

        For calls started outside a batch: `load(key)` then returns `loading`, and no batch
        asks for the key again. aiodataloader's `prime` takes only finished values.
        """
        self._futures[customer_key(key)] = loading


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


def _read_outcome(call: asyncio.Future[Any]) -> None:
    if not call.cancelled():
        call.exception()


async def _until_empty(pending: Callable[[], set[asyncio.Future[None]]]) -> None:
    """Wait until `pending()` is empty; what finishes may register more before it ends."""
    while waiting := pending():
        await asyncio.wait(list(waiting))


class Loaders:
    """The loaders of one request, bound to its client and call context."""

    def __init__(
        self,
        client: PartnerCenterClient,
        call: CallContext,
        *,
        max_batch_size: int,
        spans: Spans | None = None,
    ) -> None:
        self._client = client
        self._call = call
        self._spans = spans
        # The pages read in this request, indexed by customer only when a customer is looked
        # up (most requests never do, and a page would pay a key per item for nothing).
        self._pages_read: list[CustomerPage] = []
        self._summaries: dict[str, Customer] = {}
        self._pages_indexed = 0
        # Customers whose full record this request will load (their billing comes with it).
        self._full_expected: set[str] = set()
        # List pages on their way, and plans not yet told to the loaders: billing waits.
        self._pages_in_flight: set[asyncio.Future[None]] = set()
        self._planners: set[asyncio.Future[None]] = set()
        # Pages are not batched (no bulk route), only shared: the first asker of a page
        # calls inline, later askers of the same page await its outcome. No DataLoader
        # here: its dispatch (a scheduled task, a gather, a task per key) cost eight loop
        # turns around every list call (bench scenario 1).
        self._page_calls: dict[PageKey, asyncio.Future[CustomerPage]] = {}
        # The calls this request started and has not seen end: cancelled on `release`, when
        # nobody in the request awaits them any more (its client left mid-stream, or their
        # fields were never resolved).
        self._calls: set[asyncio.Future[Any]] = set()
        # Each batch is a span of its own when the operation is traced.
        self.customer: _Loader[Customer] = _Loader(
            traced_batch(spans, "customer", self._load_customers), max_batch_size=max_batch_size
        )
        self.company_profile: _Loader[CompanyProfile | None] = _Loader(
            traced_batch(spans, "company_profile", self._load_company_profiles),
            max_batch_size=max_batch_size,
        )
        self.billing_profile: _Loader[BillingProfile] = _Loader(
            traced_batch(spans, "billing_profile", self._load_billing_profiles),
            max_batch_size=max_batch_size,
        )

    async def page(
        self, *, token: str | None, size: int, search: CustomerFilter | None
    ) -> CustomerPage:
        """One upstream page of customers (the first when `token` is None); remembers its items.

        The same page asked twice in this request is fetched once.
        """
        # Registered before the first await, so that `known_customer` in a sibling field
        # knows a page that may hold its customer is on its way.
        with self._registered(self._pages_in_flight):
            page = await self._shared_page((token, size, search))
            self._pages_read.append(page)
            return page

    def summary(self, customer_id: str) -> Customer | None:
        """The list item seen for `customer_id` in this request, if any (the first seen)."""
        while self._pages_indexed < len(self._pages_read):
            for item in self._pages_read[self._pages_indexed].items:
                self._summaries.setdefault(customer_key(item.id), item)
            self._pages_indexed += 1
        return self._summaries.get(customer_key(customer_id))

    async def known_customer(
        self, customer_id: str, *, needs_full: NeedsFull | None = None
    ) -> Customer:
        """The customer as cheaply as possible: its list summary if seen, else the full record.

        List pages being fetched in this request are waited for first (their failures are
        theirs to report): `customer(id)` beside `customers` then costs no call of its own.
        `needs_full(summary)` True means the operation asks this customer for more than its
        summary holds: the full record is returned (and serves its billing profile too).
        """
        with self._registered(self._planners):
            # One turn of the loop lets sibling root fields, resolved concurrently, start theirs.
            await asyncio.sleep(0)
            await _until_empty(lambda: self._pages_in_flight)
            summary = self.summary(customer_id)
            if summary is not None and (needs_full is None or not needs_full(summary)):
                return summary
            # Asked before the plan is released, so that billing batches see it is loading.
            loading = self.customer.load(customer_id)
        return await loading

    def expect_full(self, customer_ids: Iterable[str]) -> None:
        """Note that this request will load these customers' full records.

        Their billing profiles are then read from those records instead of costing a call.
        """
        self._full_expected.update(customer_key(i) for i in customer_ids)

    def start_calls(self, *, full: Iterable[str] = (), billing: Iterable[str] = ()) -> bool:
        """Start these full records and billing profiles now, ahead of their fields.

        For a list page once its plan is known: `full`, the customers whose full record the
        operation needs; `billing`, the others it asks billing of. GraphQL reaches the items'
        fields only after walking the whole page, and aiodataloader
        dispatches their batch a few loop turns after that: started here, the first calls
        leave before the walk. The calls are those the batches would make (a customer whose
        full record is expected or loading gets no billing call: the record carries it), and
        a failure is still its key's alone. Returns False, starting nothing, while a sibling
        field is still deciding (a list page in flight or a plan not yet told), since its
        decision may make some of these calls unnecessary: the fields' own batches then
        wait for it as usual.
        """
        if self._pages_in_flight or self._planners:
            return False
        # Each group started is a batch (and a span when traced), as its loader's would be.
        records = list(full)
        if records:
            with started_batch(self._spans, "customer") as batch:
                for customer_id in records:
                    self._start(self.customer, customer_id, self._fetch_customer, batch.hold)
        profiles = [i for i in billing if not self._full_record_serves(i)]
        if profiles:
            with started_batch(self._spans, "billing_profile") as batch:
                for customer_id in profiles:
                    self._start(
                        self.billing_profile, customer_id, self._fetch_billing_profile, batch.hold
                    )
        return True

    def _full_record_serves(self, customer_id: str) -> bool:
        """True when the customer's full record is expected or loading: it carries billing."""
        return customer_key(customer_id) in self._full_expected or self.customer.has(customer_id)

    async def full_records(self, customer_ids: Iterable[str]) -> dict[str, Customer]:
        """The full records of these customers that load, by id; those that fail are left
        out, for the fields that need them to report (their loader keeps the failure)."""
        ids = list(customer_ids)
        loaded = await asyncio.gather(
            *(self.customer.load(customer_id) for customer_id in ids), return_exceptions=True
        )
        return {
            customer_id: record
            for customer_id, record in zip(ids, loaded, strict=True)
            if isinstance(record, Customer)
        }

    def _start(
        self,
        loader: _Loader[V],
        customer_id: str,
        fetch: Callable[[str], Awaitable[V]],
        started: Callable[[asyncio.Future[Any]], None],
    ) -> None:
        if loader.has(customer_id):
            return
        call = self._owned(fetch(customer_id))
        # A field that is never resolved (its parent failed) leaves the outcome unread;
        # reading it here keeps asyncio from logging it as lost.
        call.add_done_callback(_read_outcome)
        loader.hold(customer_id, call)
        started(call)

    def _owned(self, work: Awaitable[V]) -> asyncio.Future[V]:
        """`work` as a task of this request's, cancelled by `release` if still running."""
        call = asyncio.ensure_future(work)
        self._calls.add(call)
        call.add_done_callback(self._calls.discard)
        return call

    def release(self) -> None:
        """Drop every record, page and call this request's loaders hold; once it is answered.

        The loaders and this object refer to each other (each loader's batch function is a
        method here), so what they hold would otherwise wait for the cyclic collector: a
        page of billing profiles leaves a hundred finished calls (task, coroutine, context)
        behind, and the collector's passes over them cost more than the request's own
        allocations. Released, they go when the last reference does.
        """
        for loader in (self.customer, self.company_profile, self.billing_profile):
            loader.clear_all()
        self._page_calls.clear()
        self._pages_read.clear()
        self._summaries.clear()
        self._pages_indexed = 0

    @contextmanager
    def planning(self) -> Iterator[None]:
        """While open, billing batches wait: the caller is about to `expect_full` some ids.

        Open it before the first await of the work that decides (e.g. reading a list
        window), so that no billing batch of a sibling field decides without it.
        """
        with self._registered(self._planners):
            yield

    @contextmanager
    def _registered(self, pending: set[asyncio.Future[None]]) -> Iterator[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pending.add(done)
        try:
            yield
        finally:
            pending.discard(done)
            done.set_result(None)

    async def _shared_page(self, key: PageKey) -> CustomerPage:
        """The page of `key`, called once per request however many fields ask for it."""
        shared = self._page_calls.get(key)
        if shared is not None:
            # Shielded: a field cancelled while it waits does not cancel the call for others.
            return await asyncio.shield(shared)
        shared = asyncio.get_running_loop().create_future()
        self._page_calls[key] = shared
        try:
            page = await self._fetch_page(key)
        except BaseException as exc:
            if isinstance(exc, Exception):
                shared.set_exception(exc)
                shared.exception()  # read: asyncio need not log it when nobody else asks
            else:  # cancelled: later askers may ask again
                del self._page_calls[key]
                shared.cancel()
            raise
        shared.set_result(page)
        return page

    async def _fetch_page(self, key: PageKey) -> CustomerPage:
        token, size, search = key
        if token is None:
            return await self._client.list_customers(self._call, size=size, search=search)
        # The token carries the query; the size is repeated as `links.next` does.
        return await self._client.next_customers(self._call, token, size=size)

    async def _load_customers(self, ids: list[str]) -> list[Customer]:
        return await _settle([self._owned(self._fetch_customer(i)) for i in ids])

    async def _fetch_customer(self, customer_id: str) -> Customer:
        record = await self._client.get_customer(self._call, customer_id)
        # The full record carries both profiles: later asks for them cost nothing.
        if record.company_profile is not None:
            self.company_profile.prime(record.id, record.company_profile)
        if record.billing_profile is not None:
            self.billing_profile.prime(record.id, record.billing_profile)
        return record

    def _fetch_billing_profile(self, customer_id: str) -> Awaitable[BillingProfile]:
        # The client's coroutine itself, not one awaiting it: a hundred of these per page.
        return self._client.get_billing_profile(self._call, customer_id)

    async def _load_company_profiles(self, ids: list[str]) -> list[CompanyProfile | None]:
        async def one(customer_id: str) -> CompanyProfile | None:
            return (await self.customer.load(customer_id)).company_profile

        return await _settle([one(i) for i in ids])

    async def _load_billing_profiles(self, ids: list[str]) -> list[BillingProfile]:
        # Sibling fields may still be deciding to load some of these full records: the
        # billing route would then be a second call for the same customer.
        await _until_empty(lambda: self._pages_in_flight | self._planners)

        async def one(customer_id: str) -> BillingProfile:
            if self._full_record_serves(customer_id):
                record = await self.customer.load(customer_id)
                if record.billing_profile is not None:
                    return record.billing_profile
            return await self._fetch_billing_profile(customer_id)

        return await _settle([self._owned(one(i)) for i in ids])


def create_loaders(
    client: PartnerCenterClient,
    call: CallContext,
    *,
    max_batch_size: int,
    spans: Spans | None = None,
) -> Loaders:
    """Fresh loaders for one request; call from inside the request's event loop.

    With `spans` (the operation is traced), each batch is a span of its own.
    """
    return Loaders(client, call, max_batch_size=max_batch_size, spans=spans)


__all__ = ["Loaders", "NeedsFull", "PageKey", "create_loaders", "customer_key"]
