"""Query arguments: the search input, and the checks every argument passes before any call."""

from __future__ import annotations

from enum import Enum

import strawberry
from graphql import GraphQLError

from ..config import SchemaSettings
from ..partner_center import MAX_FILTER_VALUE_LENGTH, CustomerFilter, is_guid
from ..partner_center import CustomerSearchField as RestSearchField
from .cursors import Cursor, CursorCodec, InvalidCursor
from .errors import bad_user_input


@strawberry.enum(description="The customer fields Partner Center can search by prefix.")
class CustomerSearchField(Enum):
    """`CustomerSearchField` of the REST API."""

    COMPANY_NAME = strawberry.enum_value("CompanyName", description="The company's name.")
    DOMAIN = strawberry.enum_value("Domain", description="The customer's domain.")
    INDIRECT_RESELLER = strawberry.enum_value(
        "IndirectReseller", description="The tenant id of the customer's indirect reseller."
    )
    INDIRECT_CLOUD_SOLUTION_PROVIDER = strawberry.enum_value(
        "IndirectCloudSolutionProvider",
        description="The tenant id of the customer's indirect cloud solution provider.",
    )


@strawberry.input(
    description="A prefix search: Partner Center's only search for customers. The case of "
    "the value is ignored."
)
class CustomerSearch:
    """`filter` of the REST API, with its only operator, `starts_with`."""

    field: CustomerSearchField = strawberry.field(description="The field to search.")
    starts_with: str = strawberry.field(
        description=f"The prefix to look for: 1 to {MAX_FILTER_VALUE_LENGTH} characters."
    )


def page_size(first: int | None, settings: SchemaSettings) -> int:
    """`first`, or the default when absent; BAD_USER_INPUT outside 0..max."""
    if first is None:
        return settings.customers_default_page_size
    if not 0 <= first <= settings.customers_max_page_size:
        raise bad_user_input(
            f"first must be between 0 and {settings.customers_max_page_size}, got {first}.",
            argument="first",
        )
    return first


def search_filter(search: CustomerSearch | None) -> CustomerFilter | None:
    """The REST filter of `search`; BAD_USER_INPUT for a prefix Partner Center cannot take."""
    if search is None:
        return None
    value = search.starts_with
    if not 1 <= len(value) <= MAX_FILTER_VALUE_LENGTH:
        raise bad_user_input(
            f"search.startsWith must be 1 to {MAX_FILTER_VALUE_LENGTH} characters long.",
            argument="search",
        )
    if not value.isprintable():
        raise bad_user_input(
            "search.startsWith must not contain control characters.", argument="search"
        )
    return CustomerFilter(field=RestSearchField[search.field.name], value=value)


def customer_id(value: str) -> str:
    """`value` if it is a customer id (a tenant GUID); BAD_USER_INPUT otherwise."""
    if not is_guid(value):
        raise bad_user_input(
            "id must be a Partner Center customer id: a GUID like "
            "00000000-0000-0000-0000-000000000000.",
            argument="id",
        )
    return value


def start_position(
    after: str | None,
    *,
    first: int,
    search: CustomerFilter | None,
    settings: SchemaSettings,
) -> Cursor:
    """Where a `customers` page starts: the decoded `after`, or the first upstream page.

    A fresh walk asks Partner Center for min(first, UPSTREAM_PAGE_SIZE) items per page, so
    that a steady `first` costs one upstream call per page of the walk.
    """
    if after is None:
        size = max(1, min(first, settings.upstream_page_size))
        return Cursor(token=None, offset=0, page_size=size, search=search)
    try:
        cursor = CursorCodec(settings.cursor_key).decode(after)
    except InvalidCursor as exc:
        raise _bad_cursor(f"after is not a valid cursor: {exc}.") from None
    if cursor.search != search:
        raise _bad_cursor("after is a cursor of another search; pass the same search with it.")
    return cursor


def _bad_cursor(message: str) -> GraphQLError:
    return bad_user_input(message, argument="after")


__all__ = [
    "CustomerSearch",
    "CustomerSearchField",
    "customer_id",
    "page_size",
    "search_filter",
    "start_position",
]
