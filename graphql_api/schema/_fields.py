"""`described`: `@strawberry.field(description=...)` as a decorator mypy --strict can check.

Strawberry types `strawberry.field(description=...)` as Any, which strict mypy refuses as a
decorator; the resolver itself stays fully typed behind this cast.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from types import GeneratorType
from typing import Any, TypeVar, cast

import strawberry
from strawberry.utils.await_maybe import AwaitableOrValue

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
R = TypeVar("R")


def described(
    description: str, *, graphql_type: Any = None, directives: Sequence[object] = ()
) -> Callable[[F], F]:
    """A Strawberry field resolver with its GraphQL description (and schema directives).

    `graphql_type` names the field's type when the resolver's annotation cannot: a sync
    resolver that returns a value, or an awaitable only when it must load something
    (`AwaitableOrValue[T]`), which spares graphql-core a coroutine and a task per field.
    """
    if graphql_type is None:
        return cast(
            "Callable[[F], F]",
            strawberry.field(description=description, directives=directives),
        )
    return cast(
        "Callable[[F], F]",
        strawberry.field(
            description=description, graphql_type=graphql_type, directives=directives
        ),
    )


# Types whose values were found not awaitable (`await` looks `__await__` up on the type, so
# the verdict holds for every value of the type): a page's fields ask `then` hundreds of
# times of a record, a string or None, and a set lookup is cheaper than `isawaitable`.
_NOT_AWAITABLE: set[type] = set()
_MAX_NOT_AWAITABLE = 256


def then(value: AwaitableOrValue[T], func: Callable[[T], R]) -> AwaitableOrValue[R]:
    """`func` applied to `value`, or to what it resolves to when it is awaitable."""
    kind = type(value)
    if kind in _NOT_AWAITABLE:
        return func(value)  # type: ignore[arg-type]
    if inspect.isawaitable(value):
        awaitable = value

        async def applied() -> R:
            return func(await awaitable)

        return applied()
    if (
        kind is not GeneratorType  # a generator-based coroutine is one by its flags
        and not hasattr(kind, "__await__")
        and len(_NOT_AWAITABLE) < _MAX_NOT_AWAITABLE
    ):
        _NOT_AWAITABLE.add(kind)
    return func(value)


__all__ = ["AwaitableOrValue", "described", "then"]
