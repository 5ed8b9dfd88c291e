"""The throttle of wrong admin tokens, on a clock the test moves."""

from __future__ import annotations

from syndicate.admin.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_may_fail_a_burst_then_waits_its_turn() -> None:
    clock = Clock()
    throttle = Throttle(per_client=5, overall=100, clock=clock)
    exhausted = [throttle.failed("a") for _ in range(5)]
    assert exhausted == [False] * 4 + [True]
    assert throttle.wait("a") == 12.0  # five a minute: one every 12 s
    assert throttle.wait("b") == 0  # another client is not held back
    clock.now += 12
    assert throttle.wait("a") == 0
    throttle.failed("a")
    assert throttle.wait("a") == 12.0


def test_everyone_together_is_held_when_the_overall_allowance_is_spent() -> None:
    clock = Clock()
    throttle = Throttle(per_client=10, overall=6, clock=clock)
    for n in range(6):
        throttle.failed(f"client-{n}")
    assert throttle.wait("anyone") == 10.0
    clock.now += 10
    assert throttle.wait("anyone") == 0


def test_clients_remembered_are_bounded() -> None:
    throttle = Throttle(clock=Clock())
    for n in range(10_050):
        throttle.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(throttle._clients) == 10_000
