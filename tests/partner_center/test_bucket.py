"""The partner's call budget as a token bucket, on a clock the tests move by hand."""

from __future__ import annotations

import pytest

from graphql_api.partner_center.bucket import MemoryBucket
from tests.clocks import HandClock


def test_a_full_bucket_grants_its_burst_at_once_then_refuses_past_the_wait() -> None:
    clock = HandClock()
    bucket = MemoryBucket(rate_per_minute=60, burst=3, clock=clock)
    grants = [bucket.take_now(max_wait=0) for _ in range(4)]
    assert [g.granted for g in grants] == [True, True, True, False]
    assert grants[3].wait == pytest.approx(1.0)


def test_a_call_within_the_wait_reserves_its_turn() -> None:
    clock = HandClock()
    bucket = MemoryBucket(rate_per_minute=60, burst=1, clock=clock)
    bucket.take_now(max_wait=0)
    second = bucket.take_now(max_wait=5)
    third = bucket.take_now(max_wait=5)
    assert second.granted
    assert second.wait == pytest.approx(1.0)
    assert third.granted
    assert third.wait == pytest.approx(2.0)


def test_one_minute_grants_at_most_the_rate_plus_the_burst() -> None:
    clock = HandClock()
    bucket = MemoryBucket(rate_per_minute=400, burst=100, clock=clock)
    granted = 0
    for _ in range(6000):  # one attempt every 10 ms for a minute
        granted += bucket.take_now(max_wait=0).granted
        clock.now += 0.01
    assert granted <= 500
    assert granted >= 490


def test_a_pause_refuses_every_call_until_it_ends() -> None:
    clock = HandClock()
    bucket = MemoryBucket(rate_per_minute=60, burst=10, clock=clock)
    bucket.pause_now(30)
    refused = bucket.take_now(max_wait=5)
    clock.now += 30
    granted = bucket.take_now(max_wait=0)
    assert not refused.granted
    assert refused.wait == pytest.approx(30)
    assert granted.granted
