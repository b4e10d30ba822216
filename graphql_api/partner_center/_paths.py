"""Normalising `links.next` uris into a request path under our own base URL.

Partner Center has sent next links both as `/v1/customers?...` and as `/customers?...`; clients
that blindly prefix `/v1` built `/v1//v1/customers` and broke. A link is also data from the
network, so it may only name the customers collection on the configured host.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

CUSTOMERS_PATH = "/v1/customers"
_MAX_URI_LENGTH = 8192
# Printable ASCII without spaces: what a URI may contain once percent-encoded.
_URI_CHARS = re.compile(r"\A[\x21-\x7e]+\Z")


def normalise_next_uri(uri: object, base_url: httpx.URL) -> str:
    """Return `/v1/customers?<query>` for a next-link uri, or raise ValueError.

    Accepts the uri with or without the `/v1` prefix (and without a leading slash), or an
    absolute URL on the base URL's own origin. Refuses any other host and any other path.
    """
    if not isinstance(uri, str) or len(uri) > _MAX_URI_LENGTH or not _URI_CHARS.match(uri):
        raise ValueError("next link uri must be a printable ASCII path")
    parts = urlsplit(uri)
    path = parts.path
    if parts.scheme or parts.netloc:
        if (
            parts.scheme.lower() != base_url.scheme
            or (parts.hostname or "").lower() != base_url.host.lower()
            or _port(parts.scheme, parts.port) != _port(base_url.scheme, base_url.port)
        ):
            raise ValueError("next link uri points outside the Partner Center base URL")
        base_path = base_url.path.rstrip("/")
        if base_path:
            if not path.startswith(base_path + "/"):
                raise ValueError("next link uri points outside the Partner Center base URL")
            path = path[len(base_path) :]
    # Repair what careless prefixing produces upstream: `//` runs and a doubled `/v1/v1`.
    path = re.sub(r"/{2,}", "/", "/" + path)
    while path.startswith("/v1/v1/"):
        path = path[len("/v1") :]
    if path != "/v1" and not path.startswith("/v1/"):
        path = "/v1" + path
    if path.rstrip("/").lower() != CUSTOMERS_PATH:
        raise ValueError("next link uri must name the customers collection")
    return f"{CUSTOMERS_PATH}?{parts.query}" if parts.query else CUSTOMERS_PATH


def _port(scheme: str, port: int | None) -> int | None:
    if port is not None:
        return port
    return {"http": 80, "https": 443}.get(scheme.lower())
