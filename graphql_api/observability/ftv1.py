"""Apollo federated tracing (ftv1), for trusted callers only.

A router collecting field-level traces asks each subgraph with the header
`apollo-federation-include-trace: ftv1`, and gets back, under `extensions.ftv1`, every
field's timing and the message of every error it raised. That is for the operator's router,
not for whoever can reach the port: it shows how the service works inside and quotes
unmasked errors. So a request gets a trace only when it also carries
`FTV1-Secret: <FTV1_SECRET>`, which the router is configured to add to its subgraph requests.
Without `FTV1_SECRET` the extension is not installed at all and the header is ignored, as it
always was.

Timing every field takes graphql-core's resolver middleware, which turns the lean executor
off (speed/executor.py). The extension therefore joins field resolution only for a trusted
request: Strawberry asks each extension instance whether it resolves, once per request (through
private methods, overridden in `_compat.FederatedTracingOnDemand`), and
this one says yes only then. Everyone else's request runs as if it were not there.

Example:
    extensions = [functools.partial(TrustedFederatedTracing, secret=b"...")]
"""

from __future__ import annotations

import hmac
from typing import Any

from strawberry.types import ExecutionContext

from .._compat import FederatedTracingOnDemand


class TrustedFederatedTracing(FederatedTracingOnDemand):
    """Strawberry's ftv1 extension, answering only requests that prove they are trusted."""

    def __init__(
        self, *, secret: bytes, execution_context: ExecutionContext | None = None
    ) -> None:
        super().__init__(execution_context=execution_context)
        self._secret = secret
        self._trusted: bool | None = None

    def wants_trace(self) -> bool:
        """True for a request that asked for a trace and proved FTV1_SECRET. Strawberry builds
        the request's resolver middleware from this answer: only a trusted request pays."""
        if self._trusted is None:
            self._trusted = self._asks_and_proves()
        return self._trusted

    def _asks_and_proves(self) -> bool:
        context: Any = getattr(self, "execution_context", None)
        offered = getattr(getattr(context, "context", None), "federated_trace_proof", None)
        if not isinstance(offered, str):
            return False
        # In constant time: a timing difference must not spell the secret out byte by byte.
        return hmac.compare_digest(offered.encode("utf-8", "surrogateescape"), self._secret)


__all__ = ["TrustedFederatedTracing"]
