"""Fixed-width files cut by offsets with array operations (numpy, Arrow), batch by batch.

The layout gives each field's offset and width in characters. In ISO-8859-1 and
Windows-1252 a character is a byte, and so it is in UTF-8 as long as a line is ASCII, so a
field is a run of bytes at a known distance from its line's start: the whole cut is a few
array operations per field and batch, never a Python call per line. A batch is a run of
whole lines, read 4 MB at a time (only the kept fields stay in memory, a quarter of the
file; small batches keep each field's gather in the processor's cache), held as *code
units*, one array element per character:

- ISO-8859-1, Windows-1252, and UTF-8 text that is pure ASCII: the bytes themselves
  (`uint8`), mapped to characters at the end through a 256-entry table;
- UTF-8 holding other characters: the batch is decoded by Python's codec in one call (C
  speed, strict, so invalid UTF-8 is refused as DuckDB's reader did) and re-encoded one
  byte per character (Latin-1) when every character fits, else as UTF-32 (`uint32`). Only
  such batches pay for it, and a line's offsets stay counted in characters.

The batch's lines are seen as rows of a matrix (a strided view when they are evenly
spaced and none is short, the usual file; else one gathered copy where short lines get
blanks past their end), each field is copied out as a (lines, width) block (each line's
field copied as one item), and turned into an Arrow string column: an ASCII block is
handed over as it is, its blank (or all-zero) rows made NULL by a validity bitmap that
numpy finds comparing rows as byte strings, trimmed by Arrow's `ascii_trim` where the
field is trimmed; any other block (accents, UTF-32 units, a line ending inside a fixed
field) is encoded to UTF-8 by table or by arithmetic on code points, still on whole
blocks, then trimmed or compared with blanks by Arrow kernels.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.readers.encoding import UTF8_BOM, FileFacts, open_bytes

BATCH_BYTES = 4 * 1024 * 1024
NEWLINE, CR, BLANK, ZERO = 10, 13, 32, 48


class UndecodableBytes(ValueError):
    """The file's bytes are not valid in the encoding tried (the caller tries the next one)."""


@dataclass(frozen=True)
class FieldCut:
    """One field to cut: 0-based offset and width in characters.

    `fixed`: values fill the width, so the cut is kept as is and only an all-blank value is
    NULL (a partly blank one is left for the checks to reject); otherwise blanks are trimmed
    from both ends and an empty value is NULL. `zeros_null`: all zeros is NULL too (dates).
    """

    name: str
    offset: int
    width: int
    fixed: bool = False
    zeros_null: bool = False


@dataclass
class Scan:
    """What the reader learns about the file's lines as the batches go by.

    `last_line_no` is the last line that is not empty, `last_text` its text (right-trimmed)
    when its first character is not `detail_type`; `lines` counts every line, blank ones too.
    """

    detail_type: str
    lines: int = 0
    last_line_no: int = 0
    last_text: str | None = None


def _codepoints(encoding: str) -> np.ndarray:
    """Code point of each byte value (U+FFFD for the 5 bytes Windows-1252 leaves undefined)."""
    text = bytes(range(256)).decode(encoding, errors="replace")
    return np.array([ord(c) for c in text], dtype=np.uint32)


def _utf8_parts(cp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 encoding of code points: (lengths 1-4, bytes padded to 4 in a last axis)."""
    nbytes = (1 + (cp >= 0x80) + (cp >= 0x800) + (cp >= 0x10000)).astype(np.uint8)
    one, two, three = nbytes == 1, nbytes == 2, nbytes == 3
    cont = [(0x80 | ((cp >> shift) & 0x3F)) for shift in (0, 6, 12)]
    b0 = np.where(
        one,
        cp,
        np.where(two, 0xC0 | (cp >> 6), np.where(three, 0xE0 | (cp >> 12), 0xF0 | (cp >> 18))),
    )
    b1 = np.where(two, cont[0], np.where(three, cont[1], cont[2]))
    b2 = np.where(three, cont[0], cont[1])
    out = np.stack([b0, b1, b2, cont[0]], axis=-1).astype(np.uint8)
    return nbytes, out


@dataclass(frozen=True)
class _Units:
    """One batch as code units, and how they become text.

    `utf8`: UTF-8 (lengths, bytes) of each of the 256 values of a `uint8` unit, through the
    encoding's table (None for `uint32` units, which are code points); `codec` decodes a
    slice back to text (one line: the footer).
    """

    data: np.ndarray  # units of the batch, followed by blanks (see `_with_blank_tail`)
    size: int  # units that belong to the batch
    utf8: tuple[np.ndarray, np.ndarray] | None
    codec: str

    def text(self, start: int, stop: int) -> str:
        chunk = self.data[start:stop]
        if chunk.dtype == np.uint32:
            return chunk.tobytes().decode("utf-32-le")
        return chunk.tobytes().decode(self.codec, errors="replace")


class _Decoder:
    """Turns a batch's bytes into code units for one encoding (see the module docstring)."""

    def __init__(self, facts: FileFacts) -> None:
        if facts.cp1252:
            self.mode, self.codec = "single", "cp1252"
        elif facts.duckdb_encoding == "latin-1":
            self.mode, self.codec = "latin-1", "latin-1"
        else:
            self.mode, self.codec = "utf-8", "latin-1"
        self.utf8 = _utf8_parts(_codepoints(self.codec))

    def units(self, raw: np.ndarray, size: int, pad: int) -> _Units:
        """`raw[:size]` are the batch's bytes, `raw[size:size + pad]` blanks."""
        batch = raw[:size]
        if self.mode == "latin-1" and not _is_ascii(batch) and _has_c1(batch):
            # DuckDB's Latin-1 reader refused these (unused in ISO-8859-1): Windows-1252.
            raise UndecodableBytes("octets 0x80-0x9F")
        if self.mode != "utf-8" or _is_ascii(batch):
            return _Units(raw, size, self.utf8, self.codec)
        try:
            text = batch.tobytes().decode("utf-8")
        except UnicodeDecodeError as error:
            raise UndecodableBytes("UTF-8 invalide") from error
        try:
            data = np.frombuffer(text.encode("latin-1"), dtype=np.uint8)
            utf8, codec = _LATIN1_UTF8, "latin-1"
        except UnicodeEncodeError:
            data = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
            utf8, codec = None, "utf-32-le"
        return _Units(_with_blank_tail(data, pad), len(data), utf8, codec)


_LATIN1_UTF8 = _utf8_parts(_codepoints("latin-1"))


def _is_ascii(batch: np.ndarray) -> bool:
    return bool(batch.size == 0 or batch.max() < 0x80)


def _has_c1(batch: np.ndarray) -> bool:
    """Any byte in 0x80-0x9F: adding 0x80 (wrapping) sends those, and only those, below
    0x20, and a minimum is one fast pass."""
    return bool(batch.size and np.add(batch, np.uint8(0x80)).min() < 0x20)


def _with_blank_tail(units: np.ndarray, pad: int) -> np.ndarray:
    out = np.empty(len(units) + pad, dtype=units.dtype)
    out[: len(units)] = units
    out[len(units) :] = BLANK
    return out


def _raw_batches(facts: FileFacts, pad: int, batch_bytes: int) -> Iterator[tuple[np.ndarray, int]]:
    """(buffer, size): whole lines in `buffer[:size]` (the file's last line may lack its
    newline), then `pad` blanks. The UTF-8 BOM is skipped. A line longer than a batch
    grows the batch until it fits."""
    carry = np.empty(0, dtype=np.uint8)
    first = True
    with open_bytes(facts.path) as f:
        eof = False
        while not eof:
            capacity = max(batch_bytes, 2 * len(carry))
            buf = np.empty(capacity + pad, dtype=np.uint8)
            buf[: len(carry)] = carry
            filled = len(carry)
            view = memoryview(buf)
            while filled < capacity:
                got = f.readinto(view[filled:capacity])
                if not got:
                    eof = True
                    break
                filled += got
            start = 0
            if first:
                first = False
                if facts.bom and bytes(buf[:3]) == UTF8_BOM:
                    start = 3
            end = filled if eof else _after_last_newline(buf, start, filled)
            if end is None:  # no newline yet: read on with a bigger batch
                carry = buf[start:filled].copy()
                continue
            carry = buf[end:filled].copy()
            buf[end : end + pad] = BLANK
            if end > start:
                yield buf[start:], end - start


def _after_last_newline(buf: np.ndarray, start: int, stop: int) -> int | None:
    """Position after the last newline of `buf[start:stop]`, found from the end."""
    tail = 1 << 16
    while True:
        lo = max(start, stop - tail)
        hits = np.flatnonzero(buf[lo:stop] == NEWLINE)
        if hits.size:
            return lo + int(hits[-1]) + 1
        if lo == start:
            return None
        tail *= 4


def _newlines(units: np.ndarray) -> np.ndarray:
    """Positions of the newlines.

    Usual file first: when the first line's length repeats (every line the same length),
    the predicted positions are checked, and the count of newlines proves there is no
    other. Otherwise one `flatnonzero` pass (measured: twice as fast as looking into the
    8-byte words that hold a newline).
    """
    eq = units == NEWLINE
    count = int(np.count_nonzero(eq))
    first = int(eq[: 1 << 16].argmax()) if count else -1
    if first >= 0 and eq[first]:
        predicted = np.arange(first, len(eq), first + 1)
        if len(predicted) == count and eq[predicted].all():
            return predicted
    return np.flatnonzero(eq)


def _lines(units: _Units) -> tuple[np.ndarray, np.ndarray]:
    """(start, length) of every line of the batch, newline and carriage return removed."""
    nl = _newlines(units.data[: units.size])
    starts = np.concatenate([[0], nl + 1])
    ends = np.concatenate([nl, [units.size]])
    if starts[-1] == units.size:  # the batch ends with a newline: no line after it
        starts, ends = starts[:-1], ends[:-1]
    has_cr = (ends > starts) & (units.data[np.maximum(ends - 1, 0)] == CR)
    return starts, ends - starts - has_cr


def _windows(units: _Units, width: int) -> np.ndarray:
    return np.lib.stride_tricks.sliding_window_view(units.data, width)


def _rows(units: _Units, starts: np.ndarray, lengths: np.ndarray, width: int) -> np.ndarray:
    """(lines, width) units from each line's start, blanks past the line's end.

    A strided view when the lines are evenly spaced and none ends before `width` (the
    usual file: no copy); else one gathered copy, where the lines that end early (trailing
    blanks stripped) get blanks past their end, once for every field.
    """
    if len(starts) > 1 and lengths.min() >= width:
        step = np.diff(starts)
        if (step == step[0]).all():
            item = units.data.itemsize
            return np.lib.stride_tricks.as_strided(
                units.data[starts[0] :], shape=(len(starts), width), strides=(step[0] * item, item)
            )
    rows = _windows(units, width)[starts]
    short = np.flatnonzero(lengths < width)
    if short.size:
        part = rows[short]
        part[np.arange(width) >= lengths[short, None]] = BLANK
        rows[short] = part
    return rows


def _block(rows: np.ndarray, lengths: np.ndarray, offset: int, width: int):
    """(units of the field per line, blanks past the line's end; units present per line).

    `rows` already holds blanks past each line's end (`_rows`). The copy goes through a
    view of each line's field as one item (`V<width>`): numpy then copies items, not
    `width` single units per line (3x faster, measured).
    """
    present = np.clip(lengths - offset, 0, width)
    field = rows[:, offset : offset + width]
    item = np.dtype((np.void, width * rows.itemsize))
    block = field.view(item).copy().view(rows.dtype).reshape(len(rows), width)
    return block, present


def _strings(units: _Units, block: np.ndarray, present: np.ndarray) -> pa.Array:
    """Arrow strings of the block's rows, UTF-8 encoded.

    A row holds `block[i]` whole, or only `block[i, :present[i]]` when the line ends inside
    the field (0 < present < width: rare, cut short). An ASCII block with no such row is
    handed to Arrow as it is, offsets every `width` bytes, without a copy.
    """
    n, width = block.shape
    partial = (present > 0) & (present < width)
    if block.dtype != np.uint8 and block.max(initial=0) < 0x80:
        block = block.astype(np.uint8)  # UTF-32 units, ASCII in this field
    if block.dtype == np.uint8 and block.max(initial=0) < 0x80:
        if not partial.any():
            offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
            return _from_buffers(n, offsets, block.reshape(-1))
        keep = np.arange(width) < np.where(partial, present, width)[:, None]
        return _from_buffers(n, _offsets(keep.sum(axis=1)), block[keep])
    if block.dtype == np.uint8:
        nbytes, parts = units.utf8[0][block], units.utf8[1][block]
    else:
        nbytes, parts = _utf8_parts(block)
    if partial.any():
        keep = np.arange(width) < np.where(partial, present, width)[:, None]
        nbytes = np.where(keep, nbytes, 0).astype(np.uint8)
    data = parts[np.arange(4) < nbytes[..., None]]
    return _from_buffers(n, _offsets(nbytes.sum(axis=1, dtype=np.int64)), data)


def _offsets(lengths: np.ndarray) -> np.ndarray:
    out = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=out[1:])
    return out


def _from_buffers(n: int, offsets: np.ndarray, data: np.ndarray) -> pa.Array:
    data = np.ascontiguousarray(data)
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)], null_count=0
    )


def _numeric(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """A numpy array of numbers or booleans as an Arrow array, without a copy of numbers.
    Not `pa.array`: on a numpy array it imports pandas (half a second) to look for pandas
    types."""
    validity = None if null is None else _validity(null)
    if values.dtype == np.bool_:
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
        return pa.Array.from_buffers(pa.bool_(), len(values), [validity, data])
    kind = pa.from_numpy_dtype(values.dtype)
    return pa.Array.from_buffers(kind, len(values), [validity, pa.py_buffer(values)])


_ZERO = _numeric(np.zeros(1, dtype=np.int32))[0]  # string lengths are int32


@functools.cache
def _text(value: str) -> pa.Scalar:
    """An Arrow string scalar, taken from a one-value array: `pa.scalar` and the Python
    values the compute functions convert import pandas too."""
    data = value.encode()
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32))
    return pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(data)])[0]


def _null_where(values: pa.Array, null: pa.Array) -> pa.Array:
    """`values` with the rows where `null` is true made NULL (the data stays as it is)."""
    if not pc.any(null).as_py():
        return values
    validity = pc.invert(null)
    return pa.Array.from_buffers(
        pa.string(), len(values), [validity.buffers()[1], *values.buffers()[1:]]
    )


def _all_equal(block: np.ndarray, unit: int) -> np.ndarray:
    """Rows of a `uint8` block made only of `unit`: each row compared as one byte string
    (numpy compares whole items; a row-wise `all` walks `width` units per row, 3x slower)."""
    width = block.shape[1]
    return block.view(f"S{width}")[:, 0] == bytes([unit]) * width


def _validity(null: np.ndarray) -> pa.Buffer | None:
    """Arrow validity bitmap: a row is valid unless `null` (None when no row is null)."""
    return pa.py_buffer(np.packbits(~null, bitorder="little")) if null.any() else None


def _cut_field(units: _Units, rows: np.ndarray, lengths, cut: FieldCut) -> pa.Array:
    """The field's values, as the SQL cut gave them: see `FieldCut`.

    An ASCII block (the usual case: codes, dates, identifiers, upper-case names) is
    handed to Arrow as it is; blank (and all-zero) rows are found by numpy on the block
    and become NULL through a validity bitmap. Anything else (accents, a fixed field a
    line ends inside of) takes the general path below.
    """
    block, present = _block(rows, lengths, cut.offset, cut.width)
    partial = cut.fixed and bool(((present > 0) & (present < cut.width)).any())
    if block.dtype != np.uint8 or partial or not _is_ascii(block):
        return _cut_general(units, block, present, cut)
    n, width = block.shape
    null = _all_equal(block, BLANK)
    if cut.zeros_null:
        null |= _all_equal(block, ZERO)
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    buffers = [_validity(null), pa.py_buffer(offsets), pa.py_buffer(block.reshape(-1))]
    values = pa.Array.from_buffers(pa.string(), n, buffers)
    if cut.fixed:
        return values
    return pc.ascii_trim(values, " ")  # bytewise: a UTF-8 sequence holds no 0x20


def _cut_general(units: _Units, block: np.ndarray, present: np.ndarray, cut: FieldCut):
    """Any block (accented text, UTF-32 units, lines ending inside a fixed field)."""
    values = _strings(units, block, present)
    if not cut.fixed:
        values = pc.ascii_trim(values, " ")
        null = pc.equal(pc.binary_length(values), _ZERO)
    else:  # blank: a line that ends before the field gave blanks (see _rows) or ''
        blank = pc.equal(values, _text(" " * cut.width))
        null = pc.or_(blank, pc.equal(pc.binary_length(values), _ZERO))
    if cut.zeros_null:
        null = pc.or_(null, pc.equal(values, _text("0" * cut.width)))
    return _null_where(values, null)


def _trimmed_length(units: _Units, starts, lengths, width: int) -> np.ndarray:
    """Length without trailing blanks of lines shorter than `width`; others keep theirs."""
    out = lengths.copy()
    last = units.data[np.maximum(starts + lengths - 1, 0)]
    ends_blank = np.flatnonzero((lengths > 0) & (lengths < width) & (last == BLANK))
    if ends_blank.size:
        rows = _windows(units, width)[starts[ends_blank]]
        filled = (rows != BLANK) & (np.arange(width) < lengths[ends_blank, None])
        out[ends_blank] = np.where(filled.any(axis=1), width - filled[:, ::-1].argmax(axis=1), 0)
    return out


def _record_type(units: _Units, rows: np.ndarray, length) -> pa.Array:
    """First character of each line, '' for an empty or blank line."""
    block, present = _block(rows, np.minimum(length, 1), 0, 1)
    values = _strings(units, block, present)
    empty = length == 0
    return pc.if_else(_numeric(empty), _text(""), values) if empty.any() else values


def read_batches(
    facts: FileFacts,
    cuts: list[FieldCut],
    width: int,
    scan: Scan,
    batch_bytes: int = BATCH_BYTES,
) -> Iterator[pa.RecordBatch]:
    """Batches of `line_no`, `rec` (first character), `len`, then one string column per cut.

    `len` is the line's length in characters, without trailing blanks when it is shorter
    than `width` (the record's width: a short line may just have lost its trailing
    blanks). Values are cut from the line as it is, so a line ending inside a field gives
    that field's beginning. Empty lines are rows too (`rec` = ''), so `line_no` counts
    every line. Raises `UndecodableBytes` when the file is not in `facts`' encoding.
    """
    decoder = _Decoder(facts)
    span = max([1, *(c.offset + c.width for c in cuts)])
    pad = max(width, span) + 1
    for raw, size in _raw_batches(facts, pad, batch_bytes):
        units = decoder.units(raw, size, pad)
        starts, lengths = _lines(units)
        trimmed = _trimmed_length(units, starts, lengths, width)
        rows = _rows(units, starts, lengths, span)
        columns = {
            "line_no": _numeric(np.arange(scan.lines + 1, scan.lines + 1 + len(starts))),
            "rec": _record_type(units, rows, trimmed),
            "len": _numeric(trimmed.astype(np.int32), null=lengths == 0),  # NULL: empty
        }
        for cut in cuts:
            columns[cut.name] = _cut_field(units, rows, lengths, cut)
        _note_last_line(units, starts, lengths, scan)
        scan.lines += len(starts)
        yield pa.RecordBatch.from_pydict(columns)


def _note_last_line(units: _Units, starts, lengths, scan: Scan) -> None:
    filled = np.flatnonzero(lengths > 0)
    if not filled.size:
        return
    i = int(filled[-1])
    start, stop = int(starts[i]), int(starts[i] + lengths[i])
    text = units.text(start, stop)
    scan.last_line_no = scan.lines + i + 1
    scan.last_text = None if text.startswith(scan.detail_type) else text.rstrip(" ")
