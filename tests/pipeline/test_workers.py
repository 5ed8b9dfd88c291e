"""The forked helper that shares a mid-sized build's reading and rendering (workers._Helper):
its results are this process's own, and no failure of the child loses or repeats one."""

from __future__ import annotations

import gc
import os
import signal

import pytest

from syndicate.pipeline.workers import _Helper, _split_at

PARENT = os.getpid()


def square(i: int) -> tuple[int, int, bool]:
    return i, i * i, os.getpid() == PARENT


def test_the_child_does_the_jobs_past_start_and_this_process_the_rest() -> None:
    with _Helper(square, 10, 4) as helper:
        mine = [square(i) for i in range(helper.start)]
        theirs = list(helper.results())
    assert helper.start == 4
    assert [r[:2] for r in mine + theirs] == [(i, i * i) for i in range(10)]
    assert all(r[2] for r in mine) and not any(r[2] for r in theirs)
    assert gc.get_freeze_count() == 0


def test_a_child_that_fails_has_its_share_made_here() -> None:
    def fails_in_the_child(i: int) -> int:
        if os.getpid() != PARENT:
            raise RuntimeError("only in the child")
        return i

    with _Helper(fails_in_the_child, 6, 2) as helper:
        assert list(helper.results()) == [2, 3, 4, 5]


def test_a_child_killed_midway_has_its_share_made_here() -> None:
    def killed_in_the_child(i: int) -> int:
        if os.getpid() != PARENT and i == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return i

    with _Helper(killed_in_the_child, 6, 2) as helper:
        assert list(helper.results()) == [2, 3, 4, 5]


def test_an_error_of_the_job_itself_surfaces_as_in_process() -> None:
    def broken(i: int) -> int:
        if i == 4:
            raise ValueError("post 4 is broken")
        return i

    with _Helper(broken, 6, 2) as helper, pytest.raises(ValueError, match="post 4"):
        list(helper.results())


def test_results_not_wanted_stop_the_child() -> None:
    def slow(i: int) -> int:
        if os.getpid() != PARENT:
            signal.pause()  # until killed
        return i

    with _Helper(slow, 6, 2) as helper:
        child = helper._pid
    assert child is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # reaped: no zombie left behind
    assert gc.get_freeze_count() == 0


def test_without_jobs_past_start_nothing_is_forked() -> None:
    with _Helper(square, 3, 3) as helper:
        assert helper.start == 3 and helper._pid is None
        assert list(helper.results()) == []


@pytest.mark.parametrize(
    ("costs", "share", "at"),
    [([1] * 10, 0.6, 6), ([8] * 10, 0.4, 4), ([1, 1, 8, 8], 0.5, 3), ([], 0.5, 0), ([5], 0.4, 1)],
)
def test_the_split_follows_the_costs(costs: list[int], share: float, at: int) -> None:
    assert _split_at(costs, share) == at


class Unreadable:
    """Pickles, but fails to unpickle."""

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return _refuse, ()


def _refuse() -> None:
    raise TypeError("cannot be rebuilt")


def test_results_that_do_not_read_back_are_made_here() -> None:
    def odd(i: int) -> object:
        return Unreadable() if os.getpid() != PARENT else i

    with _Helper(odd, 5, 2) as helper:
        assert list(helper.results()) == [2, 3, 4]
