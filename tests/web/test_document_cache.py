"""The parse and validation caches: keyed by a digest, bounded in bytes, padding not kept."""

from __future__ import annotations

import gc

from graphql import DocumentNode

from graphql_api.web.document_cache import DocumentCache, document_size
from tests.web.conftest import ServiceFactory, graphql

MIB = 1024 * 1024


def _live_document_text_bytes() -> int:
    """Characters of source text that live parsed documents keep, over the whole process."""
    gc.collect()
    return sum(
        len(obj.loc.source.body)
        for obj in gc.get_objects()
        if isinstance(obj, DocumentNode) and obj.loc is not None
    )


def test_padded_documents_hold_no_more_than_the_cache_bound(
    make_service: ServiceFactory,
) -> None:
    before = _live_document_text_bytes()
    with make_service({"GRAPHQL_DOCUMENT_CACHE_BYTES": str(MIB)}) as client:
        for n in range(24):
            # Padding inside the document (kept, but counted) and after it (cut).
            inside = "{" + " " * (100_000 + n) + "__typename }"
            after = "{ __typename }" + " " * (200_000 + n)
            for query in (inside, after):
                response = graphql(client, query)
                assert response.json() == {"data": {"__typename": "Query"}}
        held = _live_document_text_bytes() - before
    # Without the bound: 24 x 100 KB inside plus 24 x 200 KB after, about 7 MB kept.
    assert held <= MIB


def test_trailing_padding_finds_the_same_document() -> None:
    cache = DocumentCache(max_entries=10, max_bytes=MIB)
    plain = cache.document("{ __typename }", {})
    for padding in (" ", "\n\n", " ,\t" * 1000):
        assert cache.document("{ __typename }" + padding, {}) is plain
    assert len(cache) == 1
    assert cache.size_bytes == document_size("{ __typename }", plain)


def test_a_document_over_a_quarter_of_the_bound_is_not_kept() -> None:
    cache = DocumentCache(max_entries=10, max_bytes=MIB)
    padded = "{" + " " * (MIB // 4) + "__typename }"
    first = cache.document(padded, {})
    assert cache.document(padded, {}) is not first
    assert len(cache) == 0


def test_parse_options_are_part_of_the_key() -> None:
    cache = DocumentCache(max_entries=10, max_bytes=MIB)
    unbounded = cache.document("{ a b c }", {})
    assert cache.document("{ a b c }", {"max_tokens": 100}) is not unbounded
    assert len(cache) == 2
