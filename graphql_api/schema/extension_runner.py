"""`LeanExtensionsRunner`: the schema extensions' generator hooks, run without per-hook wrappers.

Strawberry's runner builds, on every request and for every hook an extension defines, a
`contextlib.contextmanager` around a bound method (a `functools.wraps` copy each time), a
context manager object from it, and an exit stack per stage: for this service's six
extensions, seven hooks, about a tenth of a small request's CPU. The hooks themselves are
plain generator functions: this runner calls each one, advances it to its `yield`, and
resumes it on the way out, with the semantics of nested `with` blocks (the first extension
is the outermost). A stage where some extension's hook is not a plain generator function
(an async generator, a coroutine function, a callable) is left to Strawberry's own manager.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from types import TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

HookFunction = Callable[[SchemaExtension], Generator[None, None, None]]
_Hooks = tuple[tuple[SchemaExtension, HookFunction], ...]

# Per (extension class, hook name): the class's generator hook, None when it defines none,
# or _OTHER when its hook is some other kind of callable (Strawberry then runs the stage).
_OTHER: Any = object()
_hook_kinds: dict[tuple[type[SchemaExtension], str], Any] = {}


def _hook_of(extension_type: type[SchemaExtension], name: str) -> Any:
    key = (extension_type, name)
    kind = _hook_kinds.get(key)
    if kind is None and key not in _hook_kinds:
        hook = getattr(extension_type, name)
        if hook is getattr(SchemaExtension, name):
            kind = None
        elif inspect.isgeneratorfunction(hook):
            kind = hook
        else:
            kind = _OTHER
        _hook_kinds[key] = kind
    return kind


class HookStage:
    """One lifecycle stage (operation, parsing...) over the extensions' generator hooks.

    Usable with `with` and `async with`, as Strawberry's stage managers are.
    """

    __slots__ = ("_hooks", "_running")

    def __init__(self, hooks: _Hooks) -> None:
        self._hooks = hooks
        self._running: list[Generator[None, None, None]] = []

    def __enter__(self) -> None:
        for extension, hook in self._hooks:
            generator = hook(extension)
            try:
                next(generator)
            except StopIteration:
                error = RuntimeError(f"extension hook {hook.__qualname__} did not yield")
                self._unwind(error)
                raise error from None
            except BaseException as error:
                # The hooks already entered see the failure (as with nested `with` blocks),
                # but none of them can skip the stage's block: the failure goes on.
                self._unwind(error)
                raise
            self._running.append(generator)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        return self._unwind(exc)

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        return self._unwind(exc)

    def _unwind(self, exc: BaseException | None) -> bool:
        """Resume the entered hooks, innermost first; True when `exc` ends up suppressed.

        A hook that finishes after being thrown the exception suppresses it (outer hooks
        then resume normally); a hook that raises passes its exception outwards; one that
        yields a second time is an error, as with `contextlib.contextmanager`.
        """
        pending = exc
        running, self._running = self._running, []
        for generator in reversed(running):
            try:
                if pending is None:
                    next(generator)
                else:
                    generator.throw(pending)
            except StopIteration:
                pending = None
                continue
            except BaseException as raised:
                pending = raised
                continue
            pending = RuntimeError("extension hook yielded more than once")
        if pending is None:
            return exc is not None
        if pending is exc:
            return False
        raise pending


class LeanExtensionsRunner(SchemaExtensionsRunner):
    """Strawberry's runner, with generator hooks run by `HookStage`."""

    def _stage(
        self, name: str, fallback: Callable[[list[SchemaExtension]], ExtensionContextManagerBase]
    ) -> HookStage | ExtensionContextManagerBase:
        hooks: list[tuple[SchemaExtension, HookFunction]] = []
        for extension in self.extensions:
            hook = _hook_of(type(extension), name)
            if hook is _OTHER:
                return fallback(self.extensions)
            if hook is not None:
                hooks.append((extension, hook))
        return HookStage(tuple(hooks))

    def operation(self) -> Any:
        return self._stage("on_operation", OperationContextManager)

    def validation(self) -> Any:
        return self._stage("on_validate", ValidationContextManager)

    def parsing(self) -> Any:
        return self._stage("on_parse", ParsingContextManager)

    def executing(self) -> Any:
        return self._stage("on_execute", ExecutingContextManager)


__all__ = ["HookStage", "LeanExtensionsRunner"]
