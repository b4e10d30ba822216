"""LeanExtensionsRunner: generator hooks behave as nested `with` blocks, as under Strawberry's.

Each scenario runs the same hooks twice, once through `HookStage` and once as nested
`contextlib.contextmanager` blocks (what Strawberry's runner builds), and compares what the
hooks saw and what came out of the block.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graphql_api.schema.extension_runner import HookStage, LeanExtensionsRunner

Log = list[str]


class Boom(Exception):
    pass


class Other(Exception):
    pass


def plain(name: str, log: Log) -> Callable[[], Iterator[None]]:
    def hook() -> Iterator[None]:
        log.append(f"{name} enter")
        try:
            yield
        except Exception as exc:
            log.append(f"{name} saw {type(exc).__name__}")
            raise
        log.append(f"{name} exit")

    return hook


def swallowing(name: str, log: Log) -> Callable[[], Iterator[None]]:
    def hook() -> Iterator[None]:
        log.append(f"{name} enter")
        try:
            yield
        except Boom:
            log.append(f"{name} swallowed")

    return hook


def replacing(name: str, log: Log) -> Callable[[], Iterator[None]]:
    def hook() -> Iterator[None]:
        log.append(f"{name} enter")
        yield
        log.append(f"{name} raises Other")
        raise Other

    return hook


def failing_entry(name: str, log: Log) -> Callable[[], Iterator[None]]:
    def hook() -> Iterator[None]:
        log.append(f"{name} raises Boom on entry")
        raise Boom
        yield  # pragma: no cover

    return hook


class _Hooked(SchemaExtension):
    """An extension whose on_operation runs the function it is given."""

    def __init__(self, hook: Callable[[], Iterator[None]]) -> None:
        self.hook = hook

    def on_operation(self) -> Iterator[None]:
        yield from self.hook()


def _outcome(run: Callable[[], None]) -> str:
    try:
        run()
    except Exception as exc:
        return f"raised {type(exc).__name__}"
    return "completed"


def _through_stage(hooks: list[Callable[[], Iterator[None]]], body: Callable[[], None]) -> None:
    extensions = [_Hooked(hook) for hook in hooks]
    runner = LeanExtensionsRunner(execution_context=None, extensions=extensions)  # type: ignore[arg-type]
    stage = runner.operation()
    assert isinstance(stage, HookStage)
    with stage:
        body()


def _through_contextlib(
    hooks: list[Callable[[], Iterator[None]]], body: Callable[[], None]
) -> None:
    with contextlib.ExitStack() as stack:
        for hook in hooks:
            stack.enter_context(contextlib.contextmanager(hook)())
        body()


def _body(log: Log, fail: bool) -> Callable[[], None]:
    def body() -> None:
        log.append("body")
        if fail:
            raise Boom

    return body


SCENARIOS = {
    "all plain, body completes": ([plain, plain, plain], False),
    "all plain, body raises": ([plain, plain, plain], True),
    "inner hook swallows": ([plain, swallowing, plain], True),
    "outer hook swallows": ([swallowing, plain], True),
    "hook replaces the exception": ([plain, replacing, plain], True),
    "hook raises after a clean body": ([plain, replacing], False),
    "swallowed then replaced": ([replacing, swallowing], True),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_hook_stage_behaves_as_nested_with_blocks(name: str) -> None:
    makers, fail = SCENARIOS[name]
    lean_log: Log = []
    lean = _outcome(
        lambda: _through_stage(
            [make(f"h{i}", lean_log) for i, make in enumerate(makers)], _body(lean_log, fail)
        )
    )
    reference_log: Log = []
    reference = _outcome(
        lambda: _through_contextlib(
            [make(f"h{i}", reference_log) for i, make in enumerate(makers)],
            _body(reference_log, fail),
        )
    )
    assert (lean, lean_log) == (reference, reference_log)


def test_a_hook_failing_on_entry_unwinds_the_hooks_entered_before_it() -> None:
    log: Log = []
    outcome = _outcome(
        lambda: _through_stage([plain("h0", log), failing_entry("h1", log)], _body(log, False))
    )
    assert outcome == "raised Boom"
    assert log == ["h0 enter", "h1 raises Boom on entry", "h0 saw Boom"]


def test_a_hook_that_does_not_yield_is_an_error() -> None:
    def no_yield() -> Iterator[None]:
        return
        yield  # pragma: no cover

    with pytest.raises(RuntimeError, match="did not yield"):
        _through_stage([no_yield], lambda: None)


def test_a_hook_that_yields_twice_is_an_error() -> None:
    def twice() -> Iterator[None]:
        yield
        yield

    with pytest.raises(RuntimeError, match="more than once"):
        _through_stage([twice], lambda: None)


async def test_hook_stage_works_with_async_with() -> None:
    log: Log = []
    extensions = [_Hooked(plain("h0", log)), _Hooked(plain("h1", log))]
    runner = LeanExtensionsRunner(execution_context=None, extensions=extensions)  # type: ignore[arg-type]
    async with runner.executing(), runner.operation():
        log.append("body")
    assert log == ["h0 enter", "h1 enter", "body", "h1 exit", "h0 exit"]


@strawberry.type
class _Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


SEEN: Log = []


class _AsyncHooks(SchemaExtension):
    """An async generator hook: the stage is left to Strawberry's own manager."""

    async def on_operation(self) -> object:  # type: ignore[override]
        SEEN.append("async enter")
        yield
        SEEN.append("async exit")


class _SyncHooks(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        SEEN.append("sync enter")
        yield
        SEEN.append("sync exit")


class _LeanSchema(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> LeanExtensionsRunner:
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)


def test_a_stage_with_an_async_hook_is_left_to_strawberry() -> None:
    runner = LeanExtensionsRunner(
        execution_context=None,  # type: ignore[arg-type]
        extensions=[_AsyncHooks(), _SyncHooks()],
    )
    assert not isinstance(runner.operation(), HookStage)
    assert isinstance(runner.executing(), HookStage)


async def test_schema_runs_async_and_generator_hooks_alike() -> None:
    SEEN.clear()
    schema = _LeanSchema(query=_Query, extensions=[_AsyncHooks, _SyncHooks])
    result = await schema.execute("{ hello }")
    assert result.errors is None
    assert result.data == {"hello": "world"}
    assert SEEN == ["async enter", "sync enter", "sync exit", "async exit"]
