"""Strawberry extensions that bound what one GraphQL document may cost, plus parse/validate caches
(one byte-bounded `DocumentCache`, see document_cache.py).

Limits (each rejects the document before any resolver runs, as a GraphQL error):
- tokens: parsing stops past `max_tokens` (a parse error, so nothing big is ever built);
- shape: depth, aliases, fragments, spreads, selections per set and field merges, measured
  in one linear pass before graphql-core's rules run (document_shape.py), so a document built
  to make validation slow is refused for what it weighs in text;
- upstream calls: an operation estimated over `max_upstream_calls` is refused before any
  call (schema/estimate.py);
- introspection: refused when switched off (`__typename` stays allowed), and validation errors
  then carry no "Did you mean ..." suggestions, which would spell the schema out field by field;
  federation's `_service { sdl }` then answers only callers that passed authentication.

The validation rules are built once per app and shared by the per-request extension
instances, so that the validation outcomes, kept per rule set, actually hit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    NoSchemaIntrospectionCustomRule,
    SelectionSetNode,
    get_operation_ast,
    validate,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
)

from .._compat import (
    MaybeNullValidationRule,
    OneOfInputValidationRule,
    graphql_core_schema,
    validate_document,
)
from ..config import ServerSettings
from ..schema.context import RequestContext
from ..schema.errors import ErrorCode
from ..schema.estimate import UpstreamEstimate
from .document_cache import DocumentCache, Rules
from .document_shape import ShapeBounds, shape_errors
from .prepared import PreparedDocuments, PreparedParser, PreparedValidation

# Distinct documents kept parsed and validated per process (GRAPHQL_DOCUMENT_CACHE_BYTES
# bounds what they hold): unique query texts cannot grow memory.
CACHE_SIZE = 256

ExtensionFactory = Callable[[], SchemaExtension]


def validation_rules(server: ServerSettings) -> tuple[type[ASTValidationRule], ...]:
    """The extra validation rules the settings ask for, built once."""
    rules: list[type[ASTValidationRule]] = []
    if not server.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


def shape_bounds(server: ServerSettings) -> ShapeBounds:
    """The document shape the settings accept."""
    return ShapeBounds(
        max_depth=server.max_depth,
        max_aliases=server.max_aliases,
        max_fragments=server.max_fragments,
        max_fragment_spreads=server.max_fragment_spreads,
        max_selections=server.max_selections,
        max_field_merges=server.max_field_merges,
    )


class _Validation:
    """The shape bounds, then graphql-core's rules (only on a document of a bounded shape)."""

    def __init__(self, bounds: ShapeBounds | None, *, hide_suggestions: bool) -> None:
        self._bounds = bounds
        self._hide_suggestions = hide_suggestions

    def __call__(
        self, schema: GraphQLSchema, document: DocumentNode, rules: Rules
    ) -> list[GraphQLError]:
        errors = shape_errors(document, self._bounds) if self._bounds is not None else []
        if errors:
            return errors
        if not self._hide_suggestions:
            return validate_document(schema, document, rules)
        # Strawberry's validate_document has no way to pass graphql-core's option, so the same
        # call is made here with Strawberry's two extra rules, as validate_document adds them.
        return validate(
            schema,
            document,
            (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
            hide_suggestions=True,
        )


class _CachedParse(SchemaExtension):
    """Strawberry's ParserCache, over the byte-bounded `DocumentCache` keyed by digest."""

    def __init__(self, documents: DocumentCache) -> None:
        self._documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query is not None:
            context.graphql_document = self._documents.document(
                context.query, context.parse_options
            )
        yield


class _CachedValidation(SchemaExtension):
    """Strawberry's ValidationCache, finding the outcome with its cached document.

    Strawberry's keys an lru_cache by the document itself, so every request hashes the whole
    syntax tree (a node and a location per field, over a hundred hash calls for a page
    query); the document cache hands every request of one text the same document object, so
    identity finds it.
    """

    def __init__(self, documents: DocumentCache, validation: _Validation) -> None:
        self._documents = documents
        self._validation = validation

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None  # validation follows a successful parse
        if context.pre_execution_errors is not None:  # decided already (a prepared document)
            yield
            return
        context.pre_execution_errors = self._documents.validation(
            graphql_core_schema(context.schema),
            context.graphql_document,
            context.validation_rules,
            self._validation,
        )
        yield


SERVICE_FIELD = "_service"


def _selects_root_field(document: DocumentNode, operation_name: str | None, name: str) -> bool:
    """Whether the operation selects root field `name`, directly or through fragments."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return False
    fragments = {
        definition.name.value: definition.selection_set
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    pending: list[SelectionSetNode] = [operation.selection_set]
    seen: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                if selection.name.value == name:
                    return True
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                spread = selection.name.value
                if spread not in seen and spread in fragments:
                    seen.add(spread)
                    pending.append(fragments[spread])
    return False


class _ServiceSDLForAuthenticatedCallers(SchemaExtension):
    """With introspection off, `_service { sdl }` is the schema too: only for known callers."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        caller = context.context
        if (
            isinstance(caller, RequestContext)
            and caller.authorization is None
            and context.graphql_document is not None
            and _selects_root_field(context.graphql_document, context.operation_name, SERVICE_FIELD)
        ):
            # A result set here means Strawberry executes nothing.
            context.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "`_service` needs an authenticated caller while introspection is off",
                        extensions={"code": ErrorCode.UNAUTHENTICATED.value},
                    )
                ],
            )
        yield


def hardening_extensions(
    server: ServerSettings, prepared: PreparedDocuments | None = None
) -> tuple[ExtensionFactory, ...]:
    """Extension factories (one fresh instance per request) enforcing the limits, with caches.

    `prepared` documents (a manifest's) skip the parser, validation and estimate planning.
    """
    rules = list(validation_rules(server))
    max_tokens = server.max_tokens

    def tokens() -> SchemaExtension:
        return MaxTokensLimiter(max_token_count=max_tokens)

    def limits() -> SchemaExtension:
        return AddValidationRules(rules)

    documents = DocumentCache(CACHE_SIZE, server.document_cache_bytes)
    validation = _Validation(shape_bounds(server), hide_suggestions=not server.introspection)

    def parser_cache() -> SchemaExtension:
        if prepared is not None:
            return PreparedParser(prepared, documents)
        return _CachedParse(documents)

    def validation_cache() -> SchemaExtension:
        return _CachedValidation(documents, validation)

    factories: tuple[ExtensionFactory, ...] = (
        tokens,
        limits,
        parser_cache,
        *(() if prepared is None else (functools.partial(PreparedValidation, prepared),)),
        validation_cache,
        functools.partial(UpstreamEstimate, prepared),
    )
    if server.introspection:
        return factories
    return (*factories, _ServiceSDLForAuthenticatedCallers)


__all__ = [
    "CACHE_SIZE",
    "ExtensionFactory",
    "hardening_extensions",
    "shape_bounds",
    "validation_rules",
]
