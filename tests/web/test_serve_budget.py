"""`serve --workers N`: the partner's call budget split among workers that share no Redis."""

from __future__ import annotations

from graphql_api.web.serving import shared_worker_state


def test_workers_without_redis_each_get_their_share_of_the_budget() -> None:
    env: dict[str, str] = {}
    with shared_worker_state(env, workers=4):
        assert env["UPSTREAM_RATE_PER_MINUTE"] == "100"
        assert env["UPSTREAM_RATE_BURST"] == "25"
    assert "UPSTREAM_RATE_PER_MINUTE" not in env
    assert "UPSTREAM_RATE_BURST" not in env


def test_workers_sharing_redis_share_the_whole_budget() -> None:
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0", "UPSTREAM_RATE_PER_MINUTE": "300"}
    with shared_worker_state(env, workers=4):
        assert env["UPSTREAM_RATE_PER_MINUTE"] == "300"
        assert "UPSTREAM_RATE_BURST" not in env


def test_a_budget_turned_off_stays_off_for_workers() -> None:
    env = {"UPSTREAM_RATE_PER_MINUTE": "0"}
    with shared_worker_state(env, workers=2):
        assert env["UPSTREAM_RATE_PER_MINUTE"] == "0"
        assert "UPSTREAM_RATE_BURST" not in env
