"""Strawberry extensions that bound what one GraphQL document may cost, plus parse/validate caches.

Limits (each rejects the document before any resolver runs, as a GraphQL error):
- tokens: parsing stops past `max_tokens` (a parse error, so nothing big is ever built);
- depth: fields nested deeper than `max_depth` (introspection fields are not counted);
- aliases: more than `max_aliases` aliased fields (aliases multiply upstream calls);
- introspection: refused when switched off (`__typename` stays allowed), and validation errors
  then carry no "Did you mean ..." suggestions, which would spell the schema out field by field.

The validation rules are built once per app and shared by the per-request extension
instances, so that the validation cache, keyed by the rule classes, actually hits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    validate,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import validate_document
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from .config import ServerSettings

# Distinct documents kept parsed and validated per process; bounded so that unique query
# texts cannot grow memory.
CACHE_SIZE = 256

ExtensionFactory = Callable[[], SchemaExtension]


def validation_rules(server: ServerSettings) -> tuple[type[ASTValidationRule], ...]:
    """The extra validation rules the settings ask for, built once."""
    rules: list[type[ASTValidationRule]] = [
        depth_rule(server.max_depth, None),
        alias_rule(server.max_aliases),
    ]
    if not server.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


_Rules = tuple[type[ASTValidationRule], ...]
_ValidationKey = tuple[int, int, _Rules]
_ValidationEntry = tuple[GraphQLSchema, DocumentNode, list[GraphQLError]]


class _ValidatedDocuments:
    """Validation outcomes per (schema, parsed document, rules), the document by identity.

    Strawberry's ValidationCache keys an lru_cache by the document itself, so every request
    hashes the whole syntax tree (a node and a location per field: ~120 hash calls for the
    bench's page query). The parser cache hands every request of one query text the same
    document object, so identity finds it; entries keep schema and document alive, so that
    their ids are not reused while cached. Least recently used entries go past `maxsize`.
    """

    def __init__(self, maxsize: int, *, hide_suggestions: bool = False) -> None:
        self._maxsize = maxsize
        self._hide_suggestions = hide_suggestions
        self._entries: OrderedDict[_ValidationKey, _ValidationEntry] = OrderedDict()

    def errors(
        self, schema: GraphQLSchema, document: DocumentNode, rules: _Rules
    ) -> list[GraphQLError]:
        key = (id(schema), id(document), rules)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is schema and entry[1] is document:
            self._entries.move_to_end(key)
            return entry[2]
        errors = self._validate(schema, document, rules)
        self._entries[key] = (schema, document, errors)
        if len(self._entries) > self._maxsize:
            self._entries.popitem(last=False)
        return errors

    def _validate(
        self, schema: GraphQLSchema, document: DocumentNode, rules: _Rules
    ) -> list[GraphQLError]:
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


class _IdentityValidationCache(SchemaExtension):
    """Strawberry's ValidationCache, finding a parsed document by identity (see above)."""

    def __init__(self, validated: _ValidatedDocuments) -> None:
        self._validated = validated

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None  # validation follows a successful parse
        context.pre_execution_errors = self._validated.errors(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        yield


def hardening_extensions(server: ServerSettings) -> tuple[ExtensionFactory, ...]:
    """Extension factories (one fresh instance per request) enforcing the limits, with caches."""
    rules = list(validation_rules(server))
    max_tokens = server.max_tokens

    def tokens() -> SchemaExtension:
        return MaxTokensLimiter(max_token_count=max_tokens)

    def limits() -> SchemaExtension:
        return AddValidationRules(rules)

    def parser_cache() -> SchemaExtension:
        return ParserCache(maxsize=CACHE_SIZE)

    validated = _ValidatedDocuments(CACHE_SIZE, hide_suggestions=not server.introspection)

    def validation_cache() -> SchemaExtension:
        return _IdentityValidationCache(validated)

    return (tokens, limits, parser_cache, validation_cache)


__all__ = ["CACHE_SIZE", "ExtensionFactory", "hardening_extensions", "validation_rules"]
