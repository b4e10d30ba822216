"""`described`: `@strawberry.field(description=...)` as a decorator mypy --strict can check.

Strawberry types `strawberry.field(description=...)` as Any, which strict mypy refuses as a
decorator; the resolver itself stays fully typed behind this cast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

F = TypeVar("F", bound=Callable[..., Any])


def described(description: str) -> Callable[[F], F]:
    """A Strawberry field resolver with its GraphQL description."""
    return cast("Callable[[F], F]", strawberry.field(description=description))


__all__ = ["described"]
