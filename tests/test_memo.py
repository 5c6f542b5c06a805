"""dashboard/memo.py: what the warehouse reads kept from Streamlit's caches when they left
them (a key computed once, copies or a shared object, errors not kept, a bounded size)."""

from __future__ import annotations

import threading

import pytest

from dashboard import db, memo
from dashboard.views import partition


def test_a_key_is_computed_once_while_other_callers_wait_for_it() -> None:
    started, release, calls = threading.Event(), threading.Event(), []

    @memo.memo(8)
    def slow(x: int) -> list[int]:
        calls.append(x)
        started.set()
        assert release.wait(60)
        return [x]

    results: list[list[int]] = []
    first = threading.Thread(target=lambda: results.append(slow(1)))
    first.start()
    assert started.wait(60)  # the first caller is computing the key
    second = threading.Thread(target=lambda: results.append(slow(1)))
    second.start()
    release.set()
    first.join(60)
    second.join(60)
    assert calls == [1] and results == [[1], [1]]


def test_another_key_is_not_held_up_by_one_under_way() -> None:
    started, release = threading.Event(), threading.Event()

    @memo.memo(8)
    def read(x: int) -> int:
        if x == 1:
            started.set()
            assert release.wait(60)
        return x * 10

    waiting = threading.Thread(target=read, args=(1,))
    waiting.start()
    assert started.wait(60)
    assert read(2) == 20  # returns while key 1 is still being computed
    release.set()
    waiting.join(60)


def test_a_copying_memo_gives_each_caller_its_own_value_a_sharing_one_the_same() -> None:
    @memo.memo(8)
    def copying(x: int) -> dict:
        return {"x": [x]}

    @memo.memo(8, copy=False)
    def sharing(x: int) -> dict:
        return {"x": [x]}

    got = copying(1)
    got["x"].append(2)
    assert copying(1) == {"x": [1]}
    assert sharing(1) is sharing(1)


def test_an_error_is_raised_to_its_caller_and_not_kept() -> None:
    outcomes = iter([ValueError("lecture impossible"), 3])

    @memo.memo(8)
    def flaky(x: int) -> int:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with pytest.raises(ValueError):
        flaky(1)
    assert flaky(1) == 3
    assert flaky(1) == 3  # kept once computed


def test_the_least_recently_used_value_goes_first() -> None:
    calls: list[int] = []

    @memo.memo(2)
    def read(x: int) -> int:
        calls.append(x)
        return x

    read(1), read(2), read(1), read(3)  # 2 is the least recently used when 3 comes
    assert len(read) == 2
    read(1)
    read(2)
    assert calls == [1, 2, 3, 2]


def test_underscore_parameters_are_not_part_of_the_key_and_keywords_are_refused() -> None:
    @memo.memo(8)
    def decide(month: str, _read) -> int:
        return _read()

    assert decide("2026-10", lambda: 1) == 1
    assert decide("2026-10", lambda: 2) == 1  # the reader is not the key
    with pytest.raises(TypeError):
        decide(month="2026-10", _read=lambda: 3)


def test_forget_clears_every_read_of_the_pages() -> None:
    """db.forget, what a benchmark or a test plays as a load, leaves no read behind: the
    warehouse reads and the masking decisions alike."""
    kept = [db._family, db._span, db._stock_grille, db._familles_grille, partition._decision]
    for made in kept:
        made._values[("clé",)] = "valeur"
    db.forget()
    assert [len(made) for made in kept] == [0] * len(kept)
    assert all(made in memo._MEMOS for made in kept)
