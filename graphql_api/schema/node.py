"""The Relay `Node` interface, written by hand so that `id` is the raw Partner Center GUID.

Strawberry's `relay.Node` always base64-encodes `Type:id`, but other subgraphs know customers
by their tenant GUID, which is globally unique already: all that Relay asks of a node id.
"""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An object with a globally unique id, fetchable with `node`.")
class Node:
    """A refetchable object."""

    id: strawberry.ID = strawberry.field(description="The object's globally unique id.")


__all__ = ["Node"]
