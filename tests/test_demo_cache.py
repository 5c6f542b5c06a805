"""The demo warehouse's cache (tests/conftest.py): keyed by the digest of its inputs,
built once per digest, reused otherwise, older ones pruned."""

from __future__ import annotations

import os

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
    monkeypatch.setattr(conftest, "_build_demo_into", build)
    monkeypatch.setattr(conftest, "inputs_digest", lambda: next(digests))
    cache = tmp_path / "cache"
    assert conftest.cached_demo(cache) == cache / "demo-d1"
    assert conftest.cached_demo(cache) == cache / "demo-d1"
    assert len(builds) == 1  # same inputs: reused
    os.utime(cache / "demo-d1", (1, 1))  # long unused
    monkeypatch.setattr(conftest, "KEEP_DEMOS", 1)
    assert conftest.cached_demo(cache) == cache / "demo-d2"
    assert len(builds) == 2 and sorted(p.name for p in cache.iterdir()) == ["demo-d2"]
