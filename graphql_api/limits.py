"""Strawberry extensions that bound what one GraphQL document may cost, plus parse/validate caches.

Limits (each rejects the document before any resolver runs, as a GraphQL error):
- tokens: parsing stops past `max_tokens` (a parse error, so nothing big is ever built);
- depth: fields nested deeper than `max_depth` (introspection fields are not counted);
- aliases: more than `max_aliases` aliased fields (aliases multiply upstream calls);
- introspection: refused when switched off (`__typename` stays allowed).

The validation rules are built once per app and shared by the per-request extension
instances, so that the validation cache, keyed by the rule classes, actually hits.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

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

    def validation_cache() -> SchemaExtension:
        return ValidationCache(maxsize=CACHE_SIZE)

    return (tokens, limits, parser_cache, validation_cache)


__all__ = ["CACHE_SIZE", "ExtensionFactory", "hardening_extensions", "validation_rules"]
