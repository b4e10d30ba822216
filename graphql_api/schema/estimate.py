"""The upstream calls an operation will cause, estimated from its document and variables.

Partner Center's throttle is shared by every caller of the partner, so an operation may
spend only `GRAPHQL_MAX_UPSTREAM_CALLS`. `UpstreamBudget` (a schema extension) estimates the
operation before any resolver runs and refuses it whole, with `UPSTREAM_BUDGET_EXCEEDED` and
the estimate in `extensions`, when the estimate is over the bound; while it runs, the
request's `CallBudget` refuses any call past the bound before it is sent.

The estimate, per root field (fields merged by response name, as execution merges them;
`@skip`/`@include` counted as if they select):

- `customers(first, after)`: the list pages a window of `first` from that position reads,
  once per distinct window (aliases of one window share its calls),
  at the walk's page size (the cursor's, or min(first, UPSTREAM_PAGE_SIZE) for a new walk),
  plus one call per customer when the selection asks for a field a list item does not carry
  (billing profile, the full record's fields);
- `customer`, `node`: one call per distinct id (the full record carries both profiles);
- `_entities(representations)`: one per representation.

It is the expected cost, not a worst case: a list item that lacks a summary value it usually
carries costs a call more, which the running budget counts and refuses past the bound.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_operation_ast,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from ..config import Settings
from .context import RequestContext
from .cursors import CursorCodec, InvalidCursor
from .errors import ErrorCode
from .planning import LISTED_COMPANY_FIELDS_WITHOUT_A_CALL, LISTED_CUSTOMER_FIELDS_WITHOUT_A_CALL

_ONE_CALL_FIELDS = frozenset({"customer", "node"})
# The arguments that name one window of the customer list.
_WINDOW = ("first", "after", "search")


class _Selections:
    """Fields of selection sets with fragments inlined, grouped by response name."""

    def __init__(self, document: DocumentNode) -> None:
        self._fragments = {
            definition.name.value: definition.selection_set
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }

    def fields(self, selection_sets: list[SelectionSetNode]) -> dict[str, list[FieldNode]]:
        """The fields these sets select, by response name; each fragment is inlined once."""
        grouped: dict[str, list[FieldNode]] = {}
        pending = list(selection_sets)
        inlined: set[str] = set()
        while pending:
            for selection in pending.pop().selections:
                if isinstance(selection, FieldNode):
                    name = (selection.alias or selection.name).value
                    grouped.setdefault(name, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    spread = selection.name.value
                    # Spreading a fragment twice selects its fields once: they merge.
                    if spread not in inlined and spread in self._fragments:
                        inlined.add(spread)
                        pending.append(self._fragments[spread])
        return grouped

    def children(self, fields: list[FieldNode]) -> dict[str, list[FieldNode]]:
        """The merged sub-selection of same-named fields."""
        return self.fields([f.selection_set for f in fields if f.selection_set is not None])


def _variables(
    operation: OperationDefinitionNode, given: Mapping[str, Any] | None
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            values[definition.variable.name.value] = value_from_ast_untyped(
                definition.default_value
            )
    values.update(given or {})
    return values


def _argument(field: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for argument in field.arguments or ():
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value, variables)
    return None


class _Estimator:
    def __init__(
        self, document: DocumentNode, variables: dict[str, Any], settings: Settings
    ) -> None:
        self._selections = _Selections(document)
        self._variables = variables
        self._settings = settings.schema
        self._codec = CursorCodec(settings.schema.cursor_key)

    def operation(self, operation: OperationDefinitionNode) -> int:
        calls = 0
        # Aliases of one list window share its pages and per-customer calls, and one customer
        # asked for twice is loaded once: the loaders de-duplicate both within an operation.
        windows: dict[str, list[FieldNode]] = {}
        customer_ids: set[str] = set()
        for fields in self._selections.fields([operation.selection_set]).values():
            field_name = fields[0].name.value
            if field_name == "customers":
                key = repr([_argument(fields[0], name, self._variables) for name in _WINDOW])
                windows.setdefault(key, []).extend(fields)
            elif field_name in _ONE_CALL_FIELDS:
                customer_ids.add(repr(_argument(fields[0], "id", self._variables)))
            elif field_name == "_entities":
                representations = _argument(fields[0], "representations", self._variables)
                calls += len(representations) if isinstance(representations, list) else 0
        calls += sum(self._customers(fields) for fields in windows.values())
        return calls + len(customer_ids)

    def _customers(self, fields: list[FieldNode]) -> int:
        first = _argument(fields[0], "first", self._variables)
        if first is None:
            first = self._settings.customers_default_page_size
        if not isinstance(first, int) or isinstance(first, bool):
            return 0  # refused as BAD_USER_INPUT before any call
        first = max(0, min(first, self._settings.customers_max_page_size))
        offset, size = 0, max(1, min(first, self._settings.upstream_page_size))
        after = _argument(fields[0], "after", self._variables)
        if isinstance(after, str):
            try:
                cursor = self._codec.decode(after)
            except InvalidCursor:
                return 0  # refused as BAD_USER_INPUT before any call
            offset, size = cursor.offset, cursor.page_size
        pages = max(1, -(-(offset + first) // size))
        return pages + (first if self._customer_needs_a_call(fields) else 0)

    def _customer_needs_a_call(self, connections: list[FieldNode]) -> bool:
        parts = self._selections.children(connections)
        customers = list(parts.get("nodes", []))
        for edge in parts.get("edges", []):
            customers.extend(self._selections.children([edge]).get("node", []))
        for fields in self._selections.children(customers).values():
            field_name = fields[0].name.value
            if field_name not in LISTED_CUSTOMER_FIELDS_WITHOUT_A_CALL:
                return True
            if field_name == "companyProfile":
                profile = self._selections.children(fields)
                if any(
                    sub[0].name.value not in LISTED_COMPANY_FIELDS_WITHOUT_A_CALL
                    for sub in profile.values()
                ):
                    return True
        return False


def estimate_upstream_calls(
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    settings: Settings,
) -> int:
    """The upstream calls the operation is expected to cause (0 when there is no operation)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    return _Estimator(document, _variables(operation, variables), settings).operation(operation)


class UpstreamBudget(SchemaExtension):
    """Refuses, before any call, an operation estimated over GRAPHQL_MAX_UPSTREAM_CALLS."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        if isinstance(context, RequestContext) and execution.graphql_document is not None:
            bound = context.settings.server.max_upstream_calls
            estimate = estimate_upstream_calls(
                execution.graphql_document,
                execution.operation_name,
                execution.variables,
                context.settings,
            )
            if estimate > bound:
                # A result set here means Strawberry executes nothing.
                execution.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            f"This operation would make about {estimate} calls to Partner "
                            f"Center; one operation may make {bound} "
                            "(GRAPHQL_MAX_UPSTREAM_CALLS). Ask for fewer customers, aliases "
                            "or per-customer fields.",
                            extensions={
                                "code": ErrorCode.UPSTREAM_BUDGET_EXCEEDED.value,
                                "estimatedCalls": estimate,
                                "maxUpstreamCalls": bound,
                            },
                        )
                    ],
                )
        yield


__all__ = ["UpstreamBudget", "estimate_upstream_calls"]
