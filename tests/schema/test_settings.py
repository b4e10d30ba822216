"""Schema settings from the environment: page sizes, cursor secret, loader batch size."""

from __future__ import annotations

import pytest

from graphql_api.config import ConfigError, SchemaSettings


def test_defaults_when_nothing_is_set() -> None:
    settings = SchemaSettings.from_env({})
    assert settings.customers_default_page_size == 50
    assert settings.customers_max_page_size == 500
    assert settings.upstream_page_size == 500
    assert settings.loader_max_batch_size == 100
    assert len(settings.cursor_key) >= 16


def test_values_are_read_from_the_environment() -> None:
    settings = SchemaSettings.from_env(
        {
            "CUSTOMERS_DEFAULT_PAGE_SIZE": "20",
            "CUSTOMERS_MAX_PAGE_SIZE": "200",
            "UPSTREAM_PAGE_SIZE": "100",
            "CURSOR_SECRET": "a-shared-secret-of-some-length",
            "LOADER_MAX_BATCH_SIZE": "25",
        }
    )
    assert (settings.customers_default_page_size, settings.customers_max_page_size) == (20, 200)
    assert settings.upstream_page_size == 100
    assert settings.cursor_key == b"a-shared-secret-of-some-length"
    assert settings.loader_max_batch_size == 25


def test_without_cursor_secret_each_process_makes_its_own() -> None:
    assert SchemaSettings.from_env({}).cursor_key != SchemaSettings.from_env({}).cursor_key


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CURSOR_SECRET": "short"}, "CURSOR_SECRET"),
        ({"UPSTREAM_PAGE_SIZE": "501"}, "UPSTREAM_PAGE_SIZE"),
        ({"UPSTREAM_PAGE_SIZE": "0"}, "UPSTREAM_PAGE_SIZE"),
        ({"CUSTOMERS_DEFAULT_PAGE_SIZE": "60", "CUSTOMERS_MAX_PAGE_SIZE": "50"},
         "CUSTOMERS_DEFAULT_PAGE_SIZE"),
        ({"CUSTOMERS_MAX_PAGE_SIZE": "lots"}, "CUSTOMERS_MAX_PAGE_SIZE"),
        ({"LOADER_MAX_BATCH_SIZE": "0"}, "LOADER_MAX_BATCH_SIZE"),
    ],
)
def test_an_unusable_value_is_refused_naming_the_setting(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        SchemaSettings.from_env(env)


def test_the_cursor_secret_is_not_in_the_repr() -> None:
    settings = SchemaSettings.from_env({"CURSOR_SECRET": "do-not-print-this-secret"})
    assert "do-not-print-this-secret" not in repr(settings)
