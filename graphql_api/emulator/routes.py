"""Handlers of the Partner Center customer routes, after auth, throttling and faults passed.

Each handler takes the live `Emulator`, the request and the caller's `Principal`, and
returns a response or raises `RequestRejected`. Behaviours the sources leave open, and
the choice made for each:

* a seek request reads offset, size and filter from its token; `size` and `filter` on the
  seek request itself are ignored (the SDK sends neither, the NCE tool repeats `size`);
* a seek without an `MS-ContinuationToken` header, or with a garbled, tampered or foreign
  token, is 400 / 800002 "Invalid continuation token"; an expired one is 400 / 800002
  with the description "Continuation token has expired" (one code, since no source shows
  a dedicated one, and a client should treat any such 4xx as a stale cursor);
* a seek at or past the end of the list is 400 / 2000, as Microsoft's NCE tool observed;
  normally the last page carries no token, so only `end_with_seek_error` (a full last page
  with a token) or a changed knob leads there;
* an id that is not a GUID is 400 / 900118; a GUID of no customer is 404 / 60003.
"""

from __future__ import annotations

import json
import re

from starlette.requests import Request
from starlette.responses import Response

from graphql_api.emulator import errors, shapes
from graphql_api.emulator.config import Principal
from graphql_api.emulator.data import Customer
from graphql_api.emulator.errors import RequestRejected
from graphql_api.emulator.query import Filter, check_seek, parse_filter, parse_size
from graphql_api.emulator.state import Emulator
from graphql_api.emulator.tokens import ExpiredToken, InvalidToken, PageState

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def seek_param(request: Request) -> str | None:
    """The `seekOperation` query value; the parameter name is matched case-insensitively."""
    for key, value in request.query_params.multi_items():
        if key.lower() == "seekoperation":
            return value
    return None


def _filter_json(field: str | None, value: str | None) -> str | None:
    if field is None:
        return None
    return json.dumps({"Field": field, "Value": value, "Operator": "starts_with"},
                      ensure_ascii=False)


def _seek_state(em: Emulator, request: Request, operation: str) -> PageState:
    check_seek(operation)
    token = request.headers.get("ms-continuationtoken", "").strip()
    if not token:
        raise RequestRejected(400, errors.INVALID_INPUT, "Invalid continuation token: the "
                              "MS-ContinuationToken header is required for a seek operation")
    try:
        return em.tokens.read(token, now=em.clock(), ttl_seconds=em.config.token_ttl_seconds)
    except ExpiredToken:
        raise RequestRejected(400, errors.INVALID_INPUT,
                              "Continuation token has expired") from None
    except InvalidToken:
        raise RequestRejected(400, errors.INVALID_INPUT, "Invalid continuation token") from None


def list_customers(em: Emulator, request: Request, principal: Principal) -> Response:
    """`GET /v1/customers`: a first page (size, filter) or the next one (seek + token)."""
    config = em.config
    operation = seek_param(request)
    if operation is not None:
        state = _seek_state(em, request, operation)
        offset, size, field, value = state.offset, state.size, state.field, state.value
    else:
        size = parse_size(request.query_params.get("size"))
        search: Filter | None = parse_filter(request.query_params.get("filter"))
        offset = 0
        field, value = (search.field, search.value) if search else (None, None)
    matches = em.search.select(field, value)
    if operation is not None and offset >= len(matches):
        raise RequestRejected(400, errors.END_OF_LIST, "No more items: the end of the list "
                              "was reached")
    page = matches[offset : offset + size]
    following = offset + len(page)
    more = following < len(matches) or (config.end_with_seek_error and len(page) == size)
    token = None
    if more:
        token = em.tokens.issue(PageState(following, size, field, value, em.clock()))
    style = config.next_link_style
    filter_json = _filter_json(field, value)
    body = shapes.collection(
        [shapes.list_item(customer, style) for customer in page],
        self_uri=shapes.list_uri(style, size, filter_json, seek=operation is not None),
        next_uri=shapes.list_uri(style, size, filter_json, seek=True),
        token=token,
    )
    return errors.json_response(200, body, bom=config.bom)


def find_customer(em: Emulator, request: Request) -> Customer:
    """The customer named by the `{customer_id}` path parameter, or RequestRejected."""
    raw = str(request.path_params["customer_id"])
    if not _GUID.match(raw):
        raise RequestRejected(400, errors.INVALID_CUSTOMER_ID, "Invalid Customer Id")
    customer = em.customers.get(raw.lower())
    if customer is None:
        raise RequestRejected(404, errors.TENANT_NOT_FOUND, "Tenant not found")
    return customer


def get_customer(em: Emulator, request: Request, principal: Principal) -> Response:
    """`GET /v1/customers/{id}`: the full record, both profiles inline."""
    customer = find_customer(em, request)
    body = shapes.full_customer(customer, em.config.next_link_style)
    return errors.json_response(200, body, bom=em.config.bom)


def get_company_profile(em: Emulator, request: Request, principal: Principal) -> Response:
    """`GET /v1/customers/{id}/profiles/company` (App+User only upstream)."""
    customer = find_customer(em, request)
    if principal.app_only:
        raise RequestRejected(403, errors.APP_ONLY_NOT_SUPPORTED,
                              "Resource doesn't support application-only authentication")
    body = shapes.company_profile(customer, em.config.next_link_style, full=True)
    return errors.json_response(200, body, bom=em.config.bom)


def get_billing_profile(em: Emulator, request: Request, principal: Principal) -> Response:
    """`GET /v1/customers/{id}/profiles/billing`."""
    customer = find_customer(em, request)
    body = shapes.billing_profile(customer, em.config.next_link_style)
    return errors.json_response(200, body, bom=em.config.bom)


__all__ = [
    "find_customer",
    "get_billing_profile",
    "get_company_profile",
    "get_customer",
    "list_customers",
    "seek_param",
]
