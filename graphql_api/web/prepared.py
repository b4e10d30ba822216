"""Manifest documents parsed, validated and estimated once, at start, and never again.

`PreparedDocuments.prepare` runs each manifest document through the schema as a request
would be run (the same parser options, the same validation rules and document bounds),
stopping before execution, so a manifest holding a document that a request could not run
fails the start with a message naming its file and id. What that run made is kept for the
process's lifetime, outside the bounded caches that a flood of other documents could empty:

- the parsed document, handed to every request of that text (`PreparedParser`);
- the validation verdict: the validation cache passes a prepared document without a look;
- the upstream estimate's plan (schema/estimate.py), so a request only reads its
  arguments under its variables;
- the customer-needs plans of its operation, pinned (schema/planning.py).

Example:
    prepared = PreparedDocuments()
    schema = create_schema(settings, extensions=http_extensions(settings, prepared))
    prepared.prepare(schema, load_manifests(paths))
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import DocumentNode, ExecutionResult, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.schema.base import BaseSchema
from strawberry.types.graphql import OperationType

from ..schema.estimate import EstimatePlan
from ..schema.planning import pin_operation
from .document_cache import DocumentCache
from .manifest import Manifest, ManifestError, PersistedDocument

_ALL_OPERATION_TYPES = (OperationType.QUERY, OperationType.MUTATION, OperationType.SUBSCRIPTION)


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A manifest document as prepared: the id a client sends and what was made of its text."""

    id: str
    text: str
    document: DocumentNode
    # The operation's name (from the manifest, else from the text) and type.
    name: str | None
    operation_type: str
    plan: EstimatePlan


@dataclass(slots=True)
class _Preparing:
    """The context of a preparing run: it receives the parsed, validated document."""

    document: DocumentNode | None = None


@dataclass(slots=True)
class PreparedDocuments:
    """Every prepared manifest document, by id and by text (a request may send either)."""

    _by_id: dict[str, PreparedDocument] = field(default_factory=dict)
    _by_text: dict[str, PreparedDocument] = field(default_factory=dict)
    _by_document: dict[int, PreparedDocument] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[PreparedDocument]:
        return iter(self._by_id.values())

    def prepare(self, schema: BaseSchema, manifest: Manifest) -> None:
        """Parse, validate and plan every document of `manifest` (a `ManifestError` names one
        that fails); the schema must carry this object's extensions (`extensions()`)."""
        for persisted in manifest:
            self._add(persisted, self._run(schema, persisted))

    def get(self, document_id: str) -> PreparedDocument | None:
        """The prepared document of `document_id`, or None."""
        return self._by_id.get(document_id)

    def document(self, text: str | None) -> DocumentNode | None:
        """The parsed document of a prepared text (None for any other text)."""
        if text is None:
            return None
        found = self._by_text.get(text)
        return None if found is None else found.document

    def holds(self, document: DocumentNode) -> bool:
        """Whether `document` is a prepared one (so it passed validation at start)."""
        found = self._by_document.get(id(document))
        return found is not None and found.document is document

    def estimate_plan(
        self, document: DocumentNode, operation_name: str | None
    ) -> EstimatePlan | None:
        """The estimate's plan of a prepared document's operation (None for other documents)."""
        found = self._by_document.get(id(document))
        if found is None or found.document is not document:
            return None
        if operation_name is not None and operation_name != found.name:
            return None
        return found.plan

    def _run(self, schema: BaseSchema, persisted: PersistedDocument) -> DocumentNode:
        where = f"{persisted.source}: document id {persisted.id!r}"
        preparing = _Preparing()
        try:
            result = schema.execute_sync(
                persisted.text,
                context_value=preparing,
                operation_name=persisted.name,
                allowed_operation_types=_ALL_OPERATION_TYPES,
            )
        except Exception as exc:  # Strawberry raises when it cannot tell the operation
            raise ManifestError(f"{where}: {exc}") from None
        if result.errors:
            problems = "; ".join(error.message for error in result.errors)
            raise ManifestError(f"{where}: {problems}")
        if preparing.document is None:
            raise ManifestError(f"{where}: the schema lacks the prepared documents' extension")
        return preparing.document

    def _add(self, persisted: PersistedDocument, document: DocumentNode) -> None:
        where = f"{persisted.source}: document id {persisted.id!r}"
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1:
            raise ManifestError(f"{where}: a document must hold exactly one operation")
        operation = operations[0]
        kind = operation.operation.value
        if persisted.operation_type is not None and persisted.operation_type != kind:
            raise ManifestError(
                f"{where}: the manifest says {persisted.operation_type}, the text is a {kind}"
            )
        name = operation.name.value if operation.name else None
        if persisted.name is not None and persisted.name != name:
            raise ManifestError(
                f"{where}: the manifest names it {persisted.name!r}, the text {name!r}"
            )
        known = self._by_text.get(persisted.text)
        if known is not None:  # two ids for one text share what was made of it
            document = known.document
            operation = next(
                d for d in document.definitions if isinstance(d, OperationDefinitionNode)
            )
        prepared = PreparedDocument(
            id=persisted.id,
            text=persisted.text,
            document=document,
            name=name,
            operation_type=kind,
            plan=EstimatePlan(document, operation),
        )
        pin_operation(operation)
        self._by_id[persisted.id] = prepared
        self._by_text.setdefault(persisted.text, prepared)
        self._by_document.setdefault(id(document), prepared)


class PreparedParser(SchemaExtension):
    """The parser cache, handing a prepared text its document without any parser work; in a
    preparing run, it also keeps the validated document and stops before execution."""

    def __init__(self, prepared: PreparedDocuments, documents: DocumentCache) -> None:
        self._prepared = prepared
        self._documents = documents

    def on_parse(self) -> Iterator[None]:
        """The prepared document when there is one, else the document cache's parse."""
        context = self.execution_context
        found = self._prepared.document(context.query)
        if found is not None:
            context.graphql_document = found
        elif context.graphql_document is None and context.query is not None:
            context.graphql_document = self._documents.document(
                context.query, context.parse_options
            )
        yield

    def on_execute(self) -> Iterator[None]:
        """In a preparing run: keep the validated document; nothing executes."""
        context = self.execution_context
        preparing = context.context
        if isinstance(preparing, _Preparing):
            preparing.document = context.graphql_document
            # A result set here means Strawberry executes nothing.
            context.result = ExecutionResult(data=None)
        yield


class PreparedValidation(SchemaExtension):
    """Marks a prepared document as validated, before the validation cache looks at it.

    Strawberry runs validation only while `pre_execution_errors` is None; the validation
    cache (limits.py) asks `PreparedDocuments.holds` for the same reason.
    """

    def __init__(self, prepared: PreparedDocuments) -> None:
        self._prepared = prepared

    def on_validate(self) -> Iterator[None]:
        """No errors for a prepared document: it passed these rules at start."""
        context = self.execution_context
        document = context.graphql_document
        if document is not None and self._prepared.holds(document):
            context.pre_execution_errors = []
        yield


__all__ = [
    "PreparedDocument",
    "PreparedDocuments",
    "PreparedParser",
    "PreparedValidation",
]
