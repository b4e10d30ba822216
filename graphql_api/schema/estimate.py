"""The upstream calls an operation will cause, estimated from its document and variables.

Partner Center's throttle is shared by every caller of the partner, so an operation may
spend only `GRAPHQL_MAX_UPSTREAM_CALLS`. `UpstreamEstimate` (a schema extension) estimates the
operation before any resolver runs and refuses it whole, with `UPSTREAM_BUDGET_EXCEEDED` and
the estimate in `extensions`, when the estimate is over the bound; while it runs, the
request's `Allowance` refuses any call past the bound before it is sent.

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
from dataclasses import dataclass
from typing import Any, Protocol

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


@dataclass(frozen=True, slots=True)
class _RootField:
    """One response name at the operation's root, as far as the estimate cares."""

    # customers, customer, node or _entities.
    name: str
    # The first field of that response name: its arguments are the window or the id.
    field: FieldNode
    # For `customers`: whether a listed customer needs a call of its own.
    needs_a_call: bool


class EstimatePlan:
    """The part of an operation's estimate that its document alone fixes, worked out once.

    What remains per request is reading the arguments under the request's variables.
    """

    __slots__ = ("_operation", "_roots")

    def __init__(self, document: DocumentNode, operation: OperationDefinitionNode) -> None:
        selections = _Selections(document)
        roots = []
        for fields in selections.fields([operation.selection_set]).values():
            field_name = fields[0].name.value
            if field_name == "customers":
                needs = _customer_needs_a_call(selections, fields)
                roots.append(_RootField(field_name, fields[0], needs))
            elif field_name in _ONE_CALL_FIELDS or field_name == "_entities":
                roots.append(_RootField(field_name, fields[0], False))
        self._operation = operation
        self._roots = tuple(roots)

    @classmethod
    def of(cls, document: DocumentNode, operation_name: str | None) -> EstimatePlan | None:
        """The plan of the operation `operation_name` names (None when there is none)."""
        operation = get_operation_ast(document, operation_name)
        return None if operation is None else cls(document, operation)

    def calls(self, given: Mapping[str, Any] | None, settings: Settings) -> int:
        """The upstream calls the operation is expected to cause with these variables."""
        variables = _variables(self._operation, given)
        calls = 0
        # Aliases of one list window share its pages and per-customer calls, and one customer
        # asked for twice is loaded once: the loaders de-duplicate both within an operation.
        windows: dict[str, list[_RootField]] = {}
        customer_ids: set[str] = set()
        for root in self._roots:
            if root.name == "customers":
                key = repr([_argument(root.field, name, variables) for name in _WINDOW])
                windows.setdefault(key, []).append(root)
            elif root.name in _ONE_CALL_FIELDS:
                customer_ids.add(repr(_argument(root.field, "id", variables)))
            else:
                representations = _argument(root.field, "representations", variables)
                calls += len(representations) if isinstance(representations, list) else 0
        for roots in windows.values():
            calls += _window_calls(roots, variables, settings)
        return calls + len(customer_ids)


def _window_calls(roots: list[_RootField], variables: dict[str, Any], settings: Settings) -> int:
    schema_settings = settings.schema
    field = roots[0].field
    first = _argument(field, "first", variables)
    if first is None:
        first = schema_settings.customers_default_page_size
    if not isinstance(first, int) or isinstance(first, bool):
        return 0  # refused as BAD_USER_INPUT before any call
    first = max(0, min(first, schema_settings.customers_max_page_size))
    offset, size = 0, max(1, min(first, schema_settings.upstream_page_size))
    after = _argument(field, "after", variables)
    if isinstance(after, str):
        try:
            cursor = CursorCodec(schema_settings.cursor_key).decode(after)
        except InvalidCursor:
            return 0  # refused as BAD_USER_INPUT before any call
        offset, size = cursor.offset, cursor.page_size
    pages = max(1, -(-(offset + first) // size))
    return pages + (first if any(root.needs_a_call for root in roots) else 0)


def _customer_needs_a_call(selections: _Selections, connections: list[FieldNode]) -> bool:
    parts = selections.children(connections)
    customers = list(parts.get("nodes", []))
    for edge in parts.get("edges", []):
        customers.extend(selections.children([edge]).get("node", []))
    for fields in selections.children(customers).values():
        field_name = fields[0].name.value
        if field_name not in LISTED_CUSTOMER_FIELDS_WITHOUT_A_CALL:
            return True
        if field_name == "companyProfile":
            profile = selections.children(fields)
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
    plan = EstimatePlan.of(document, operation_name)
    return 0 if plan is None else plan.calls(variables, settings)


class EstimatePlans(Protocol):
    """Plans worked out ahead of requests (the manifest's documents), found by document."""

    def estimate_plan(
        self, document: DocumentNode, operation_name: str | None
    ) -> EstimatePlan | None:
        """The plan made for this document and operation, or None when none was made."""


class UpstreamEstimate(SchemaExtension):
    """Refuses, before any call, an operation estimated over GRAPHQL_MAX_UPSTREAM_CALLS.

    `plans` holds the plans of documents known ahead (a manifest's); others are planned per
    request.
    """

    def __init__(self, plans: EstimatePlans | None = None) -> None:
        self._plans = plans

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        document = execution.graphql_document
        if isinstance(context, RequestContext) and document is not None:
            bound = context.settings.server.max_upstream_calls
            plan = None
            if self._plans is not None:
                plan = self._plans.estimate_plan(document, execution.operation_name)
            if plan is None:
                plan = EstimatePlan.of(document, execution.operation_name)
            estimate = 0 if plan is None else plan.calls(execution.variables, context.settings)
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


__all__ = ["EstimatePlan", "EstimatePlans", "UpstreamEstimate", "estimate_upstream_calls"]
