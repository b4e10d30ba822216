"""The GraphQL schema: Strawberry types and resolvers over the request's loaders; no HTTP here.

Example:
    schema = create_schema(settings)
    result = await schema.execute("{ customers(first: 5) { nodes { id } } }",
                                  context_value=build_request_context(client=..., ...))
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from ..config import Settings
from ..speed import Piece
from ..speed.executor import LeanExecutionContext, use_direct_resolvers
from .connection import CustomerConnection, CustomerEdge, PageInfo
from .customer import Customer, RelationshipToPartner
from .errors import ErrorCode
from .inputs import CustomerSearch, CustomerSearchField
from .masking import TypedErrors
from .node import Node
from .profiles import Address, BillingProfile, CompanyProfile
from .query import Query


class CustomersSchema(strawberry.federation.Schema):
    """The federation 2 schema of this subgraph."""

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        # Strawberry logs every error with its stack trace; TypedErrors logs one safe line
        # per error instead (no stack, no message of an unexpected exception).
        return



def create_schema(settings: Settings, **options: Any) -> CustomersSchema:
    """The schema for `settings`; `options` go to strawberry.federation.Schema (extensions...).

    TypedErrors runs innermost, so extensions passed in `options` see typed errors.
    """
    extensions = [*options.pop("extensions", ()), TypedErrors]
    # `@defer` and `@stream` (graphql-core 3.3's incremental executor): the HTTP layer
    # negotiates how the parts are delivered. Other settings reach resolvers through the
    # request context.
    options.setdefault("config", StrawberryConfig(enable_experimental_incremental_execution=True))
    lean_executor = settings.speed.is_on(Piece.EXECUTOR)
    if lean_executor:
        options.setdefault("execution_context_class", LeanExecutionContext)
    schema = CustomersSchema(query=Query, types=[Customer], extensions=extensions, **options)
    if lean_executor:
        use_direct_resolvers(schema)
    return schema


def print_sdl(schema: strawberry.Schema) -> str:
    """The schema's SDL, as `graphql-api schema` prints it and schema.graphql holds it."""
    return schema.as_str().rstrip("\n") + "\n"


__all__ = [
    "Address",
    "BillingProfile",
    "CompanyProfile",
    "Customer",
    "CustomerConnection",
    "CustomerEdge",
    "CustomerSearch",
    "CustomerSearchField",
    "CustomersSchema",
    "ErrorCode",
    "Node",
    "PageInfo",
    "Query",
    "RelationshipToPartner",
    "create_schema",
    "print_sdl",
]
