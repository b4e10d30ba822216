"""SPEED_LAYER_OFF: which pieces run, and the schema built with each off is the stock one."""

from __future__ import annotations

import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graphql_api.config import Settings
from graphql_api.schema import create_schema
from graphql_api.speed import ENVIRONMENT_VARIABLE, Piece, is_on, pieces_off
from graphql_api.speed.executor import LeanExecutionContext


def test_every_piece_is_on_by_default() -> None:
    assert pieces_off({}) == frozenset()
    assert all(is_on(piece, {}) for piece in Piece)


def test_all_turns_every_piece_off() -> None:
    assert pieces_off({ENVIRONMENT_VARIABLE: "all"}) == frozenset(Piece)


def test_pieces_are_named_in_a_comma_separated_list() -> None:
    off = pieces_off({ENVIRONMENT_VARIABLE: " Executor, wire ,"})
    assert off == {Piece.EXECUTOR, Piece.WIRE}


def test_an_unknown_piece_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: all, executor"):
        pieces_off({ENVIRONMENT_VARIABLE: "executor,turbo"})


def test_with_the_layer_on_the_schema_runs_the_lean_pieces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    schema = create_schema(Settings.from_env({}))
    assert schema.execution_context_class is LeanExecutionContext


def test_with_the_layer_off_the_schema_runs_stock_strawberry_and_graphql_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "all")
    schema = create_schema(Settings.from_env({}))
    assert schema.execution_context_class is StrawberryGraphQLCoreExecutionContext


def test_the_switch_is_a_setting_that_wins_over_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    schema = create_schema(Settings.from_env({ENVIRONMENT_VARIABLE: "executor"}))
    assert schema.execution_context_class is StrawberryGraphQLCoreExecutionContext
