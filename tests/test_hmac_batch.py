"""The compiled batch HMAC is exactly HMAC-SHA256: the warehouses join on its keys."""

from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.hmac_batch import BLOCK, Keyed

# Lengths around the SHA-256 padding edges: one block holds 55 bytes of message, two 119.
EDGES = st.sampled_from([0, 1, 54, 55, 56, 63, 64, 65, 118, 119, 120, 200])
MESSAGES = st.one_of(
    st.none(),
    st.binary(max_size=130),
    EDGES.flatmap(lambda n: st.binary(min_size=n, max_size=n)),
)


def _expected(key: bytes, messages: list[bytes | None], chars: int = 64) -> list[str | None]:
    return [
        None if m is None else hmac.new(key, m, hashlib.sha256).hexdigest()[:chars]
        for m in messages
    ]


@settings(max_examples=60, deadline=None)
@given(
    key=st.binary(min_size=0, max_size=2 * BLOCK + 5),
    messages=st.lists(MESSAGES, max_size=40),
    chars=st.sampled_from([32, 64]),
)
def test_equals_python_hmac(key: bytes, messages: list[bytes | None], chars: int) -> None:
    got = Keyed(key).hex(pa.array(messages, pa.binary()), chars).to_pylist()
    assert got == _expected(key, messages, chars)


def test_text_chunked_and_sliced_arrays() -> None:
    """UTF-8 text is hashed as its bytes; a chunked or sliced array (an offset into its
    buffers, as DuckDB hands them) gives the same digests as a fresh one."""
    key = b"k" * 32
    texts = ["NIR:1850799912345", "PE:9000123A", "", None, "é€Œ", "x" * 70] * 7
    keyed = Keyed(key)
    expected = _expected(key, [None if t is None else t.encode() for t in texts], 32)
    assert keyed.hex(pa.array(texts), 32).to_pylist() == expected
    assert keyed.hex(pa.array(texts, pa.large_string()), 32).to_pylist() == expected
    chunked = pa.chunked_array([pa.array(texts[:5]), pa.array(texts[5:])])
    assert keyed.hex(chunked, 32).to_pylist() == expected
    assert keyed.hex(pa.array(texts).slice(3, 20), 32).to_pylist() == expected[3:23]
