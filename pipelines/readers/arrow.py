"""Python lists as Arrow arrays, without importing pandas.

`pa.array(list)` asks pandas whether the list is one of its types, and its first call
imports pandas: a third of a second, more than the rest of a small file's check (see
benchmarks/bench_startup.py). These build the same arrays from their buffers instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def strings(values: Sequence[str | None]) -> pa.Array:
    """Text values (None is NULL) as an Arrow (large) string array."""
    encoded = [b"" if v is None else v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=offsets[1:])
    nulls = np.fromiter((v is None for v in values), np.bool_, len(values))
    null_count = int(nulls.sum())
    validity = pa.py_buffer(np.packbits(~nulls, bitorder="little")) if null_count else None
    return pa.Array.from_buffers(
        pa.large_string(),
        len(values),
        [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
        null_count=null_count,
    )


def integers(values: Sequence[int]) -> pa.Array:
    """Whole numbers, none missing (line numbers), as an Arrow int64 array."""
    data = np.fromiter(values, np.int64, len(values))
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(data)])


def arrow_columns(columns: dict[str, list], integers_named: tuple[str, ...]) -> pa.Table:
    """Columns of Python values as an Arrow table: `integers_named` as int64, the others
    as text (`readers/columns.py` hands it to DuckDB)."""
    return pa.table(
        {
            name: integers(values) if name in integers_named else strings(values)
            for name, values in columns.items()
        }
    )
