"""How long a caller may keep an answer (`Cache-Control`), and the note on stale answers.

A complete answer depends on the caller's credentials, so it is `private`, for what is left
of the freshness of the oldest upstream answer it used; errors and partial answers are
`no-store`. When stale upstream answers were served (the partner's calls were spent), the
answer says so in `extensions.cache`, with their number and age.
"""

from __future__ import annotations

import math

from ..partner_center import AnswerReport
from ..partner_center.settings import SharedStateSettings

NO_STORE = "no-store"


def cache_control(
    settings: SharedStateSettings, complete: bool, answers: AnswerReport | None
) -> str:
    """The answer's `Cache-Control`; `complete`: data and no errors."""
    if not complete or answers is None:
        return NO_STORE
    if not settings.cache_enabled or answers.stale:
        return "private, max-age=0"
    left = max(0, math.floor(settings.cache_ttl - answers.oldest_age))
    return f"private, max-age={left}"


def stale_note(answers: AnswerReport) -> dict[str, object] | None:
    """`extensions.cache` when stale upstream answers were served; None when none were."""
    if not answers.stale:
        return None
    # The caller should know the data may be behind Partner Center, and by how much.
    return {
        "stale": True,
        "staleAnswers": answers.stale,
        "ageSeconds": math.ceil(answers.oldest_age),
    }


__all__ = ["NO_STORE", "cache_control", "stale_note"]
