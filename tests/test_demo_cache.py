"""The demo warehouse's cache (tests/conftest.py): keyed by the digest of its inputs,
built once per digest, reused otherwise, older ones pruned."""

from __future__ import annotations

import fcntl
import os
import shutil

import pytest

from tests import conftest


def _tree(root, text: str) -> None:
    for folder in ("sample_data", "pipelines"):
        (root / folder / "sub").mkdir(parents=True, exist_ok=True)
        (root / folder / "sub" / "a.sql").write_text(text, encoding="utf-8")


def test_the_digest_follows_every_input_byte(tmp_path) -> None:
    _tree(tmp_path, "SELECT 1")
    folders = ("sample_data", "pipelines")
    first = conftest.inputs_digest(tmp_path, folders)
    assert conftest.inputs_digest(tmp_path, folders) == first
    (tmp_path / "pipelines" / "sub" / "a.sql").write_text("SELECT 2", encoding="utf-8")
    assert conftest.inputs_digest(tmp_path, folders) != first
    (tmp_path / "pipelines" / "sub" / "a.sql").write_text("SELECT 1", encoding="utf-8")
    (tmp_path / "pipelines" / "sub" / "b.sql").write_text("", encoding="utf-8")  # a new file
    assert conftest.inputs_digest(tmp_path, folders) != first


def test_a_cached_demo_is_built_once_per_digest_and_old_ones_pruned(tmp_path, monkeypatch):
    builds: list = []

    def build(folder) -> None:
        builds.append(folder)
        (folder / "pilotage.duckdb").write_bytes(b"warehouse")

    digests = iter(["d1", "d1", "d2"])
    monkeypatch.setattr(conftest, "build_demo_into", build)
    monkeypatch.setattr(conftest, "inputs_digest", lambda: next(digests))
    cache = tmp_path / "cache"
    assert conftest.cached_demo(cache) == cache / "demo-d1"
    assert conftest.cached_demo(cache) == cache / "demo-d1"
    assert len(builds) == 1  # same inputs: reused
    os.utime(cache / "demo-d1", (1, 1))  # long unused
    monkeypatch.setattr(conftest, "KEEP_DEMOS", 1)
    assert conftest.cached_demo(cache) == cache / "demo-d2"
    assert len(builds) == 2 and [p.name for p in cache.iterdir() if p.is_dir()] == ["demo-d2"]


def test_pruning_leaves_a_warehouse_another_process_is_copying(tmp_path):
    cache = tmp_path / "cache"
    for digest in ("d1", "d2"):
        (cache / f"demo-{digest}").mkdir(parents=True)
    with conftest.demo_lock(cache, "d1").open("a") as other:  # another worker's copy
        fcntl.flock(other, fcntl.LOCK_EX)
        conftest._prune(cache, keep=0)
        assert [p.name for p in cache.iterdir() if p.is_dir()] == ["demo-d1"]
    conftest._prune(cache, keep=0)
    assert [p.name for p in cache.iterdir() if p.is_dir()] == []


def _held_elsewhere(lock) -> bool:
    """Whether another open file description holds `lock` (as another xdist worker's would)."""
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_a_build_and_the_copy_hold_the_cache_lock(tmp_path, monkeypatch):
    """The suite's xdist workers share the cache: while one builds (or copies) the demo
    warehouse, the others wait on the cache's lock, then copy the same warehouse; a build
    that died half-way leaves nothing that is taken for a warehouse."""
    cache = tmp_path / "cache"
    seen: list[bool] = []

    def build(folder) -> None:
        seen.append(_held_elsewhere(conftest.demo_lock(cache, "d1")))
        (folder / "pilotage.duckdb").write_bytes(b"warehouse")

    monkeypatch.setattr(conftest, "build_demo_into", build)
    monkeypatch.setattr(conftest, "inputs_digest", lambda: "d1")
    copied: list[bool] = []
    real_copytree = shutil.copytree

    def copytree(src, dst, **options):
        copied.append(_held_elsewhere(conftest.demo_lock(cache, "d1")))
        return real_copytree(src, dst, **options)

    monkeypatch.setattr(conftest.shutil, "copytree", copytree)
    conftest.cached_demo(cache, into=tmp_path / "worker")
    assert seen == [True] and copied == [True]
    assert (tmp_path / "worker" / "pilotage.duckdb").read_bytes() == b"warehouse"
    assert not _held_elsewhere(conftest.demo_lock(cache, "d1"))  # released afterwards


def test_a_build_that_fails_leaves_no_warehouse(tmp_path, monkeypatch):
    cache = tmp_path / "cache"

    def broken(folder) -> None:
        (folder / "pilotage.duckdb").write_bytes(b"half")
        raise RuntimeError("arrêt en cours de construction")

    monkeypatch.setattr(conftest, "build_demo_into", broken)
    monkeypatch.setattr(conftest, "inputs_digest", lambda: "d1")
    with pytest.raises(RuntimeError):
        conftest.cached_demo(cache)
    assert sorted(p.name for p in cache.iterdir()) == ["demo-d1.lock"]
