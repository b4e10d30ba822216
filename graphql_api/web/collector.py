"""`tune_for_serving`: the cyclic garbage collector set for a long-running server process.

CPython collects its youngest generation every 700 container allocations. One GraphQL page
of 50 customers allocates tens of thousands (parsed JSON, records, GraphQL results), so a
request ran about one collection, each walking the young objects and, every tenth time, the
objects of start-up (the schema, modules, the emulator's data) as well. Freezing those and
raising the threshold to 10,000 cuts the collector's time per request to a fraction
(docs/performance.md has the figures).

Freezing moves everything alive at start-up into a generation the collector never walks;
it is all meant to live as long as the process. Almost all request garbage is freed by
reference counting the moment it is dropped, so collecting less often keeps at most a few
thousand cyclic leftovers a little longer.
"""

from __future__ import annotations

import gc

# Container allocations (net of deallocations) between two young-generation collections.
YOUNG_THRESHOLD = 10_000


def tune_for_serving() -> None:
    """Freeze what start-up built and collect the young generation less often.

    Call once per process, after start-up and before serving.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


__all__ = ["YOUNG_THRESHOLD", "tune_for_serving"]
