"""Tracing's set-up: an OpenTelemetry tracer from the standard `OTEL_*` variables, or none.

Tracing is off unless the environment asks for it: `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, or `OTEL_TRACES_EXPORTER` naming an exporter
(`otlp`, `console`). `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` keeps it off
whatever else is set. Off, `Tracing.from_env` returns None and the SDK is never imported.

Everything else is read by the SDK itself, as every OpenTelemetry service reads it: the
service name and resource attributes, the sampler (`parentbased_always_on` by default, so a
caller's sampling decision is followed), the batch processor's delays and sizes, and the
exporter's headers, timeout, compression and certificates. Spans leave over OTLP/HTTP with
protobuf bodies; another OTLP protocol (gRPC) is refused at start-up rather than ignored.

The provider is this app's own, not OpenTelemetry's global one: several apps in one process
(tests) each trace to their own exporter, and nothing else in the process starts exporting
because this service did.

Example:
    tracing = Tracing.from_env()  # None: tracing is off
    if tracing is not None:
        ...
        tracing.shutdown()  # flushes spans not yet sent
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..config import ConfigError
from .spans import Spans

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import SpanExporter

# The SDK is imported only when tracing is on: a service that never traces never loads it.

DEFAULT_SERVICE_NAME = "graphql_api"
_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_PROTOCOLS = ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
_SUPPORTED_EXPORTERS = frozenset({"otlp", "console"})
_HTTP_PROTOBUF = "http/protobuf"


def _value(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def exporters_from_env(env: Mapping[str, str]) -> tuple[str, ...]:
    """The span exporters the environment asks for; empty when tracing is off.

    Raises ConfigError for an exporter or OTLP protocol this service does not ship.
    """
    if _value(env, "OTEL_SDK_DISABLED").lower() == "true":
        return ()
    named = [
        item.strip().lower()
        for item in _value(env, "OTEL_TRACES_EXPORTER").split(",")
        if item.strip()
    ]
    if "none" in named:
        return ()
    if not named:
        # An endpoint alone asks for OTLP, as the variable's name says.
        named = ["otlp"] if any(_value(env, name) for name in _ENDPOINTS) else []
    unknown = sorted(set(named) - _SUPPORTED_EXPORTERS)
    if unknown:
        raise ConfigError(
            f"OTEL_TRACES_EXPORTER must name otlp, console or none, got {', '.join(unknown)}"
        )
    if "otlp" in named:
        for name in _ENDPOINTS:
            endpoint = _value(env, name)
            parts = urlsplit(endpoint)
            if endpoint and (parts.scheme not in ("http", "https") or not parts.hostname):
                raise ConfigError(
                    f"{name} must be an http(s) URL such as http://collector:4318, "
                    f"got {endpoint!r}"
                )
        for name in _PROTOCOLS:
            protocol = _value(env, name)
            if protocol and protocol != _HTTP_PROTOBUF:
                raise ConfigError(
                    f"{name} must be {_HTTP_PROTOBUF} (the OTLP exporter shipped), got {protocol!r}"
                )
    return tuple(dict.fromkeys(named))


def _exporter(name: str) -> SpanExporter:
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def _resource() -> Resource:
    """The SDK's resource from the environment, named after this service unless told otherwise."""
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource

    resource = Resource.create()
    name = resource.attributes.get(SERVICE_NAME)
    if not isinstance(name, str) or name.startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return resource


class Tracing:
    """This app's tracer provider (batching to `exporters`) and the spans it makes."""

    def __init__(self, exporters: Sequence[SpanExporter], *, resource: Resource | None = None):
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        # sampler=None: the SDK reads OTEL_TRACES_SAMPLER (parent-based by default).
        self._provider = TracerProvider(resource=resource if resource is not None else _resource())
        for exporter in exporters:
            self._provider.add_span_processor(BatchSpanProcessor(exporter))
        self.spans = Spans(self._provider.get_tracer("graphql_api"))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Tracing | None:
        """Tracing as the `OTEL_*` variables ask (os.environ by default), or None when off.

        The SDK reads its own variables from os.environ: `env` decides only whether tracing
        is on and with which exporters.
        """
        exporters = exporters_from_env(os.environ if env is None else env)
        if not exporters:
            return None
        return cls([_exporter(name) for name in exporters])

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Export every finished span now; False if that did not end within the timeout."""
        return self._provider.force_flush(timeout_millis)

    def shutdown(self) -> None:
        """Export what is left and stop the exporters (blocks; call it off the event loop)."""
        self._provider.shutdown()


__all__ = ["DEFAULT_SERVICE_NAME", "Tracing", "exporters_from_env"]
