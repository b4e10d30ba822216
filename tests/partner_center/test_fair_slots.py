"""FairSlots: one operation holds at most its share; freed slots go to waiters in turn."""

from __future__ import annotations

import asyncio

import pytest

from graphql_api.partner_center.fair_slots import FairSlots


class Calls:
    """Tasks that each hold a slot until the test releases them, recording grant order."""

    def __init__(self, slots: FairSlots) -> None:
        self.slots = slots
        self.granted: list[str] = []
        self._release: dict[str, asyncio.Event] = {}
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, owner: str, count: int) -> None:
        for number in range(count):
            name = f"{owner}{number}"
            self._release[name] = asyncio.Event()
            self.tasks.append(asyncio.create_task(self._hold(owner, name)))

    async def _hold(self, owner: str, name: str) -> None:
        async with self.slots.slot(owner):
            self.granted.append(name)
            await self._release[name].wait()

    async def release(self, name: str) -> None:
        self._release[name].set()
        for _ in range(5):
            await asyncio.sleep(0)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_one_owner_holds_at_most_its_share() -> None:
    calls = Calls(FairSlots(total=4, per_owner=2))
    calls.start("A", 10)
    await settle()
    assert calls.granted == ["A0", "A1"]
    assert calls.slots.in_use == 2
    await calls.release("A0")
    assert calls.granted == ["A0", "A1", "A2"]
    for task in calls.tasks:
        task.cancel()


async def test_a_small_operation_is_served_in_turn_beside_two_large_ones() -> None:
    calls = Calls(FairSlots(total=4, per_owner=2))
    calls.start("A", 30)
    calls.start("B", 30)
    await settle()
    calls.start("S", 3)
    await settle()
    assert calls.granted == ["A0", "A1", "B0", "B1"]
    # Each freed slot goes to the next waiting operation in turn: A, then B, then S.
    await calls.release("A0")
    await calls.release("B0")
    await calls.release("A1")
    assert calls.granted[4:] == ["A2", "B2", "S0"]
    # S's next call waits for one more turn of the others, not for their 56 queued calls.
    await calls.release("B1")
    await calls.release("A2")
    await calls.release("S0")
    assert calls.granted[7:] == ["A3", "B3", "S1"]
    for task in calls.tasks:
        task.cancel()


async def test_a_cancelled_waiter_leaves_the_queue_and_takes_no_slot() -> None:
    calls = Calls(FairSlots(total=1, per_owner=1))
    calls.start("A", 1)
    calls.start("B", 2)
    await settle()
    calls.tasks[1].cancel()  # B0, still waiting
    await settle()
    await calls.release("A0")
    assert calls.granted == ["A0", "B1"]
    assert calls.slots.in_use == 1
    await calls.release("B1")
    assert calls.slots.in_use == 0


async def test_a_waiter_cancelled_as_it_is_granted_hands_the_slot_on() -> None:
    slots = FairSlots(total=1, per_owner=1)
    calls = Calls(slots)
    calls.start("A", 1)
    await settle()
    waiter = asyncio.create_task(_take_and_keep(slots, "B"))
    calls.start("C", 1)
    await settle()
    calls._release["A0"].set()
    await asyncio.sleep(0)  # A's release grants B's slot; B has not run yet
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await settle()
    assert calls.granted == ["A0", "C0"]
    await calls.release("C0")
    assert slots.in_use == 0


async def _take_and_keep(slots: FairSlots, owner: str) -> None:
    async with slots.slot(owner):
        await asyncio.Event().wait()


def test_slot_counts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FairSlots(total=0, per_owner=1)
