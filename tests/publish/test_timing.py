"""Due times: delay, windows in a time zone, minimum gap, daily cap, FIFO, rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syndicate.accounts import TimingSettings, parse_window
from syndicate.model import Delivery, DeliveryStatus
from syndicate.publish.timing import plan

MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def queued(delivery_id: int, published: datetime, **extra: object) -> Delivery:
    return Delivery(
        id=delivery_id,
        post_pk=delivery_id,
        entry_id=f"tag:example,2026:{delivery_id}",
        account="x",
        status=DeliveryStatus.PENDING,
        published_at=published,
        created=published,
        updated=published,
        **extra,  # type: ignore[arg-type]
    )


def test_a_post_waits_for_the_delay_after_publication() -> None:
    timing = TimingSettings(delay=300)
    dues = plan([queued(1, MONDAY_NOON)], [], timing, MONDAY_NOON)
    assert dues == {1: MONDAY_NOON + timedelta(minutes=5)}


def test_a_late_plan_is_due_now_never_in_the_past() -> None:
    now = MONDAY_NOON + timedelta(hours=3)
    assert plan([queued(1, MONDAY_NOON)], [], TimingSettings(delay=60), now) == {1: now}


def test_outside_the_window_it_waits_for_the_next_opening_in_the_accounts_zone() -> None:
    # Friday 19:00 in Paris (18:00 UTC): after the window; Monday 09:00 Paris is 08:00 UTC.
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    timing = TimingSettings(delay=0, windows=("mon-fri 09:00-18:00",), timezone="Europe/Paris")
    dues = plan([queued(1, friday_evening)], [], timing, friday_evening)
    assert dues == {1: datetime(2026, 11, 30, 8, 0, tzinfo=UTC)}


def test_a_window_past_midnight_holds_the_small_hours() -> None:
    timing = TimingSettings(delay=0, windows=("22:00-02:00",))
    one_am = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert plan([queued(1, one_am)], [], timing, one_am) == {1: one_am}
    three_am = one_am + timedelta(hours=2)
    assert plan([queued(1, three_am)], [], timing, three_am) == {
        1: datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    }


def test_posts_leave_in_order_with_the_minimum_gap_after_the_last_sent() -> None:
    timing = TimingSettings(delay=0, min_gap=1800)
    last_sent = MONDAY_NOON - timedelta(minutes=10)
    queue = [queued(2, MONDAY_NOON + timedelta(seconds=1)), queued(1, MONDAY_NOON)]
    dues = plan(queue, [last_sent], timing, MONDAY_NOON)
    assert dues[1] == last_sent + timedelta(minutes=30)
    assert dues[2] == dues[1] + timedelta(minutes=30)


def test_the_daily_cap_moves_the_rest_to_the_next_days_first_window() -> None:
    timing = TimingSettings(delay=0, daily_cap=2, windows=("09:00-17:00",))
    queue = [queued(i, MONDAY_NOON + timedelta(seconds=i)) for i in range(1, 5)]
    dues = plan(queue, [MONDAY_NOON - timedelta(hours=1)], timing, MONDAY_NOON)
    tuesday_nine = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert dues[1] == MONDAY_NOON + timedelta(seconds=1)
    assert dues[2] == tuesday_nine and dues[3] == tuesday_nine
    assert dues[4] == tuesday_nine + timedelta(days=1)


def test_a_retry_time_and_a_rate_limit_reset_are_respected() -> None:
    timing = TimingSettings(delay=0)
    retry_at = MONDAY_NOON + timedelta(minutes=7)
    reset = MONDAY_NOON + timedelta(minutes=15)
    dues = plan([queued(1, MONDAY_NOON, not_before=retry_at)], [], timing, MONDAY_NOON)
    assert dues == {1: retry_at}
    dues = plan([queued(1, MONDAY_NOON)], [], timing, MONDAY_NOON, not_before=reset)
    assert dues == {1: reset}


@pytest.mark.parametrize(
    ("text", "days", "start", "end"),
    [
        ("mon-fri 09:00-18:00", {0, 1, 2, 3, 4}, 540, 1080),
        ("Sat 10:00-12:30", {5}, 600, 750),
        ("fri-mon 20:00-24:00", {4, 5, 6, 0}, 1200, 1440),
        ("08:30-20:00", set(range(7)), 510, 1200),
    ],
)
def test_windows_are_read_as_written(text: str, days: set[int], start: int, end: int) -> None:
    assert parse_window(text) == (frozenset(days), start, end)


@pytest.mark.parametrize("text", ["weekdays 9-5", "mon-fri 25:00-26:00", "10:00-10:00", "xyz"])
def test_a_window_that_means_nothing_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="window"):
        parse_window(text)
