"""The speed layer: faster stand-ins for stock components, each switched by `SPEED_LAYER_OFF`.

Each piece replaces a stock component with a faster one of ours (docs/performance.md says
what each replaces and what it saves). Any of them can be switched off, to tell whether a
bug is ours or to run on the stock path alone:

    SPEED_LAYER_OFF=all        # stock graphql-core and Strawberry execution, httpx's transport
    SPEED_LAYER_OFF=executor   # only this one

Pieces: `executor` (speed/executor.py and speed/field_reads.py: the lean executor and the
direct resolver calls), `wire` (speed/httptools_wire.py: Partner Center calls over our
HTTP/1.1 wire on httptools' parser; off, they go over httpx's own transport, the client's
default, as they do through a proxy; `upstream_wire` chooses).

The switch is a setting (`SpeedSettings` in config.py), read when a schema, an app or a
server is built, as workers of `graphql-api serve --workers N` build theirs; an unknown name
is an error at start. Other libraries' private names the pieces use come through
graphql_api/_compat.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..config import SPEED_LAYER_OFF, SpeedPiece, SpeedSettings
from ..partner_center import UpstreamSettings, Wire, environment_proxy, stock_wire

ENVIRONMENT_VARIABLE = SPEED_LAYER_OFF
Piece = SpeedPiece


def pieces_off(environ: Mapping[str, str]) -> frozenset[Piece]:
    """The pieces `SPEED_LAYER_OFF` in `environ` switches off; a ValueError (ConfigError)
    for a name it does not know."""
    return SpeedSettings.from_env(environ).off


def is_on(piece: Piece, environ: Mapping[str, str] | None = None) -> bool:
    """True unless `SPEED_LAYER_OFF` (in `environ`, else in the process) switches `piece` off."""
    speed = SpeedSettings.from_process() if environ is None else SpeedSettings.from_env(environ)
    return speed.is_on(piece)


def upstream_wire(settings: UpstreamSettings, speed: SpeedSettings | None = None) -> Wire:
    """A wire to Partner Center under `settings` (trust, proxy, pool): our HTTP/1.1 wire on
    httptools' parser, or httpx's own transport when `wire` is off (in `speed`, else in the
    process's switch) or a proxy carries the calls (httpx tunnels; this wire goes direct)."""
    if (speed or SpeedSettings.from_process()).is_on(Piece.WIRE) and not environment_proxy(
        settings.base_url
    ):
        from .httptools_wire import HttptoolsWire

        return HttptoolsWire(max_connections=settings.max_in_flight, ca_bundle=settings.ca_bundle)
    return stock_wire(settings)


__all__ = ["ENVIRONMENT_VARIABLE", "Piece", "is_on", "pieces_off", "upstream_wire"]
