"""Requests by document id: persisted documents, trusted mode and APQ, before any parsing.

`PersistedRequests.resolve` reads a request's decoded fields (a POST body's JSON object, or
a GET's query parameters) and returns the text to run, or refuses the request with a typed
`PersistedRefusal`. It never parses a document: an id is a dictionary look-up, a text sent
for APQ is hashed, nothing more.

What a request may carry, in both clients' shapes, by POST or GET:

- `doc_id` (Relay), also `id` or `documentId`: a manifest document's id;
- `extensions.persistedQuery` `{version: 1, sha256Hash}` (Apollo Client's persisted-query
  link, with `@apollo/persisted-query-lists` or APQ): a manifest id, else an APQ hash;
- `query`: a text, refused in trusted mode unless the request carries the bypass secret.

In trusted mode a caller that authentication turned away (no bearer token, or a token the
caller-token check refused) is answered `UNAUTHENTICATED` (401) rather than with trusted
mode's own codes: authentication has already run by then, so this costs nothing, and it
tells an anonymous caller no more than to authenticate (not how this deployment takes its
documents). A request by a manifest id runs as usual, and its fields say `UNAUTHENTICATED`
as they would without trusted mode.

The codes (`extensions.code`): `PERSISTED_QUERY_NOT_FOUND` (an APQ hash not kept: the
client sends it again with its text) and `PERSISTED_QUERY_NOT_SUPPORTED` (APQ off) with
status 200 and Apollo Server's messages, which Apollo Client's link reads;
`PERSISTED_DOCUMENT_NOT_FOUND` (an unknown document id), `PERSISTED_QUERY_NOT_IN_LIST` (a
hash not in the manifest, in trusted mode), `TRUSTED_DOCUMENT_REQUIRED` (a text in trusted
mode), `PERSISTED_QUERY_HASH_MISMATCH` (a text whose SHA-256 is not its hash),
`PERSISTED_QUERY_TOO_LARGE` (an APQ text over its bound), and `BAD_REQUEST` for malformed
ids or extensions and for an id and a text that disagree.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from strawberry.schema.base import BaseSchema

from ..auth.bearer import MISSING_CREDENTIALS, NotAuthenticated
from ..config import ServerSettings, Settings
from ..observability.metrics import Metrics
from .apq_store import DocumentStore, document_store
from .manifest import ManifestError, load_manifests
from .prepared import PreparedDocument, PreparedDocuments
from .refusal import CodedRefusal

if TYPE_CHECKING:
    from ..schema.context import RequestContext

BYPASS_HEADER = "Trusted-Documents-Bypass"
_ID_FIELDS = ("doc_id", "id", "documentId")
# Longest id accepted: far above any hash a client tool writes, so a huge one is refused
# before it is even looked up.
_MAX_ID_LENGTH = 256


class PersistedRefusal(CodedRefusal):
    """A request by id refused, with its own `extensions.code`."""


def _bad(reason: str) -> PersistedRefusal:
    return PersistedRefusal(400, reason, "BAD_REQUEST")


@dataclass(slots=True)
class Resolved:
    """What a request runs: its text, and how it came by it."""

    query: str | None
    # The manifest document it names, if it names one.
    document: PreparedDocument | None = None
    # An APQ text to keep once it ran (it parsed and validated): its hash.
    register: str | None = None
    # An APQ text found by its hash.
    apq_hit: bool = False
    # The APQ text was kept (it ran); a text that failed to parse or validate is not.
    kept: bool = False

    def log_fields(self) -> dict[str, object]:
        """What the request line says of it: the document id, or what APQ did."""
        if self.document is not None:
            return {"document_id": self.document.id}
        if self.register is not None:
            return {"apq": "registered" if self.kept else "refused"}
        return {"apq": "hit"} if self.apq_hit else {}


class PersistedRequests:
    """Resolves ids to texts per the settings; the manifest's documents come prepared.

    The APQ store is opened with the app (`open`, from its lifespan) and closed with it.
    """

    def __init__(
        self,
        server: ServerSettings,
        prepared: PreparedDocuments,
        *,
        redis_url: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._trusted_only = server.trusted_documents_only
        self._bypass = _secret_bytes(server.trusted_bypass_secret)
        self._apq = server.apq and not server.trusted_documents_only
        self._max_text = server.apq_max_document_bytes
        self._prepared = prepared
        self._redis_url = redis_url
        self._max_documents = server.apq_max_documents
        self._max_bytes = server.apq_max_bytes
        self._store: DocumentStore | None = None
        self._metrics = metrics

    async def open(self) -> None:
        """Open the APQ store (in Redis with a URL), when APQ is on."""
        if self._apq:
            self._store = document_store(
                self._redis_url, max_documents=self._max_documents, max_bytes=self._max_bytes
            )

    async def aclose(self) -> None:
        """Close the APQ store."""
        store, self._store = self._store, None
        if store is not None:
            await store.aclose()

    async def resolve(
        self,
        data: Mapping[str, Any],
        headers: Mapping[str, str],
        *,
        unauthenticated: str | None = None,
    ) -> Resolved:
        """The text `data` asks to run (see the module docstring), or a `PersistedRefusal`.

        `unauthenticated`: why authentication turned the caller away (`caller_refused`), or
        None; in trusted mode it is the answer to what trusted mode would refuse.
        """
        query = data.get("query")
        document_id = _document_id(data)
        sha256 = _persisted_query_hash(data.get("extensions"))
        if document_id is not None and sha256 is not None and document_id != sha256:
            raise _bad("The request names two documents: its id and its persistedQuery hash")
        wanted = document_id if document_id is not None else sha256
        if wanted is None:
            return self._text(query, headers, unauthenticated)
        prepared = self._prepared.get(wanted)
        if prepared is not None:
            if query is not None and query != prepared.text:
                raise _bad(f"The request's query is not the text of document {wanted!r}")
            self._count("persisted_hit")
            return Resolved(prepared.text, prepared)
        if document_id is not None:  # doc_id / id / documentId name manifest documents only
            raise PersistedRefusal(
                400,
                f"No persisted document has the id {document_id!r}",
                "PERSISTED_DOCUMENT_NOT_FOUND",
            )
        assert sha256 is not None
        return await self._automatic(sha256, query, unauthenticated)

    async def registered(self, resolved: Resolved) -> None:
        """Keep an APQ text that ran (it parsed and validated), for every caller."""
        if (
            resolved.register is None
            or resolved.query is None
            or resolved.kept
            or self._store is None
        ):
            return
        await self._store.put(resolved.register, resolved.query)
        resolved.kept = True
        self._count("apq_registered")

    def _text(
        self, query: object, headers: Mapping[str, str], unauthenticated: str | None
    ) -> Resolved:
        if not self._trusted_only or not isinstance(query, str):
            # A missing or malformed query is the view's to refuse, as without this module.
            return Resolved(query if isinstance(query, str) else None)
        given = headers.get(BYPASS_HEADER)
        if (
            self._bypass is not None
            and given is not None
            and hmac.compare_digest(given.encode("utf-8", "replace"), self._bypass)
        ):
            return Resolved(query)
        self._refuse_unauthenticated(unauthenticated)
        self._count("trusted_refused")
        raise PersistedRefusal(
            400,
            "Only persisted documents run here: send a document id (doc_id, or "
            "extensions.persistedQuery.sha256Hash) instead of a query text",
            "TRUSTED_DOCUMENT_REQUIRED",
        )

    async def _automatic(
        self, sha256: str, query: object, unauthenticated: str | None
    ) -> Resolved:
        if self._trusted_only:
            self._refuse_unauthenticated(unauthenticated)
            self._count("trusted_refused")
            raise PersistedRefusal(
                400,
                "PersistedQueryNotInList: this hash is not a persisted document",
                "PERSISTED_QUERY_NOT_IN_LIST",
            )
        if not self._apq or self._store is None:
            raise PersistedRefusal(
                200, "PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED"
            )
        if query is None:
            text = await self._store.get(sha256)
            if text is None:
                self._count("apq_miss")
                raise PersistedRefusal(200, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            self._count("apq_hit")
            return Resolved(text, apq_hit=True)
        if not isinstance(query, str):
            return Resolved(None)  # the view refuses a query that is not a string
        encoded = query.encode("utf-8", "surrogatepass")
        if len(encoded) > self._max_text:
            raise PersistedRefusal(
                400,
                f"An automatic persisted query may hold {self._max_text} bytes "
                "(GRAPHQL_APQ_MAX_DOCUMENT_BYTES)",
                "PERSISTED_QUERY_TOO_LARGE",
            )
        if hashlib.sha256(encoded).hexdigest() != sha256:
            raise PersistedRefusal(
                400, "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH"
            )
        return Resolved(query, register=sha256)

    def _refuse_unauthenticated(self, unauthenticated: str | None) -> None:
        if unauthenticated is not None:
            self._count("trusted_refused")
            raise PersistedRefusal(401, unauthenticated, "UNAUTHENTICATED")

    def _count(self, event: str) -> None:
        if self._metrics is not None:
            self._metrics.persisted(event)


def persisted_requests(
    settings: Settings, schema: BaseSchema, prepared: PreparedDocuments, metrics: Metrics
) -> PersistedRequests:
    """Read and prepare the manifests the settings name (a `ManifestError` names a bad one)."""
    server = settings.server
    manifest = load_manifests(server.persisted_documents)
    prepared.prepare(schema, manifest)
    if server.trusted_documents_only and not len(prepared):
        raise ManifestError(
            "GRAPHQL_TRUSTED_DOCUMENTS_ONLY is set, but GRAPHQL_PERSISTED_DOCUMENTS names no "
            "document: nothing could run"
        )
    metrics.name_operations([document.name for document in prepared if document.name])
    return PersistedRequests(server, prepared, redis_url=settings.shared.redis_url, metrics=metrics)


def check_manifests(settings: Settings) -> None:
    """Read and prepare the manifests as an app would: a `ManifestError` names a bad one."""
    if not settings.server.persisted_documents and not settings.server.trusted_documents_only:
        return
    from ..schema import create_schema
    from .limits import hardening_extensions

    prepared = PreparedDocuments()
    extensions = hardening_extensions(settings.server, prepared)
    schema = create_schema(settings, extensions=list(extensions))
    persisted_requests(settings, schema, prepared, Metrics())


def caller_refused(context: RequestContext | None) -> str | None:
    """Why authentication turned this request's caller away, or None when it did not.

    Only the caller's own fault counts (no bearer token, or one the caller-token check
    refused); a failure of the service's (its sign-in, the signing keys) is not an answer
    about the caller.
    """
    if context is None or context.authorization is not None:
        return None
    failure = context.auth_failure
    if failure is None:
        return MISSING_CREDENTIALS
    return str(failure) if isinstance(failure, NotAuthenticated) else None


def names_a_document(params: Mapping[str, object]) -> bool:
    """Whether GET parameters name a document (an id, or extensions that may hold a hash)."""
    return any(name in params for name in (*_ID_FIELDS, "extensions"))


def _secret_bytes(secret: SecretStr | None) -> bytes | None:
    return None if secret is None else secret.get_secret_value().encode()


def _document_id(data: Mapping[str, Any]) -> str | None:
    """The one document id among `doc_id`, `id` and `documentId` (None when none is given)."""
    found: str | None = None
    for name in _ID_FIELDS:
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not value or len(value) > _MAX_ID_LENGTH:
            raise _bad(f"`{name}` must be a document id: a string of 1 to {_MAX_ID_LENGTH}")
        if found is not None and value != found:
            raise _bad("The request names two different document ids")
        found = value
    return found


def _persisted_query_hash(extensions: object) -> str | None:
    """`extensions.persistedQuery.sha256Hash`, checked (None when there is no persistedQuery)."""
    if not isinstance(extensions, Mapping):
        return None  # absent, or malformed and refused by the view
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, Mapping):
        raise _bad("`extensions.persistedQuery` must be an object")
    if persisted.get("version") != 1:
        raise _bad("Unsupported persisted query version: only version 1 is")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not sha256 or len(sha256) > _MAX_ID_LENGTH:
        raise _bad("`extensions.persistedQuery.sha256Hash` must be a string")
    return sha256


__all__ = [
    "BYPASS_HEADER",
    "PersistedRefusal",
    "PersistedRequests",
    "Resolved",
    "caller_refused",
    "check_manifests",
    "names_a_document",
    "persisted_requests",
]
