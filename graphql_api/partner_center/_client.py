"""The Partner Center customers client: one shared connection pool, typed calls."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar
from urllib.parse import quote, urlencode

import httpx

from ._failures import http_error, is_end_of_list, response_ids
from ._filters import encode_filter
from ._httpx_wire import BodyLimits, Timeouts, Wire, as_wire, stock_wire, user_agent
from ._parsing import (
    MalformedBody,
    is_safe_link_header,
    page_reader,
    parse_billing_profile,
    parse_company_profile,
    parse_customer,
)
from ._paths import CUSTOMERS_PATH, normalise_next_uri
from ._responses import ERROR_BODY_LIMIT, RawResponse
from ._retry import attempts
from ._validation import (
    check_continuation_token,
    check_customer_id,
    check_page_size,
    is_header_value_safe,
)
from .acceptance import Acceptance, Admission
from .answer_cache import CachedAnswer
from .bucket import Share
from .cached_get import CachedGet
from .call import CallContext
from .deadline import Deadline
from .errors import (
    OperationDeadlineExceeded,
    PartnerCenterError,
    Throttled,
    UpstreamMalformedResponse,
    UpstreamTimeout,
)
from .fair_slots import FairSlots
from .models import (
    BillingProfile,
    CompanyProfile,
    Customer,
    CustomerFilter,
    CustomerPage,
    NextLink,
)
from .settings import UpstreamSettings
from .shared_state import SharedState
from .slow_calls import SlowCalls
from .tracing import TracedCall

logger = logging.getLogger("graphql_api.partner_center")

_MAX_AUTHORIZATION_LENGTH = 16 * 1024
_MAX_CORRELATION_ID_LENGTH = 128
_MAX_LOCALE_LENGTH = 35
_END_OF_LIST = CustomerPage(items=(), total_count=0)
# Route templates for metrics: never a customer id.
_LIST_ROUTE = CUSTOMERS_PATH
_CUSTOMER_ROUTE = f"{CUSTOMERS_PATH}/{{id}}"
# How long every caller holds off after a 429 that named no Retry-After.
_DEFAULT_THROTTLE_PAUSE = 1.0
_APPLICATION = "graphql_api"
_ACCEPT_ENCODING = ("Accept-Encoding", "gzip, deflate")
_VARIANT_DIGITS = "89ab"


def new_request_id() -> str:
    """A random (version 4) UUID in its canonical text form, for `MS-RequestId`.

    What `str(uuid.uuid4())` gives, from the same 16 random bytes, without building a UUID
    object and an int on the way: every call sends one.
    """
    digits = os.urandom(16).hex()
    # Version 4 in the 13th digit; RFC 4122's variant (binary 10xx) in the 17th.
    variant = _VARIANT_DIGITS[int(digits[16], 16) & 3]
    return (
        f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"
    )

T = TypeVar("T")


def _loop_time_of(deadline: float) -> float:
    """The event loop's time at `deadline`, a `time.monotonic()`."""
    return asyncio.get_running_loop().time() + (deadline - time.monotonic())


def _deadline_passed(call: CallContext, request_id: str | None) -> OperationDeadlineExceeded:
    """The failure of a call the operation's deadline ended (or never let start)."""
    sent = "before Partner Center answered" if request_id else "before this call was sent"
    return OperationDeadlineExceeded(
        f"the operation's deadline passed {sent}",
        correlation_id=call.correlation_id,
        request_id=request_id,
    )


class _EndOfList(Exception):
    """A seek ran past the last page (HTTP 400, code 2000): not a failure."""

    status = 400  # what a tracer is told this attempt was answered with


@dataclass(frozen=True, slots=True)
class _Answer:
    """A successful response with the ids to report if its body turns out unreadable."""

    response: RawResponse
    body: bytes
    correlation_id: str
    request_id: str

    def entry(self, stored_at: float) -> CachedAnswer:
        """This answer as a cache entry, fetched at `stored_at` (the cache's clock)."""
        return CachedAnswer(
            status=self.response.status,
            content_type=self.response.headers.get("Content-Type"),
            body=self.body,
            correlation_id=self.correlation_id,
            request_id=self.request_id,
            stored_at=stored_at,
        )

    @classmethod
    def of(cls, entry: CachedAnswer) -> _Answer:
        """A cache entry as an answer to parse."""
        headers = {"Content-Type": entry.content_type} if entry.content_type else {}
        response = RawResponse(entry.status, "OK", headers, entry.body)
        return cls(response, entry.body, entry.correlation_id, entry.request_id)

    @property
    def status(self) -> int:
        """The HTTP status answered."""
        return self.response.status


class PartnerCenterClient:
    """Async client for Partner Center's customers endpoints.

    Create one per process and share it: it owns one connection pool (httpx's own transport
    unless another wire or httpx transport is given; the app passes the speed layer's), a
    cap of `max_in_flight` concurrent requests (at most `max_in_flight_per_operation` of
    them for one operation, the rest shared in turn, see `FairSlots`), and the retry policy.
    Every method takes the operation's `CallContext` and validates its input before any
    request. With `sharing`, answers come from the cache or an identical call in flight when
    they can, and every request waits for the partner's call budget (see `SharedState`).

    Example:
        async with PartnerCenterClient(settings.upstream) as client:
            page = await client.list_customers(call, size=100)
            while page.continuation_token:
                page = await client.next_customers(call, page.continuation_token)
    """

    def __init__(
        self,
        settings: UpstreamSettings,
        *,
        transport: Wire | httpx.AsyncBaseTransport | None = None,
        sharing: SharedState | None = None,
    ) -> None:
        self._settings = settings
        self._sharing = sharing or SharedState()
        self._slots = FairSlots(settings.max_in_flight, settings.max_in_flight_per_operation)
        self._slow = SlowCalls(settings.slow_call_seconds, max(1, settings.max_in_flight // 2))
        self._in_flight = 0
        # Requests go straight to the wire: of httpx.AsyncClient's extras this client wants
        # none (no cookie jar, which would share one caller's cookies with the next; no
        # redirects; no auth flow), and skipping them saves CPU on every call.
        self._wire = as_wire(transport) if transport is not None else stock_wire(settings)
        # Sent with every request, before the call's own headers; the User-Agent names the
        # library that really sends (httpx, or httptools for the speed layer's wire).
        self._fixed_headers = (_ACCEPT_ENCODING, ("User-Agent", user_agent(self._wire)))
        self._base_url = httpx.URL(settings.base_url.rstrip("/") + "/")
        self._base = str(self._base_url)
        self._read_page = page_reader(self._base_url)
        self._timeouts = Timeouts(
            connect=settings.connect_timeout,
            # A wait between reads cannot outlast the attempt it is part of: when the read
            # timeout is no shorter than the attempt's (the defaults), the attempt's own
            # deadline always ends it first, so the wire gets none (a read timer is one more
            # timer an attempt).
            read=(
                None if settings.read_timeout >= settings.attempt_timeout
                else settings.read_timeout
            ),
            pool=settings.connect_timeout,
        )
        self._limits = BodyLimits(success=settings.max_response_bytes, other=ERROR_BODY_LIMIT)
        # The headers every call of the last operation seen starts with, checked once: an
        # operation's calls come in runs (a batch starts them together), and the checks of
        # the bearer token would otherwise run again on every call. Held weakly, so that a
        # finished operation's credentials are not kept alive by the client.
        self._last_call: weakref.ref[CallContext] | None = None
        self._last_call_headers: tuple[tuple[str, str], ...] = ()

    @property
    def slow_calls(self) -> SlowCalls:
        """The count of slow attempts now, and of those cut for being one too many."""
        return self._slow

    @property
    def calls_in_flight(self) -> int:
        """Requests being sent or read right now (back-off sleeps not counted)."""
        return self._in_flight

    async def aclose(self) -> None:
        """Close the connection pool (and the shared store's connections)."""
        await self._wire.aclose()
        await self._sharing.aclose()

    async def __aenter__(self) -> PartnerCenterClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def list_customers(
        self,
        call: CallContext,
        *,
        size: int = 500,
        search: CustomerFilter | None = None,
    ) -> CustomerPage:
        """The first page of customers, optionally filtered by a prefix search."""
        params = {"size": str(check_page_size(size))}
        if search is not None:
            params["filter"] = encode_filter(search)
        response = await self._get(call, CUSTOMERS_PATH, _LIST_ROUTE, params=params)
        return self._parse(response, self._read_page)

    async def next_customers(
        self,
        call: CallContext,
        continuation_token: str,
        *,
        size: int | None = None,
        search: CustomerFilter | None = None,
    ) -> CustomerPage:
        """The page after the one that gave `continuation_token`.

        The end of the list (HTTP 400 with code 2000) is an empty page without a token.
        Raises ContinuationTokenRejected when the token is refused: restart the walk.
        """
        token = check_continuation_token(continuation_token)
        params = {"seekOperation": "Next"}
        if size is not None:
            params["size"] = str(check_page_size(size))
        if search is not None:
            params["filter"] = encode_filter(search)
        try:
            response = await self._get(
                call,
                CUSTOMERS_PATH,
                _LIST_ROUTE,
                params=params,
                extra_headers=(("MS-ContinuationToken", token),),
                seek=True,
            )
        except _EndOfList:
            return _END_OF_LIST
        return self._parse(response, self._read_page)

    async def follow_next_link(self, call: CallContext, link: NextLink) -> CustomerPage:
        """The next page through `links.next`, replayed as given (uri normalised under /v1).

        Only a path on the configured base URL is followed (ValueError otherwise), and only
        its safe headers are copied. End of list and rejected tokens as in next_customers.
        """
        path = normalise_next_uri(link.uri, self._base_url)
        headers = tuple((k, v) for k, v in link.headers if is_safe_link_header(k, v))
        try:
            response = await self._get(
                call, path, _LIST_ROUTE, extra_headers=headers, seek=True
            )
        except _EndOfList:
            return _END_OF_LIST
        return self._parse(response, self._read_page)

    async def get_customer(self, call: CallContext, customer_id: str) -> Customer:
        """The full customer record, company and billing profiles inline."""
        path = f"{CUSTOMERS_PATH}/{check_customer_id(customer_id)}"
        response = await self._get(call, path, _CUSTOMER_ROUTE)
        return self._parse(response, parse_customer)

    async def get_company_profile(self, call: CallContext, customer_id: str) -> CompanyProfile:
        """The customer's company profile (Partner Center wants App+User credentials)."""
        path = f"{CUSTOMERS_PATH}/{check_customer_id(customer_id)}/profiles/company"
        response = await self._get(call, path, f"{_CUSTOMER_ROUTE}/profiles/company")
        return self._parse(response, parse_company_profile)

    async def get_billing_profile(self, call: CallContext, customer_id: str) -> BillingProfile:
        """The customer's billing profile."""
        path = f"{CUSTOMERS_PATH}/{check_customer_id(customer_id)}/profiles/billing"
        response = await self._get(call, path, f"{_CUSTOMER_ROUTE}/profiles/billing")
        return self._parse(response, parse_billing_profile)

    def _get(
        self,
        call: CallContext,
        path: str,
        route: str,
        *,
        params: Mapping[str, str] | None = None,
        extra_headers: Sequence[tuple[str, str]] = (),
        seek: bool = False,
    ) -> Awaitable[_Answer]:
        """One logical GET, answered by the cache or a call in flight when it can be.

        Not a coroutine itself: without the cache the call's own coroutine is returned, one
        level less for every resumption of the call to pass through.
        """
        answers = self._sharing.answers
        if answers is None or call.cache_scope is None:
            return self._call(call, path, params, extra_headers, seek)
        return self._shared_get(answers, call, path, route, params, extra_headers, seek)

    async def _shared_get(
        self,
        answers: CachedGet,
        call: CallContext,
        path: str,
        route: str,
        params: Mapping[str, str] | None,
        extra_headers: Sequence[tuple[str, str]],
        seek: bool,
    ) -> _Answer:
        """`_get` through the cache and the calls in flight."""

        async def fetch() -> CachedAnswer:
            answer = await self._call(call, path, params, extra_headers, seek)
            return answer.entry(answers.now())

        request = (path, tuple((params or {}).items()), tuple(extra_headers))
        if call.deadline is None:
            return _Answer.of(await answers.get(call, route, request, fetch))
        # Waiting for another operation's call (or another process's) ends with this one's
        # deadline too; the call it waits for goes on for its own operation.
        try:
            with Deadline(_loop_time_of(call.deadline)):
                return _Answer.of(await answers.get(call, route, request, fetch))
        except TimeoutError:
            raise _deadline_passed(call, None) from None

    async def _call(
        self,
        call: CallContext,
        path: str,
        params: Mapping[str, str] | None,
        extra_headers: Sequence[tuple[str, str]],
        seek: bool,
    ) -> _Answer:
        """One logical GET sent upstream, once Partner Center accepts its credential.

        Until it has, the credential's calls go one at a time and draw on the share of the
        unaccepted; once it has refused it, they fail without being sent (`Acceptance`).
        """
        acceptance = self._sharing.acceptance
        if acceptance is None:
            return await self._send(call, path, params, extra_headers, seek, self._share(call))
        credential = call.credential
        admission = acceptance.admit_at_once(credential)
        if admission is None:
            admission = await self._admitted(call, acceptance, credential)
        share = self._share(call, unaccepted=admission is not Admission.ACCEPTED)
        try:
            answer = await self._send(call, path, params, extra_headers, seek, share)
        except BaseException as failure:
            acceptance.settle(credential, admission, failure)
            raise
        acceptance.settle(credential, admission, None)
        return answer

    @staticmethod
    async def _admitted(
        call: CallContext, acceptance: Acceptance, credential: str
    ) -> Admission:
        """`acceptance.admit(credential)`, waited for no longer than the operation's deadline."""
        if call.deadline is None:
            return await acceptance.admit(credential)
        try:
            with Deadline(_loop_time_of(call.deadline)):
                return await acceptance.admit(credential)
        except TimeoutError:
            raise _deadline_passed(call, None) from None

    def _share(self, call: CallContext, *, unaccepted: bool = False) -> Share | None:
        """The share of the partner's bucket `call`'s requests draw on, if shares are kept."""
        gate = self._sharing.gate
        shares = None if gate is None else gate.shares
        if shares is None:
            return None
        if unaccepted:
            return shares.unaccepted()
        return None if call.caller is None else shares.of(call.caller)

    async def _send(
        self,
        call: CallContext,
        path: str,
        params: Mapping[str, str] | None,
        extra_headers: Sequence[tuple[str, str]],
        seek: bool,
        share: Share | None,
    ) -> _Answer:
        """One logical GET sent upstream: retried per policy, bounded in time as a whole (and
        by the operation's deadline, when it comes first)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        deadline = now + self._settings.call_timeout
        operation_ends = None
        if call.deadline is not None:
            operation_ends = _loop_time_of(call.deadline)
            if operation_ends <= now:
                raise _deadline_passed(call, None)  # before the budget: nothing is sent
            if operation_ends >= deadline:
                operation_ends = None  # the call's own bound comes first
            else:
                deadline = operation_ends
        if call.allowance is not None:
            call.allowance.spend()  # raises before anything is sent when the budget is spent
        # One MS-RequestId per logical call, reused by its retries: that is what it is for.
        request_id = new_request_id()
        headers = self._headers(call, request_id, extra_headers)

        def remaining() -> float:
            return deadline - loop.time()

        # Tracing follows each attempt (a span, a `traceparent` of its own); off, it costs
        # a None test.
        traced = None if call.tracer is None else TracedCall(call.tracer, path)

        async def attempt_once() -> _Answer:
            if traced is None:
                answer = await self._attempt(
                    path, params, headers, call.correlation_id, request_id, seek, share
                )
            else:
                answer = await traced.attempt(
                    headers,
                    lambda sent: self._attempt(
                        path, params, sent, call.correlation_id, request_id, seek, share
                    ),
                )
            if call.allowance is not None:
                call.allowance.answered += 1
            return answer

        # The failure that led to the back-off the deadline cut short, kept as the cause.
        last_failure: PartnerCenterError | None = None
        try:
            with Deadline(deadline):
                # The first attempt runs outside stamina: setting up its retry context costs
                # about as much CPU as a pooled request itself, and most calls succeed at
                # once. A failure is replayed as stamina's first attempt, so the policy,
                # waits and retry hooks are exactly those of a call made under stamina.
                try:
                    if traced is not None:
                        return await attempt_once()
                    # attempt_once's work, without a coroutine of its own for the usual case.
                    answer = await self._attempt(
                        path, params, headers, call.correlation_id, request_id, seek, share
                    )
                    if call.allowance is not None:
                        call.allowance.answered += 1
                    return answer
                except PartnerCenterError as failure:
                    last_failure = first_failure = failure
                replayed = False
                async for attempt in attempts(self._settings, remaining):
                    with attempt:
                        if not replayed:
                            replayed = True
                            raise first_failure
                        try:
                            return await attempt_once()
                        except PartnerCenterError as failure:
                            last_failure = failure
                            raise
        except TimeoutError:
            if operation_ends is not None:
                raise _deadline_passed(call, request_id) from last_failure
            raise UpstreamTimeout(
                f"Partner Center call exceeded {self._settings.call_timeout:g}s",
                correlation_id=call.correlation_id,
                request_id=request_id,
            ) from last_failure
        raise AssertionError("stamina ended without an outcome")  # pragma: no cover

    async def _attempt(
        self,
        path: str,
        params: Mapping[str, str] | None,
        headers: Sequence[tuple[str, str]],
        correlation_id: str,
        request_id: str,
        seek: bool,
        share: Share | None = None,
    ) -> _Answer:
        """One HTTP exchange under the in-flight cap (held for this attempt only).

        The operation is known by its correlation id, which all of its calls share. Each
        attempt spends the partner's budget first (Partner Center counts retries too), before
        it takes a slot, so that waiting for the budget holds no slot.
        """
        gate = self._sharing.gate
        if gate is not None:
            await gate.acquire(share)
        slots = self._slots
        if not slots.try_acquire(correlation_id):
            await slots.wait_for_slot(correlation_id)
        self._in_flight += 1
        watch = self._slow.watch(self._settings.attempt_timeout)
        try:
            try:
                response = await self._wire.get(
                    self._url(path, params),
                    [*self._fixed_headers, *headers],
                    timeouts=self._timeouts,
                    limits=self._limits,
                )
            except asyncio.CancelledError:
                if not watch.ended_it():
                    raise
                raise TimeoutError from None
            finally:
                watch.done()
        except TimeoutError:
            # The attempt's own window (the call's deadline cancels, it does not time out here).
            reason = (
                f"one of too many answers slower than {self._slow.after:g}s"
                if watch.cut
                else f"no whole answer within {self._settings.attempt_timeout:g}s"
            )
            raise UpstreamTimeout(
                f"Partner Center call attempt ended: {reason}",
                correlation_id=correlation_id,
                request_id=request_id,
            ) from None
        except PartnerCenterError as unsent:
            # The wire raised it in the client's words already; only the call's ids, which
            # the wire does not know, are added here.
            unsent.correlation_id = unsent.correlation_id or correlation_id
            unsent.request_id = unsent.request_id or request_id
            raise
        finally:
            self._in_flight -= 1
            slots.release(correlation_id)
        echoed_correlation, echoed_request = response_ids(
            response, sent_request_id=request_id, sent_correlation_id=correlation_id
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "GET %s -> %d (MS-RequestId %s)",
                path,
                response.status,
                request_id,
                extra={"correlation_id": correlation_id},
            )
        if not 200 <= response.status < 300:
            if seek and is_end_of_list(response):
                raise _EndOfList
            failure = http_error(
                response,
                correlation_id=echoed_correlation,
                request_id=echoed_request,
                seek=seek,
            )
            if isinstance(failure, Throttled) and gate is not None:
                # The budget is the partner's: every caller holds off, not only this one.
                await gate.pause(failure.retry_after or _DEFAULT_THROTTLE_PAUSE)
            raise failure
        if response.body is None:
            raise UpstreamMalformedResponse(
                "Partner Center response exceeded "
                f"{self._settings.max_response_bytes} bytes",
                status=response.status,
                correlation_id=echoed_correlation,
                request_id=echoed_request,
            )
        return _Answer(response, response.body, echoed_correlation, echoed_request)

    def _url(self, path: str, params: Mapping[str, str] | None) -> str:
        """`path` (which may carry its query) under the base URL, with `params` appended."""
        url = f"{self._base}{path.lstrip('/')}"
        if params:
            url += ("&" if "?" in path else "?") + urlencode(params, quote_via=quote)
        return url

    def _headers(
        self, call: CallContext, request_id: str, extra: Sequence[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """Headers for every call; raises ValueError (never echoing the value) when unsafe."""
        last = self._last_call
        if last is not None and last() is call:
            common = self._last_call_headers
        else:
            common = self._call_headers(call)
            self._last_call, self._last_call_headers = weakref.ref(call), common
        headers = [
            ("Authorization", call.authorization),
            ("Accept", "application/json"),
            ("MS-RequestId", request_id),
            *common,
        ]
        headers.extend(extra)
        return headers

    @staticmethod
    def _call_headers(call: CallContext) -> tuple[tuple[str, str], ...]:
        """The checked headers `call` gives all of its requests, after `MS-RequestId`."""
        if not is_header_value_safe(call.authorization, max_length=_MAX_AUTHORIZATION_LENGTH):
            raise ValueError("authorization must be a single-line printable ASCII header value")
        if not is_header_value_safe(call.correlation_id, max_length=_MAX_CORRELATION_ID_LENGTH):
            raise ValueError("correlation id must be a short printable ASCII header value")
        common: tuple[tuple[str, str], ...] = (
            ("MS-CorrelationId", call.correlation_id),
            ("MS-PartnerCenter-Application", _APPLICATION),
        )
        # Localised messages are a nicety: an unusable locale is left out, not an error.
        if call.locale and is_header_value_safe(call.locale, max_length=_MAX_LOCALE_LENGTH):
            common += (("X-Locale", call.locale),)
        return common

    def _parse(self, answer: _Answer, parse: Callable[[bytes, str | None], T]) -> T:
        """Read a success body with `parse`; unreadable becomes UpstreamMalformedResponse."""
        try:
            return parse(answer.body, answer.response.headers.get("Content-Type"))
        except MalformedBody as exc:
            raise UpstreamMalformedResponse(
                f"Partner Center sent an unreadable response: {exc}",
                status=answer.response.status,
                correlation_id=answer.correlation_id,
                request_id=answer.request_id,
            ) from None
