"""One operation's upstream calls: how many it may still send (checked before each leaves),
and how many Partner Center answered with success."""

from __future__ import annotations

from .errors import PartnerCenterError


class AllowanceSpent(PartnerCenterError):
    """The operation has sent as many calls as its allowance permits; this one was not sent."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the operation's budget of {limit} upstream calls is spent")
        self.limit = limit


class Allowance:
    """How many logical calls (each with its retries) one operation may send.

    Example:
        allowance = Allowance(200)
        allowance.spend()  # before each call; raises AllowanceSpent past 200
    """

    __slots__ = ("answered", "limit", "spent")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0
        # Calls answered 2xx: proof that Partner Center accepted the operation's credentials.
        self.answered = 0

    def spend(self) -> None:
        """Count one call about to be sent, or refuse it when none is left."""
        if self.spent >= self.limit:
            raise AllowanceSpent(self.limit)
        self.spent += 1

    def __repr__(self) -> str:
        return f"Allowance(limit={self.limit}, spent={self.spent}, answered={self.answered})"


__all__ = ["Allowance", "AllowanceSpent"]
