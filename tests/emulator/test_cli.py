"""`graphql-api emulator` flags become an EmulatorConfig; bad ones stop before serving."""

from __future__ import annotations

import pytest

from graphql_api.cli import _parser, main
from graphql_api.emulator.serve import config_from_args


def test_flags_become_the_config() -> None:
    args = _parser().parse_args([
        "emulator", "--customers", "30", "--seed", "4", "--latency-ms", "5",
        "--throttle-per-minute", "500", "--retry-after", "7", "--error-rate", "0.1",
        "--throttle-rate", "0.2", "--hang-path", "/v1/customers/", "--hang-path", "/v1/x",
        "--customer-fault", "abc=403", "--customer-fault", "def/profiles/billing=bad_gateway",
        "--token-ttl", "60", "--no-bom", "--next-link-style", "legacy", "--end-with-seek-error",
    ])
    config = config_from_args(args)
    assert (config.customers, config.seed, config.latency_ms) == (30, 4, 5.0)
    assert (config.throttle_per_minute, config.retry_after_seconds) == (500, 7)
    assert (config.error_rate, config.throttle_rate) == (0.1, 0.2)
    assert config.hang_paths == ("/v1/customers/", "/v1/x")
    assert config.customer_faults == {"abc": 403, "def/profiles/billing": "bad_gateway"}
    assert (config.token_ttl_seconds, config.bom, config.next_link_style) == (60.0, False,
                                                                              "legacy")
    assert config.end_with_seek_error is True


def test_defaults_match_the_documented_ones() -> None:
    config = config_from_args(_parser().parse_args(["emulator"]))
    assert (config.customers, config.seed, config.throttle_per_minute, config.bom) == (
        2000, 1, 0, True)


def test_emulator_listens_on_the_documented_host_and_port_by_default() -> None:
    args = _parser().parse_args(["emulator"])
    assert (args.host, args.port, args.latency_ms) == ("127.0.0.1", 8081, 0.0)


@pytest.mark.parametrize("flags", [["--error-rate", "2"], ["--customer-fault", "abc"],
                                   ["--customer-fault", "abc=meteor"]])
def test_bad_flags_exit_2_without_serving(
    flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emulator", "--port", "1", *flags]) == 2
    assert "graphql-api emulator:" in capsys.readouterr().err
