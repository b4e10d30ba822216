"""Logs as one JSON object per line, secrets redacted.

Redaction happens in the formatter, the last step before a record becomes bytes, so that no
handler, logger or `extra=` field can route around it: keys that name credentials have their
values replaced, and bearer tokens, JWTs and `secret=...`-style pairs inside text are masked.
Tracebacks are never written (the rules say no stack trace reaches a log line): an exception
is logged as its type and its redacted message.

A line about one GraphQL operation names it by its correlation id: whoever logs it holds the
operation's context and passes `extra={"correlation_id": ...}`, which becomes the line's
`correlation_id` like any other extra field.

Example:
    configure_logging("INFO")
    logging.getLogger("graphql_api").info("listed", extra={"customers": 3})
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

REDACTED = "[REDACTED]"

# Key names whose values are credentials wherever they appear (extra fields, nested dicts).
_SENSITIVE_KEY = re.compile(
    r"(authorization|token|secret|password|passwd|cookie|credential|api[-_]?key|assertion)",
    re.IGNORECASE,
)
# Credentials embedded in free text: `Bearer xyz`, bare JWTs, and key=value / "key": "value".
_TEXT_PATTERNS = (
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*)?"),
    re.compile(
        r"(?i)((?:authorization|[a-z_]*token|[a-z_]*secret|password|passwd|api[-_]?key)"
        r"[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic)\s+)?)(?!\[REDACTED\]|(?:bearer|basic)\s)[^\s\"',;&}]+"
    ),
)

# Every text one of the patterns above could match contains one of these (a superset, case
# ignored): one search of it spares the three substitutions on most strings of a log line.
_MAY_HOLD_CREDENTIAL = re.compile(r"(?i)bearer|basic|eyJ|authorization|token|secret|passw|api")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    # uvicorn's `color_message` repeats the message with terminal colour codes.
    | {"message", "asctime", "color_message"}
)


def redact_text(text: str) -> str:
    """Mask credentials that appear inside free text."""
    if _MAY_HOLD_CREDENTIAL.search(text) is None:
        return text
    text = _TEXT_PATTERNS[0].sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _TEXT_PATTERNS[1].sub(REDACTED, text)
    return _TEXT_PATTERNS[2].sub(lambda m: f"{m.group(1)}{REDACTED}", text)


# Log lines reuse a handful of key names: each is matched once, then looked up.
_key_verdicts: dict[str, bool] = {}
_MAX_KEY_VERDICTS = 1024


def _is_sensitive_key(key: str) -> bool:
    verdict = _key_verdicts.get(key)
    if verdict is None:
        verdict = _SENSITIVE_KEY.search(key) is not None
        if len(_key_verdicts) < _MAX_KEY_VERDICTS:  # bounded: keys could come from input
            _key_verdicts[key] = verdict
    return verdict


def redact(value: object, *, depth: int = 0) -> object:
    """A JSON-ready copy of `value` with credentials masked, by key name and inside text."""
    if depth > 8:
        return "[TRUNCATED]"
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if _is_sensitive_key(str(key)) else redact(item, depth=depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item, depth=depth + 1) for item in value]
    return redact_text(str(value))


class JsonFormatter(logging.Formatter):
    """One line of JSON per record: time, level, logger, message, pid, extras."""

    def format(self, record: logging.LogRecord) -> str:
        """Render `record` as a single redacted JSON object."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            # Several workers write to one stream: the pid tells their lines apart.
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            entry["error"] = {"type": type(error).__name__, "message": str(error)}
        return json.dumps(redact(entry), ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO", *, stream: Any = None) -> logging.Handler:
    """Send every log record (ours, uvicorn's, libraries') to `stream` as JSON lines.

    Replaces the root logger's handlers; uvicorn's loggers propagate to the root so that their
    lines get the same format. Returns the installed handler.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # httpx logs every request URL at INFO; our own client logs what matters at DEBUG.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    return handler


class ShutdownCutIsAWarning(logging.Filter):
    """uvicorn's line saying it cut running requests at the end of its graceful shutdown, as
    a warning: each of those requests was answered 503 and logged as such (web/shutdown.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and str(record.msg).startswith("Cancel %s running"):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for uvicorn's `log_config`, so workers log JSON too."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "filters": {"shutdown_cut": {"()": f"{__name__}.ShutdownCutIsAWarning"}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["json"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {
                "handlers": [],
                "level": level,
                "propagate": True,
                "filters": ["shutdown_cut"],
            },
            "uvicorn.access": {"handlers": [], "level": level, "propagate": True},
            "httpx": {"level": "WARNING"},
        },
    }


__all__ = [
    "REDACTED",
    "JsonFormatter",
    "ShutdownCutIsAWarning",
    "configure_logging",
    "redact",
    "redact_text",
    "uvicorn_log_config",
]
