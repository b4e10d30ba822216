"""Persisted-document manifests: the operations a client's build step wrote, read at start.

Two formats are read, each as its own tool writes it:

- Relay's persisted output (relay-compiler's `persistConfig` or local persisting): one JSON
  object mapping each document id to its text;
- Apollo's persisted query manifest (`@apollo/generate-persisted-query-manifest`):
  `{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "name",
  "type", "body"}]}`.

Several files merge into one `Manifest`. An id given two different texts, in one file or in
two, is an error naming both places; so is a file that is neither format. Whether each text
parses and validates is checked by `PreparedDocuments` (prepared.py), which has the schema.

Example:
    manifest = load_manifests(["persisted/relay.json", "persisted/apollo.json"])
    manifest.get("3f2a…").text
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..config import ConfigError

APOLLO_FORMAT = "apollo-persisted-query-manifest"
Format = Literal["relay", "apollo"]
_OPERATION_TYPES = frozenset({"query", "mutation", "subscription"})


class ManifestError(ConfigError):
    """A manifest cannot be used; the message names the file and, where one is to blame, the id."""


@dataclass(frozen=True, slots=True)
class PersistedDocument:
    """One document of a manifest: what a client sends the id of instead of the text."""

    id: str
    text: str
    # The file it came from, for messages.
    source: str
    format: Format
    # Apollo's manifest states them; for Relay's they are read from the text when prepared.
    name: str | None = None
    operation_type: str | None = None


class Manifest:
    """Documents by id, from one or more manifest files."""

    def __init__(self, documents: Iterable[PersistedDocument] = ()) -> None:
        self._documents: dict[str, PersistedDocument] = {}
        for document in documents:
            self.add(document)

    def add(self, document: PersistedDocument) -> None:
        """Add `document`; the same id with another text is a `ManifestError`."""
        known = self._documents.get(document.id)
        if known is not None and known.text != document.text:
            raise ManifestError(
                f"{document.source}: document id {document.id!r} has a different text than "
                f"the same id in {known.source}"
            )
        if known is None:
            self._documents[document.id] = document

    def get(self, document_id: str) -> PersistedDocument | None:
        """The document of `document_id`, or None."""
        return self._documents.get(document_id)

    def __len__(self) -> int:
        return len(self._documents)

    def __iter__(self) -> Iterator[PersistedDocument]:
        return iter(self._documents.values())


def load_manifests(paths: Iterable[str]) -> Manifest:
    """The documents of every manifest in `paths`, merged; a `ManifestError` names a bad one."""
    manifest = Manifest()
    for path in paths:
        for document in read_manifest(path):
            manifest.add(document)
    return manifest


def read_manifest(path: str) -> list[PersistedDocument]:
    """The documents of one manifest file, in either format."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest ({exc.strerror})") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: not a JSON manifest ({exc})") from None
    if isinstance(data, dict) and "format" in data:
        return _apollo(path, data)
    if isinstance(data, dict):
        return _relay(path, data)
    raise ManifestError(
        f"{path}: neither Relay's persisted output (an object of id to text) nor an "
        f"{APOLLO_FORMAT} (an object with `format` and `operations`)"
    )


def _relay(path: str, data: dict[str, object]) -> list[PersistedDocument]:
    documents = []
    for document_id, text in data.items():
        if not isinstance(text, str) or not text.strip():
            raise ManifestError(f"{path}: document id {document_id!r}: the text is not a string")
        documents.append(PersistedDocument(document_id, text, path, "relay"))
    return documents


def _apollo(path: str, data: dict[str, object]) -> list[PersistedDocument]:
    if data.get("format") != APOLLO_FORMAT or data.get("version") != 1:
        raise ManifestError(
            f"{path}: format {data.get('format')!r} version {data.get('version')!r} is not "
            f"{APOLLO_FORMAT} version 1"
        )
    operations = data.get("operations")
    if not isinstance(operations, list):
        raise ManifestError(f"{path}: `operations` is not a list")
    documents = []
    for position, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise ManifestError(f"{path}: operation {position} is not an object")
        document_id, body = operation.get("id"), operation.get("body")
        name, kind = operation.get("name"), operation.get("type")
        if not isinstance(document_id, str) or not document_id:
            raise ManifestError(f"{path}: operation {position} has no string `id`")
        where = f"{path}: document id {document_id!r}"
        if not isinstance(body, str) or not body.strip():
            raise ManifestError(f"{where}: `body` is not a string")
        if not isinstance(name, str | None):
            raise ManifestError(f"{where}: `name` is not a string")
        if kind not in _OPERATION_TYPES:
            raise ManifestError(f"{where}: `type` {kind!r} is not query, mutation or subscription")
        assert isinstance(kind, str)
        documents.append(PersistedDocument(document_id, body, path, "apollo", name, kind))
    return documents


__all__ = [
    "APOLLO_FORMAT",
    "Manifest",
    "ManifestError",
    "PersistedDocument",
    "load_manifests",
    "read_manifest",
]
