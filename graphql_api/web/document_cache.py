"""Parsed documents and their validation outcomes, kept per process within a bound in bytes.

A parsed document keeps its whole source text (every location points into it) and one
object per token, so what a cached document holds grows with the text it was sent as, not
with what it means: a `{ __typename }` followed by a megabyte of spaces is a megabyte. So:
- the key is a digest of the text, never the text itself;
- trailing ignored characters (spaces, tabs, line breaks, commas) are cut before parsing:
  they move no token, so every location a caller is shown stays as it was sent;
- each entry is counted as its text plus a measured cost per token, and the entries
  together stay within `max_bytes` (least recently used go first); a document that would
  take more than a quarter of that is parsed and validated for its request, never kept.

Validation outcomes live in their document's entry (per schema and rule set), found by the
document's identity: the same document object comes back for every request of the same text,
and an outcome never outlives, nor keeps alive, a document the cache let go.

Example:
    cache = DocumentCache(max_entries=256, max_bytes=16 * 1024 * 1024)
    document = cache.document(query, {"max_tokens": 2000})
    errors = cache.validation(schema, document, rules, validate)
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse

Rules = tuple[type[ASTValidationRule], ...]
Validate = Callable[[GraphQLSchema, DocumentNode, Rules], list[GraphQLError]]

# What one token of a parsed document holds (its token object, its share of the AST nodes
# and their locations), measured with tracemalloc on the service's own queries, rounded up.
BYTES_PER_TOKEN = 700
# Characters GraphQL ignores that may follow the last token (a BOM only leads).
_TRAILING_IGNORED = " \t\r\n,"


@dataclass(slots=True)
class _Entry:
    document: DocumentNode
    size: int
    # (id of the schema, rules) -> (the schema, kept alive so its id is not reused; errors)
    validated: dict[tuple[int, Rules], tuple[GraphQLSchema, list[GraphQLError]]] = field(
        default_factory=dict
    )


def token_count(document: DocumentNode) -> int:
    """Tokens the parser kept for `document` (they are linked from its location)."""
    location = document.loc
    token = None if location is None else location.start_token
    count = 0
    while token is not None:
        count += 1
        token = token.next
    return count


def document_size(text: str, document: DocumentNode) -> int:
    """Bytes a cached document is counted as: its source text and its tokens."""
    return len(text) + BYTES_PER_TOKEN * token_count(document)


class DocumentCache:
    """Documents by a digest of their text, with their validation, within `max_bytes`."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("the document cache's bounds must be at least 1")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        # id(document) -> its key, for the documents held (so their ids are not reused).
        self._keys: dict[int, bytes] = {}
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Bytes the entries are counted as (see `document_size`)."""
        return self._bytes

    def document(self, query: str, options: Mapping[str, Any]) -> DocumentNode:
        """`query` parsed with graphql-core's `parse(**options)`; GraphQLError when it is not
        a document (never cached, so a bad text costs its parse every time, as it should)."""
        text = query.rstrip(_TRAILING_IGNORED)
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20)
        for name in sorted(options):
            digest.update(f"\0{name}={options[name]!r}".encode())
        key = digest.digest()
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            return entry.document
        self.misses += 1
        document = parse(text, **options)
        size = document_size(text, document)
        if size <= self.max_bytes // 4:
            self._keep(key, _Entry(document, size))
        return document

    def validation(
        self, schema: GraphQLSchema, document: DocumentNode, rules: Rules, validate: Validate
    ) -> list[GraphQLError]:
        """`validate(schema, document, rules)`, kept with the document while it is cached."""
        key = self._keys.get(id(document))
        entry = None if key is None else self._entries.get(key)
        if entry is None or entry.document is not document:
            return validate(schema, document, rules)
        outcome_key = (id(schema), rules)
        outcome = entry.validated.get(outcome_key)
        if outcome is not None and outcome[0] is schema:
            return outcome[1]
        errors = validate(schema, document, rules)
        entry.validated[outcome_key] = (schema, errors)
        return errors

    def _keep(self, key: bytes, entry: _Entry) -> None:
        self._entries[key] = entry
        self._keys[id(entry.document)] = key
        self._bytes += entry.size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            del self._keys[id(dropped.document)]
            self._bytes -= dropped.size


__all__ = ["BYTES_PER_TOKEN", "DocumentCache", "document_size", "token_count"]
