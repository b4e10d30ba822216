"""Cheaper execution: graphql-core's work done in place for fields that need only a read.

graphql-core's executor members this relies on, and its private helpers, come through
`graphql_api/_compat.py` (tests/test_compat.py checks each on the installed version).

A 50-customer page asks for about 300 fields: edges, their nodes, each node's company profile
and its scalars. For every one graphql-core builds a path and a resolve info, runs
Strawberry's resolver wrapper, and walks `execute_field` → `complete_value` (twice for a
non-null type) → `complete_object_value` → `collect_and_execute_subfields` →
`execute_collected_subfields` → `execute_fields`; for a page of plain fields, that walk is
most of the GraphQL layer's own time. `LeanExecutionContext.execute_fields`, the one place every
object's fields pass (root fields too), takes the fields field_reads.py says need nothing
else, and computes what that walk computes:

- a plain leaf: `getattr` and the scalar's own `coerce_output_value`, no path, no info;
  anything unusual (null on a non-null field, a value the scalar refuses, an attribute that
  raises) goes to `execute_field`, which reads again and reports it located and typed;
- an object or a list of objects read from an attribute or a direct resolver: the value is
  read once, then completed here as `complete_value` would (null checks, `is_type_of`, each
  list item), the sub-selection collected by graphql-core (memoized; `@defer` and `@stream`
  stay its business) and executed by this same method. A value graphql-core must handle
  itself (an awaitable, an iterable that is not a list, a failing `is_type_of`...) is handed
  to its completion functions with the value already read: no resolver runs twice.

Everything else goes to `execute_field`. Fields run in the selection's order and errors are
reported by graphql-core's own `handle_field_error`, so data, errors, paths and null
propagation come out exactly as on the long path (tests/schema/test_execution.py compares).
A middleware (a schema extension with a `resolve` hook) must see every field: then the
long path does all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from inspect import isawaitable
from types import GeneratorType
from typing import Any, TypeGuard, TypeVar
from weakref import WeakKeyDictionary, ref

from graphql import (
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
)
from graphql.pyutils import Path, Undefined, gather_with_cancel
from graphql.type import GraphQLResolveInfoHelpers

from .._compat import (
    FieldDetailsList,
    GroupedFieldSet,
    StrawberryGraphQLCoreExecutionContext,
    invalid_return_type_error,
    non_null_error,
    to_nodes,
)
from .field_reads import (
    DirectResolver,
    FieldRead,
    LeafRead,
    ObjectRead,
    ResolvedLeafRead,
    field_read,
    use_direct_resolvers,
)

# Types whose values were found not awaitable: their class has no `__await__` and they are
# neither coroutines nor generators. `await` looks `__await__` up on the type, never on the
# instance, so the verdict holds for every later value of the type, and a set lookup
# replaces three checks per object value (a page meets four such values per customer).
# Resolvers return a handful of types; the bound only guards against a surprise.
_PLAIN_TYPES: set[type] = set()
_MAX_PLAIN_TYPES = 256


# Per schema, per (type name, field name): the read, or None for "take the long path".
_plans: WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], FieldRead | None]] = (
    WeakKeyDictionary()
)

class _TypeName:
    """The read of `__typename`: the parent type's name."""


TYPENAME = _TypeName()

# `_Step.sub_steps` before the sub-selection was looked at.
_NOT_YET: Any = object()


class _Step:
    """One field of a selection as this executor runs it: its read, and for an object field
    the steps of its sub-selection once known (None: graphql-core collects and executes it).

    Steps live per executor, because graphql-core's field lists are per operation.
    """

    __slots__ = ("field_details_list", "read", "response_name", "sub_steps")

    def __init__(
        self,
        response_name: str,
        field_details_list: FieldDetailsList,
        read: FieldRead | _TypeName | None,
    ) -> None:
        self.response_name = response_name
        self.field_details_list = field_details_list
        self.read = read
        self.sub_steps: list[_Step] | None = _NOT_YET


# Per executor: id of a field set -> (the set, kept alive; its steps, or None when no field
# of it has a read).
_StepsBySet = dict[int, tuple[GroupedFieldSet, list[_Step] | None]]


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, completing plain fields without the long walk."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core keeps the resolvers' helpers on the context as methods bound to it: a
        # cycle, which leaves all the operation built (field sets, variables, steps) to the
        # cyclic collector, whose passes cost more than the operation's own frees. The same
        # helpers, reaching the context through a weak reference.
        self.async_helpers = _weak_helpers(self)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """An object's fields, in the selection's order, as graphql-core's `execute_fields`."""
        steps = self._steps_of(parent_type, grouped_field_set)
        if steps is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        return self._execute_steps(parent_type, source_value, path, steps, position_context)

    def _execute_steps(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        steps: list[_Step],
        position_context: Any,
    ) -> Any:
        """`execute_fields` with each field's step known."""
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        type_name = parent_type.name
        try:
            for step in steps:
                read = step.read
                response_name = step.response_name
                if read is TYPENAME:
                    # Relay and Apollo Client ask every object for it; the long path built a
                    # path and a resolve info for a value known already.
                    results[response_name] = type_name
                    continue
                if type(read) is LeafRead:
                    # Inline rather than a helper: a page has hundreds of these, and a
                    # function call each would be a visible share of the executor's time.
                    try:
                        value = getattr(source_value, read.attribute)
                    except Exception:  # the long path raises it again, located and typed
                        value = Undefined
                    else:
                        if value is None:
                            # A profile's absent fields: most of an address, often.
                            if read.non_null:
                                value = Undefined
                        elif type(value) is not str or not read.str_as_is:
                            value = _coerced_leaf(read, value)
                    if value is not Undefined:
                        results[response_name] = value
                        continue
                    result = self.execute_field(
                        parent_type, source_value, step.field_details_list,
                        Path(path, response_name, type_name), position_context,
                    )
                elif type(read) is ResolvedLeafRead:
                    self_only = read.resolver.self_only
                    if self_only is None:
                        result = self._execute_resolved_leaf(
                            step, read, parent_type, source_value,
                            Path(path, response_name, type_name), position_context,
                        )
                    else:
                        # Inline, as a plain leaf: a page's enum and the record's fields are
                        # hundreds of these. The resolver runs once, whatever follows.
                        try:
                            value = self_only(source_value)
                        except Exception as raw_error:
                            self.handle_field_error(
                                raw_error, read.field_def.type, step.field_details_list,
                                Path(path, response_name, type_name),
                            )
                            results[response_name] = None
                            continue
                        kind = type(value)
                        if kind is str and read.str_as_is:
                            results[response_name] = value
                            continue
                        if kind is read.enum_class:
                            name = read.enum_names.get(value._name_)  # type: ignore[union-attr]
                            if name is not None:
                                results[response_name] = name
                                continue
                        if kind in _PLAIN_TYPES or not self._awaitable(value):
                            completed = (
                                _coerced_leaves(read, value)
                                if read.is_list
                                else _coerced_leaf(read, value)
                            )
                            if completed is not Undefined:
                                results[response_name] = completed
                                continue
                        result = self._complete_resolved_leaf(
                            step, read, parent_type, Path(path, response_name, type_name),
                            value, None, position_context,
                        )
                elif type(read) is ObjectRead:
                    result = self._execute_object_field(
                        step, read, parent_type, source_value,
                        Path(path, response_name, type_name), position_context,
                    )
                else:
                    result = self.execute_field(
                        parent_type, source_value, step.field_details_list,
                        Path(path, response_name, type_name), position_context,
                    )
                if result is not Undefined:
                    results[response_name] = result
                    if type(result) is not dict and self._awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                # As graphql-core: let the other fields' work settle; they may fail too.
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return _gathered(results, awaitable_fields)

    def _execute_resolved_leaf(
        self,
        step: _Step,
        read: ResolvedLeafRead,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        """`execute_field` for a leaf whose direct resolver takes more than `self`."""
        info = None
        if read.resolver.needs_info:
            info = self._info(read, step.field_details_list, parent_type, path)
        try:
            value = read.resolver(source, info)
        except Exception as raw_error:
            self.handle_field_error(
                raw_error, read.field_def.type, step.field_details_list, path
            )
            return None
        return self._complete_resolved_leaf(
            step, read, parent_type, path, value, info, position_context
        )

    def _complete_resolved_leaf(
        self,
        step: _Step,
        read: ResolvedLeafRead,
        parent_type: GraphQLObjectType,
        path: Path,
        value: Any,
        info: GraphQLResolveInfo[Any] | None,
        position_context: Any,
    ) -> Any:
        """`complete_value` (or its awaitable twin) for a leaf value already resolved."""
        return_type = read.field_def.type
        field_details_list = step.field_details_list
        try:
            if type(value) not in _PLAIN_TYPES and self._awaitable(value):
                if info is None:
                    info = self._info(read, field_details_list, parent_type, path)
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, value, position_context
                )
            completed = (
                _coerced_leaves(read, value) if read.is_list else _coerced_leaf(read, value)
            )
            if completed is not Undefined:
                return completed
            # Null on a non-null field, a value the scalar refuses: graphql-core words it.
            if info is None:
                info = self._info(read, field_details_list, parent_type, path)
            return self.complete_value(
                return_type, field_details_list, info, path, value, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def _execute_object_field(
        self,
        step: _Step,
        read: ObjectRead,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        """`execute_field` then `complete_value` for an object field read without a wrapper."""
        info: GraphQLResolveInfo[Any] | None = None
        field_details_list = step.field_details_list
        return_type = read.field_def.type
        try:
            resolver = read.resolver
            if resolver is None:
                result = getattr(source, read.attribute)  # type: ignore[arg-type]
            elif resolver.self_only is not None:
                result = resolver.self_only(source)
            else:
                if resolver.needs_info:
                    info = self._info(read, field_details_list, parent_type, path)
                result = resolver(source, info)
            if type(result) not in _PLAIN_TYPES and self._awaitable(result):
                if not read.is_list and self.abort_signal is None:
                    # A loader's future for one object (a page's billing profiles): the
                    # completion below, after the await, in one coroutine; a resolve info
                    # only if the type check reads one (none of a page's hundred, else).
                    if info is None and read.type_check_needs_info:
                        info = self._info(read, field_details_list, parent_type, path)
                    return self._complete_awaited_object(
                        step, read, parent_type, path, result, info, position_context
                    )
                if info is None:
                    info = self._info(read, field_details_list, parent_type, path)
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, result, position_context
                )
            # `complete_value` for the declared type, which `read` describes.
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                if read.non_null:
                    raise _null_error(parent_type, field_details_list)
                return None
            if read.is_list:
                if info is None:
                    info = self._info(read, field_details_list, parent_type, path)
                if type(result) is not list and type(result) is not tuple:
                    # Generators, async iterables, non-iterables: graphql-core's list code.
                    completed = self.complete_value(
                        read.nullable_type, field_details_list, info, path, result,
                        position_context,
                    )
                else:
                    completed = self._complete_items(
                        step, read, parent_type, path, result, info, position_context
                    )
            else:
                if info is None and read.type_check_needs_info:
                    info = self._info(read, field_details_list, parent_type, path)
                completed = self._complete_object(
                    step, read.object_type, path, result, info, position_context
                )
            if type(completed) is not dict and self._awaitable(completed):
                return self._settled(completed, return_type, field_details_list, path)
            return completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    async def _complete_awaited_object(
        self,
        step: _Step,
        read: ObjectRead,
        parent_type: GraphQLObjectType,
        path: Path,
        awaitable: Awaitable[Any],
        info: GraphQLResolveInfo[Any] | None,
        position_context: Any,
    ) -> Any:
        """`complete_awaitable_value` for an object field: await, then complete as the
        synchronous branch of `_execute_object_field` does (`info` set when the type check
        reads it).

        Only without an abort signal: graphql-core's version then awaits through
        `with_abort_signal` and `complete_value` with nothing more to decide.
        """
        try:
            result = await awaitable
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                if read.non_null:
                    raise _null_error(parent_type, step.field_details_list)
                return None
            completed = self._complete_object(
                step, read.object_type, path, result, info, position_context
            )
            if type(completed) is not dict and self._awaitable(completed):
                completed = await completed
            return completed
        except Exception as raw_error:
            self.handle_field_error(
                raw_error, read.field_def.type, step.field_details_list, path
            )
            return None

    def _complete_items(
        self,
        step: _Step,
        read: ObjectRead,
        parent_type: GraphQLObjectType,
        path: Path,
        items: Sequence[Any],
        info: GraphQLResolveInfo[Any],
        position_context: Any,
    ) -> Any:
        """`complete_iterable_value` for a list or tuple of objects (no `@stream` on it)."""
        item_type: GraphQLOutputType = read.item_type  # type: ignore[assignment]
        object_type = read.object_type
        field_details_list = step.field_details_list
        completed: list[Any] = []
        append = completed.append
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = Path(path, index, None)  # `add_key` without its call
                if type(item) not in _PLAIN_TYPES and self._awaitable(item):
                    append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, field_details_list, info, item_path,
                            position_context,
                        )
                    )
                    awaitable_indices.append(index)
                    continue
                try:
                    if isinstance(item, Exception):
                        raise item
                    if item is None or item is Undefined:
                        if read.item_non_null:
                            raise _null_error(parent_type, field_details_list)
                        append(None)
                        continue
                    value = self._complete_object(
                        step, object_type, item_path, item, info, position_context
                    )
                    if type(value) is not dict and self._awaitable(value):
                        append(self._settled(value, item_type, field_details_list, item_path))
                        awaitable_indices.append(index)
                    else:
                        append(value)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    append(None)
        except Exception:
            if awaitable_indices:
                self.settle_in_background([completed[index] for index in awaitable_indices])
            raise
        if not awaitable_indices:
            return completed
        return _gathered(completed, awaitable_indices)

    def _complete_object(
        self,
        step: _Step,
        object_type: GraphQLObjectType,
        path: Path,
        value: Any,
        info: GraphQLResolveInfo[Any] | None,
        position_context: Any,
    ) -> Any:
        """`complete_object_value`; `info` is set whenever the type check reads it."""
        is_type_of = object_type.is_type_of
        if is_type_of is not None:
            verdict = is_type_of(value, info)  # type: ignore[arg-type]
            # A plain bool, almost always: no awaitable check for it.
            if type(verdict) is not bool and self._awaitable(verdict):
                return self._complete_after_async_check(
                    verdict, object_type, step.field_details_list, path, value,
                    position_context,
                )
            if not verdict:
                raise invalid_return_type_error(object_type, value, step.field_details_list)
        if position_context is None:
            sub_steps = step.sub_steps
            if sub_steps is _NOT_YET:
                sub_steps = step.sub_steps = self._plain_sub_steps(object_type, step)
            if sub_steps is not None:
                # What `execute_collected_subfields` does with no deferral in play.
                return self._execute_steps(object_type, value, path, sub_steps, None)
        return self.collect_and_execute_subfields(
            object_type, step.field_details_list, path, value, position_context
        )

    def _plain_sub_steps(self, object_type: GraphQLObjectType, step: _Step) -> list[_Step] | None:
        """The steps of a field's sub-selection, or None when it defers something."""
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            object_type, step.field_details_list
        )
        return None if new_defer_usages else self._steps_of(object_type, grouped_field_set)

    async def _complete_after_async_check(
        self,
        verdict: Awaitable[bool],
        object_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> Any:
        if not await self.with_abort_signal(verdict):
            raise invalid_return_type_error(object_type, value, field_details_list)
        completed = self.collect_and_execute_subfields(
            object_type, field_details_list, path, value, position_context
        )
        return await completed if self.is_awaitable(completed) else completed

    def _awaitable(self, value: Any) -> TypeGuard[Awaitable[Any]]:
        """`is_awaitable(value)`, its verdict remembered for plain types.

        The hot call sites test `type(value) not in _PLAIN_TYPES` first, inline.
        """
        kind = type(value)
        if kind in _PLAIN_TYPES:
            return False
        if self.is_awaitable(value):
            return True
        if (
            kind is not GeneratorType  # a generator-based coroutine is one by its flags
            and not hasattr(kind, "__await__")
            and len(_PLAIN_TYPES) < _MAX_PLAIN_TYPES
        ):
            _PLAIN_TYPES.add(kind)
        return False

    async def _settled(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        """The awaited completion, or None with its error reported (as graphql-core)."""
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def _info(
        self,
        read: ObjectRead | ResolvedLeafRead,
        field_details_list: FieldDetailsList,
        parent_type: GraphQLObjectType,
        path: Path,
    ) -> GraphQLResolveInfo[Any]:
        return self.build_resolve_info(
            read.field_def, to_nodes(field_details_list), parent_type, path
        )

    def _steps_of(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> list[_Step] | None:
        """The steps of a field set; None when no field has a read (or middleware)."""
        middleware = self.middleware_manager
        if middleware is not None and middleware.middlewares:
            return None
        cache: _StepsBySet | None = getattr(self, "_lean_steps", None)
        if cache is None:
            cache = {}
            self._lean_steps = cache
        # graphql-core memoizes a sub-selection's field set, so the items of a list share
        # one; the entry keeps it alive so that its id is not reused during the operation.
        entry = cache.get(id(grouped_field_set))
        if entry is not None:
            return entry[1]
        steps: list[_Step] = []
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            name = node.name.value
            read: FieldRead | _TypeName | None
            if name == "__typename" and not any(d.node.directives for d in field_details_list):
                read = TYPENAME
            else:
                read = None if node.arguments else self._read_for(parent_type, name)
            if (
                type(read) is ObjectRead
                and read.is_list
                and any(details.node.directives for details in field_details_list)
            ):
                read = None  # `@stream` (or anything else on it): graphql-core decides
            steps.append(_Step(response_name, field_details_list, read))
        result = steps if any(step.read is not None for step in steps) else None
        cache[id(grouped_field_set)] = (grouped_field_set, result)
        return result

    def _read_for(self, parent_type: GraphQLObjectType, field_name: str) -> FieldRead | None:
        plans: dict[tuple[str, str], FieldRead | None] | None = getattr(
            self, "_lean_plans", None
        )
        if plans is None:
            plans = _plans.setdefault(self.schema, {})
            self._lean_plans = plans
        key = (parent_type.name, field_name)
        try:
            return plans[key]
        except KeyError:
            field_def = self.schema.get_field(parent_type, field_name)
            plans[key] = read = None if field_def is None else field_read(field_def)
            return read


def _weak_helpers(context: LeanExecutionContext) -> GraphQLResolveInfoHelpers:
    """`context`'s `gather_async_work` and `track_async_work`, not keeping it alive.

    Used after the context is gone (a resolver kept its info past the operation), they do
    what graphql-core's would: gather with cancellation; settle awaitables in the background.
    """
    context_ref = ref(context)

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        alive = context_ref()
        if alive is not None:
            return alive.gather_async_work(values)
        return gather_with_cancel(*values)

    def track(values: Sequence[Any]) -> None:
        alive = context_ref()
        if alive is not None:
            alive.track_async_work(values)
            return
        awaitables = [value for value in values if isawaitable(value)]
        if awaitables:
            settled = asyncio.gather(*awaitables, return_exceptions=True)
            _UNOWNED_WORK.add(settled)
            settled.add_done_callback(_UNOWNED_WORK.discard)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


# Work tracked after its operation's context was gone: held until settled.
_UNOWNED_WORK: set[asyncio.Future[Any]] = set()


def _coerced_leaf(read: LeafRead | ResolvedLeafRead, value: Any) -> Any:
    """The completed leaf, or Undefined to have the long path decide (and report)."""
    if value is None:
        return Undefined if read.non_null else None
    if type(value) is read.enum_class:
        # A member's name, looked up rather than scanned for (Strawberry's enum type).
        name = read.enum_names.get(value._name_)  # type: ignore[union-attr, attr-defined]
        if name is not None:
            return name
    try:
        coerced = read.leaf_type.coerce_output_value(value)
    except Exception:  # the long path raises it again, located and typed
        return Undefined
    return Undefined if coerced is None else coerced


def _coerced_leaves(read: ResolvedLeafRead, value: Any) -> Any:
    """The completed list of leaves, or Undefined to have graphql-core decide (and report)."""
    if value is None:
        return Undefined if read.non_null else None
    if type(value) is not list and type(value) is not tuple:
        return Undefined  # an iterable of another kind, or not one: graphql-core's list code
    leaf_type = read.leaf_type
    completed: list[Any] = []
    for item in value:
        if item is None:
            if read.item_non_null:
                return Undefined
            completed.append(None)
        elif type(item) is str and read.item_str_as_is:
            completed.append(item)
        else:
            try:
                coerced = leaf_type.coerce_output_value(item)
            except Exception:  # graphql-core raises it again, located and typed
                return Undefined
            if coerced is None:
                return Undefined
            completed.append(coerced)
    return completed


def _null_error(parent_type: GraphQLObjectType, field_details_list: FieldDetailsList) -> TypeError:
    return non_null_error(parent_type, field_details_list[0].node.name.value)


_Completed = TypeVar("_Completed", dict[str, Any], list[Any])


async def _gathered(completed: _Completed, awaited_at: Sequence[Any]) -> _Completed:
    """`completed` with the awaitables at `awaited_at` (field names, item indices) awaited."""
    if len(awaited_at) == 1:  # as graphql-core: no gather for a single awaitable
        key = awaited_at[0]
        completed[key] = await completed[key]
    else:
        values = await gather_with_cancel(*(completed[key] for key in awaited_at))
        for key, value in zip(awaited_at, values, strict=True):
            completed[key] = value
    return completed


__all__ = ["DirectResolver", "LeanExecutionContext", "use_direct_resolvers"]
