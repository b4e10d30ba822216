"""`MS-RequestId` values: random version 4 UUIDs in canonical form, as `uuid.uuid4()` gives."""

from __future__ import annotations

import uuid

from graphql_api.partner_center._client import new_request_id


def test_request_ids_are_canonical_random_uuids() -> None:
    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # canonical: lower case, 8-4-4-4-12
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_every_variant_digit_occurs() -> None:
    # The 17th digit carries RFC 4122's variant (binary 10xx): 8, 9, a or b, all of them.
    assert {new_request_id()[19] for _ in range(400)} == set("89ab")
