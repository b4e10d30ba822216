"""Which pieces of the speed layer run: `SPEED_LAYER_OFF` turns any of them back to stock.

Each piece replaces a stock component with a faster one of ours (docs/performance.md says
what each replaces and what it saves). Any of them can be switched off, to tell whether a
bug is ours or to run on the stock path alone:

    SPEED_LAYER_OFF=all        # stock graphql-core and Strawberry execution, httpx's transport
    SPEED_LAYER_OFF=executor   # only this one

Pieces: `executor` (speed/executor.py and speed/field_reads.py: the lean executor and the
direct resolver calls), `wire` (speed/aiohttp_wire.py: Partner Center calls over aiohttp;
off, they go over httpx's own transport, the client's default; `upstream_wire` chooses).

Read from the environment when a schema, an app or a server is built, as workers of
`graphql-api serve --workers N` build theirs; an unknown name is an error at start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum

from ..partner_center import UpstreamSettings, Wire, stock_wire

ENVIRONMENT_VARIABLE = "SPEED_LAYER_OFF"


class Piece(StrEnum):
    """A piece of the speed layer that can be switched off."""

    EXECUTOR = "executor"
    WIRE = "wire"


def pieces_off(environ: Mapping[str, str] | None = None) -> frozenset[Piece]:
    """The pieces `SPEED_LAYER_OFF` switches off; ValueError for a name it does not know."""
    text = (os.environ if environ is None else environ).get(ENVIRONMENT_VARIABLE, "")
    names = {part.strip().lower() for part in text.split(",") if part.strip()}
    if "all" in names:
        return frozenset(Piece)
    unknown = sorted(names - {piece.value for piece in Piece})
    if unknown:
        known = ", ".join(["all", *(piece.value for piece in Piece)])
        raise ValueError(f"{ENVIRONMENT_VARIABLE}: unknown piece(s) {unknown}; known: {known}")
    return frozenset(Piece(name) for name in names)


def is_on(piece: Piece, environ: Mapping[str, str] | None = None) -> bool:
    """True unless `SPEED_LAYER_OFF` switches `piece` off."""
    return piece not in pieces_off(environ)


def upstream_wire(settings: UpstreamSettings) -> Wire:
    """A wire to Partner Center under `settings` (trust, proxy, pool): over aiohttp, or over
    httpx's own transport when `wire` is off."""
    if is_on(Piece.WIRE):
        from .aiohttp_wire import aiohttp_wire

        return aiohttp_wire(settings)
    return stock_wire(settings)


__all__ = ["ENVIRONMENT_VARIABLE", "Piece", "is_on", "pieces_off", "upstream_wire"]
