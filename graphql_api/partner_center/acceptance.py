"""Which credentials Partner Center has accepted or refused lately: until it has said, one
call at a time.

In passthrough mode any string is a bearer token, and a call Partner Center refuses spends
the partner's budget all the same. So while a credential is *unaccepted*, only one of its
calls is sent (the probe) and the others wait for the probe's outcome:

- a 2xx, or a 4xx that Partner Center gives only a caller it has authenticated (400, 403,
  404, 409), *accepts* it: its calls go freely;
- a 401 *refuses* it: each of its calls fails at once with that refusal and sends nothing;
- anything else (429, 5xx, a timeout, the budget) says nothing: the calls that waited go
  (an outage must not queue them one by one), and a later call probes again.

A verdict lasts `remember_for` seconds from the last answer that gave it, so a token revoked
meanwhile is asked again, and a refused one may be tried again later. Verdicts are kept in
this process by a digest of the credential (never the credential), at most `max_entries`
of them, the least recently used forgotten first.

Example:
    acceptance = Acceptance(remember_for=60)
    key = credential_key(call.authorization)  # or `call.credential`
    admission = await acceptance.admit(key)  # waits for a probe in flight; raises a refusal
    ...  # send the call, then: acceptance.settle(key, admission, failure_or_none)
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

from .errors import UpstreamHTTPError

# Statuses Partner Center answers only once it has authenticated the caller.
_ACCEPTING_STATUSES = frozenset({400, 403, 404, 409})
_REFUSING_STATUS = 401
MAX_CREDENTIALS = 10_000


def credential_key(authorization: str) -> str:
    """The digest a credential is remembered by."""
    return hashlib.sha256(authorization.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class Admission(enum.Enum):
    """How a call of a credential was let go."""

    ACCEPTED = "accepted"  # Partner Center accepted the credential lately
    PROBE = "probe"  # the one call in flight that will tell; settle it
    UNDECIDED = "undecided"  # a probe ended without a verdict; still not accepted


class Acceptance:
    """Partner Center's recent verdicts on credentials, and the probes that await one."""

    def __init__(
        self,
        remember_for: float,
        *,
        max_entries: int = MAX_CREDENTIALS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._remember_for = remember_for
        self._max_entries = max_entries
        self._clock = clock
        # key -> (when it was given, the refusal or None for accepted)
        self._verdicts: OrderedDict[str, tuple[float, UpstreamHTTPError | None]] = OrderedDict()
        self._probes: dict[str, asyncio.Future[None]] = {}

    def accepted(self, key: str) -> bool:
        """True when Partner Center accepted the credential within `remember_for`."""
        verdict = self._verdict(key)
        return verdict is not None and verdict[1] is None

    def check(self, key: str) -> None:
        """Raise the refusal Partner Center gave the credential, if it is remembered."""
        verdict = self._verdict(key)
        if verdict is not None and verdict[1] is not None:
            raise _again(verdict[1])

    def admit_at_once(self, key: str) -> Admission | None:
        """ACCEPTED for a credential accepted lately, the remembered refusal raised for one
        refused; None when the call must go through `admit` (which may wait).

        Most calls are of an accepted credential: this is their whole admission, without
        the coroutine `admit` is.
        """
        verdict = self._verdict(key)
        if verdict is None:
            return None
        if verdict[1] is not None:
            raise _again(verdict[1])
        return Admission.ACCEPTED

    async def admit(self, key: str) -> Admission:
        """Let one call of the credential go, once it may: see `Admission`.

        Raises the remembered refusal instead; waits while another call probes.
        """
        admission = self.admit_at_once(key)
        if admission is not None:
            return admission
        probe = self._probes.get(key)
        if probe is None:
            self._probes[key] = asyncio.get_running_loop().create_future()
            return Admission.PROBE
        # Shielded: a waiter that gives up must not cancel the future the others await.
        await asyncio.shield(probe)
        self.check(key)
        if self.accepted(key):
            return Admission.ACCEPTED
        # The probe learnt nothing (a 5xx, a timeout, the budget): holding the others back
        # one by one would make an outage of Partner Center a queue here. They go, still
        # drawing on the share of the unaccepted.
        return Admission.UNDECIDED

    def settle(self, key: str, admission: Admission, failure: BaseException | None) -> None:
        """Record what a call of the credential was answered (`failure` None: a 2xx)."""
        if failure is None:
            self._remember(key, None)
        elif isinstance(failure, UpstreamHTTPError):
            if failure.status == _REFUSING_STATUS:
                self._remember(key, failure)
            elif failure.status in _ACCEPTING_STATUSES:
                self._remember(key, None)
        if admission is Admission.PROBE:
            probe = self._probes.pop(key, None)
            if probe is not None and not probe.done():
                probe.set_result(None)

    def _verdict(self, key: str) -> tuple[float, UpstreamHTTPError | None] | None:
        verdict = self._verdicts.get(key)
        if verdict is None:
            return None
        if self._clock() - verdict[0] > self._remember_for:
            del self._verdicts[key]
            return None
        return verdict

    def _remember(self, key: str, refusal: UpstreamHTTPError | None) -> None:
        self._verdicts[key] = (self._clock(), refusal)
        self._verdicts.move_to_end(key)
        while len(self._verdicts) > self._max_entries:
            self._verdicts.popitem(last=False)


def _again(refusal: UpstreamHTTPError) -> UpstreamHTTPError:
    """A new exception like `refusal`: one object raised by many calls would gather their
    tracebacks (and the error's keyword-only arguments defeat `copy.copy`)."""
    again = Exception.__new__(type(refusal), *refusal.args)
    again.__dict__.update(vars(refusal))
    return again


__all__ = ["MAX_CREDENTIALS", "Acceptance", "Admission", "credential_key"]
