"""The retry policy for GETs, expressed as a stamina backoff hook.

Retried: 429 and 502/503/504 (honouring `Retry-After` up to `retry_after_cap`), and failures
to get an answer at all (connection errors, connect and read timeouts). A `Retry-After`
longer than the cap, or longer than what is left of the call's time budget, fails at once:
sleeping only to hit the whole-call timeout would hide the real cause from the caller.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable

import stamina

from .errors import ServiceUnavailable, Throttled, UpstreamUnavailable
from .settings import UpstreamSettings

# Over BaseException, as stamina types its hook (it only ever passes an Exception).
BackoffHook = Callable[[BaseException], bool | float]


def backoff_hook(settings: UpstreamSettings, remaining: Callable[[], float]) -> BackoffHook:
    """Decide, for one failed attempt, whether to retry and how long to wait.

    Returns False (give up), True (stamina's exponential back-off with jitter), or the
    seconds the server asked for. `remaining` gives the seconds left of the call's budget.
    """

    def hook(exc: BaseException) -> bool | float:
        if isinstance(exc, Throttled | ServiceUnavailable):
            wait = exc.retry_after
            if wait is None:
                return True
            if wait > settings.retry_after_cap or wait >= remaining():
                return False
            return float(wait)
        return isinstance(exc, UpstreamUnavailable)

    return hook


def attempts(
    settings: UpstreamSettings, remaining: Callable[[], float]
) -> AsyncIterable[stamina.Attempt]:
    """Stamina's attempt iterator for one logical call under `settings`."""
    return stamina.retry_context(
        on=backoff_hook(settings, remaining),
        attempts=settings.max_attempts,
        timeout=settings.call_timeout,
        wait_initial=settings.retry_backoff_initial,
        wait_max=settings.retry_backoff_max,
        wait_jitter=settings.retry_backoff_initial,
        wait_exp_base=2,
    )
