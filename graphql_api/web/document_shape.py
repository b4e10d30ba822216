"""Measures a parsed GraphQL document's shape in time linear in its size, before validation.

What it measures, each bounded by a setting and refused by `shape_errors`:

- depth: the deepest field nesting of an operation, fragments inlined (introspection fields
  and leaves end a branch), as Strawberry's depth limiter counts it;
- aliases: aliased fields, each fragment counted once per spread of it, as Strawberry's alias
  limiter counts them (aliases multiply upstream calls);
- fragment definitions and fragment spreads, as written;
- selections in one selection set, as written;
- field merges: for every response path, the pairs of field nodes that land on it once
  fragments are inlined. graphql-core's OverlappingFieldsCanBeMerged rule compares such pairs,
  so a document repeating one field (or spreading one fragment into many) costs it time
  quadratic in the repeats; this count refuses such a document before that rule runs.

Strawberry's two limiters walk a fragment again at every spread of it, so a chain of
fragments each spreading the next twice costs them 2^n steps. Here each fragment is walked
once per measure (memoized), and the merge count walks each distinct selection set once per
depth level with the number of times it is included, so fragment chains cost what they weigh
in text. `DocumentShape.visits` counts the selections visited, which the tests use to show it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


@dataclass(frozen=True, slots=True)
class ShapeBounds:
    """The largest document shape accepted."""

    max_depth: int
    max_aliases: int
    max_fragments: int
    max_fragment_spreads: int
    max_selections: int
    max_field_merges: int


@dataclass(slots=True)
class DocumentShape:
    """What one document measured; `depths` by operation name ("anonymous" when unnamed)."""

    depths: dict[str, int]
    aliases: int
    fragments: int
    fragment_spreads: int
    largest_selection_set: int
    field_merges: int
    visits: int


class _Walker:
    """One document's fragments, with the depth and alias count of each, each found once."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments: dict[str, SelectionSetNode] = {}
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self.fragments.setdefault(definition.name.value, definition.selection_set)
        self.visits = 0
        # Counted as written, while `measure` walks each selection set once.
        self.spreads = 0
        self.inline_fragments = 0
        self.largest_selection_set = 0
        # Per fragment name: (depth reached below its selections, aliases it brings).
        self._fragment_measures: dict[str, tuple[int, int]] = {}
        self._in_progress: set[str] = set()

    def measure(self, selection_set: SelectionSetNode) -> tuple[int, int]:
        """(deepest nesting below these selections, aliases within them), fragments inlined."""
        depth = aliases = 0
        self.largest_selection_set = max(self.largest_selection_set, len(selection_set.selections))
        for selection in selection_set.selections:
            self.visits += 1
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    aliases += 1
                if selection.selection_set is None:
                    continue
                below, inner = self.measure(selection.selection_set)
                aliases += inner
                if not selection.name.value.startswith("__"):
                    depth = max(depth, 1 + below)
            elif isinstance(selection, InlineFragmentNode):
                self.inline_fragments += 1
                below, inner = self.measure(selection.selection_set)
                depth, aliases = max(depth, below), aliases + inner
            elif isinstance(selection, FragmentSpreadNode):
                self.spreads += 1
                below, inner = self._fragment(selection.name.value)
                depth, aliases = max(depth, below), aliases + inner
        return depth, aliases

    def _fragment(self, name: str) -> tuple[int, int]:
        known = self._fragment_measures.get(name)
        if known is not None:
            return known
        selection_set = self.fragments.get(name)
        # Unknown fragments and cycles are validation errors of their own; they add nothing.
        if selection_set is None or name in self._in_progress:
            return 0, 0
        self._in_progress.add(name)
        measured = self.measure(selection_set)
        self._in_progress.discard(name)
        self._fragment_measures[name] = measured
        return measured

    def field_merges(self, operation: OperationDefinitionNode, limit: int) -> int:
        """Pairs of field nodes sharing a response path, fragments inlined; stops past `limit`.

        A level is a map from selection set to how many times it is included there; each
        response name's fields become the next level of their response path, so a selection
        set included a million times is still walked once per level.
        """
        merges = 0
        levels: list[dict[int, tuple[SelectionSetNode, int]]] = [
            {id(operation.selection_set): (operation.selection_set, 1)}
        ]
        while levels:
            level = levels.pop()
            fields: dict[str, int] = defaultdict(int)
            children: dict[str, dict[int, tuple[SelectionSetNode, int]]] = defaultdict(dict)
            self._inline_fragments(level)
            for selection_set, weight in level.values():
                for selection in selection_set.selections:
                    self.visits += 1
                    if not isinstance(selection, FieldNode):
                        continue
                    name = (selection.alias or selection.name).value
                    fields[name] += weight
                    if selection.selection_set is not None:
                        _include(children[name], selection.selection_set, weight)
            for count in fields.values():
                merges += count * (count - 1) // 2
            if merges > limit:
                return merges
            levels.extend(children.values())
        return merges

    def _inline_fragments(self, level: dict[int, tuple[SelectionSetNode, int]]) -> None:
        """Add to `level` every selection set its fragments bring, with summed weights.

        Weights flow one generation of inclusion at a time; an acyclic document has no
        chain longer than its fragments and inline fragments, so a cycle (which validation
        refuses) stops there instead of looping.
        """
        pending = list(level.values())
        for _ in range(len(self.fragments) + self.inline_fragments):
            spread: dict[int, tuple[SelectionSetNode, int]] = {}
            for selection_set, weight in pending:
                for selection in selection_set.selections:
                    self.visits += 1
                    if isinstance(selection, InlineFragmentNode):
                        _include(spread, selection.selection_set, weight)
                    elif isinstance(selection, FragmentSpreadNode):
                        included = self.fragments.get(selection.name.value)
                        if included is not None:
                            _include(spread, included, weight)
            if not spread:
                return
            for selection_set, weight in spread.values():
                _include(level, selection_set, weight)
            pending = list(spread.values())


def _include(
    level: dict[int, tuple[SelectionSetNode, int]], selection_set: SelectionSetNode, weight: int
) -> None:
    known = level.get(id(selection_set))
    level[id(selection_set)] = (selection_set, weight + (known[1] if known else 0))


def measure_document(document: DocumentNode, *, max_field_merges: int) -> DocumentShape:
    """The document's shape; counting field merges stops once past `max_field_merges`."""
    walker = _Walker(document)
    operations = [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    depths: dict[str, int] = {}
    aliases = 0
    for operation in operations:
        depth, found = walker.measure(operation.selection_set)
        name = operation.name.value if operation.name else "anonymous"
        depths[name] = max(depth, depths.get(name, 0))
        aliases += found
    merges = 0
    for operation in operations:
        merges += walker.field_merges(operation, max_field_merges - merges)
        if merges > max_field_merges:
            break
    return DocumentShape(
        depths=depths,
        aliases=aliases,
        fragments=sum(
            isinstance(definition, FragmentDefinitionNode) for definition in document.definitions
        ),
        fragment_spreads=walker.spreads,
        largest_selection_set=walker.largest_selection_set,
        field_merges=merges,
        visits=walker.visits,
    )


def shape_errors(document: DocumentNode, bounds: ShapeBounds) -> list[GraphQLError]:
    """The bounds this document passes, as validation errors naming each one (none: it fits)."""
    shape = measure_document(document, max_field_merges=bounds.max_field_merges)
    errors = [
        GraphQLError(f"'{name}' exceeds maximum operation depth of {bounds.max_depth}")
        for name, depth in shape.depths.items()
        if depth > bounds.max_depth
    ]
    checks = (
        (shape.aliases, bounds.max_aliases, "aliases found. Allowed: {}", None),
        (
            shape.fragments,
            bounds.max_fragments,
            "fragment definitions found.",
            "GRAPHQL_MAX_FRAGMENTS",
        ),
        (
            shape.fragment_spreads,
            bounds.max_fragment_spreads,
            "fragment spreads found.",
            "GRAPHQL_MAX_FRAGMENT_SPREADS",
        ),
        (
            shape.largest_selection_set,
            bounds.max_selections,
            "selections in one selection set.",
            "GRAPHQL_MAX_SELECTIONS",
        ),
        (
            shape.field_merges,
            bounds.max_field_merges,
            "pairs of fields to merge on one response path (repeated fields or fragments).",
            "GRAPHQL_MAX_FIELD_MERGES",
        ),
    )
    for found, bound, what, setting in checks:
        if found <= bound:
            continue
        if setting is None:  # Strawberry's alias limiter's wording, which callers may know
            errors.append(GraphQLError(f"{found} {what.format(bound)}"))
        else:
            errors.append(GraphQLError(f"{found} {what} Allowed: {bound} ({setting})"))
    return errors


__all__ = ["DocumentShape", "ShapeBounds", "measure_document", "shape_errors"]
