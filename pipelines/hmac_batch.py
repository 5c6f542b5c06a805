"""HMAC-SHA256 of many short messages at once, compiled (numba), from precomputed midstates.

Why: pseudonymising a million-line file takes two HMAC-SHA256 per line. Written over
DuckDB's `sha256()` (pipelines/pseudonymise.py, the reference), each HMAC costs four
SHA-256 compressions, two of them on the key's padded blocks, which are the same for every
line, plus the hex round trip between both hashes. Here the two key blocks are compressed
once (the inner and outer *midstates*, RFC 2104 section 4), so a message of at most 55
bytes costs two compressions, and 16 messages are compressed side by side, one per lane of
the processor's vector registers (the compiler vectorises the loops over lanes). Longer
messages take the same path block by block. The result is exactly HMAC-SHA256: the tests
compare it with Python's `hmac` on random messages of every length.

Key material only ever lives in the midstate arrays passed at call time: nothing of the
key is compiled in, and the on-disk cache of the compiled code holds none of it.
"""

from __future__ import annotations

import hashlib

import numba
import numpy as np
import pyarrow as pa

BLOCK = 64  # bytes of a SHA-256 block
LANES = 16  # messages compressed side by side
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_MASK = np.uint64(0xFFFFFFFF)

# SHA-256 round constants (FIPS 180-4, 4.2.2).
K = np.array(
    [
        0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4,
        0xAB1C5ED5, 0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE,
        0x9BDC06A7, 0xC19BF174, 0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F,
        0x4A7484AA, 0x5CB0A9DC, 0x76F988DA, 0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7,
        0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967, 0x27B70A85, 0x2E1B2138, 0x4D2C6DFC,
        0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85, 0xA2BFE8A1, 0xA81A664B,
        0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070, 0x19A4C116,
        0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
        0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7,
        0xC67178F2,
    ],
    dtype=np.uint32,
)  # fmt: skip
IV = np.array(
    [
        0x6A09E667,
        0xBB67AE85,
        0x3C6EF372,
        0xA54FF53A,
        0x510E527F,
        0x9B05688C,
        0x1F83D9AB,
        0x5BE0CD19,
    ],
    dtype=np.uint32,
)


def _jit(function):
    """Compiled with numba, the machine code cached on disk (beside this file, else in the
    user's cache folder) so that a process loads it instead of compiling it again; where
    no cache folder is writable, compiled in each process."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # no cache locator available: read-only code and home folder
        return numba.njit(nogil=True)(function)


@numba.njit(inline="always")
def _rotr(x, n):
    """Rotate the 32-bit value `x` (held in a uint64) right by `n` bits."""
    return ((x >> np.uint64(n)) | (x << np.uint64(32 - n))) & _MASK


@_jit
def _compress(state, w, k):
    """One SHA-256 compression of each lane: `state` (8, LANES) is updated in place from
    the block words `w[:16]` (64, LANES; `w[16:]` is the message schedule, overwritten)."""
    lanes = state.shape[1]
    for t in range(16, 64):
        for j in range(lanes):
            a = np.uint64(w[t - 15, j])
            b = np.uint64(w[t - 2, j])
            s0 = _rotr(a, 7) ^ _rotr(a, 18) ^ (a >> np.uint64(3))
            s1 = _rotr(b, 17) ^ _rotr(b, 19) ^ (b >> np.uint64(10))
            w[t, j] = np.uint32(
                (np.uint64(w[t - 16, j]) + s0 + np.uint64(w[t - 7, j]) + s1) & _MASK
            )
    va = state[0].copy()
    vb = state[1].copy()
    vc = state[2].copy()
    vd = state[3].copy()
    ve = state[4].copy()
    vf = state[5].copy()
    vg = state[6].copy()
    vh = state[7].copy()
    for t in range(64):
        kt = np.uint64(k[t])
        for j in range(lanes):
            a = np.uint64(va[j])
            e = np.uint64(ve[j])
            s1 = _rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)
            ch = (e & np.uint64(vf[j])) ^ ((e ^ _MASK) & np.uint64(vg[j]))
            t1 = np.uint64(vh[j]) + s1 + ch + kt + np.uint64(w[t, j])
            s0 = _rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)
            b = np.uint64(vb[j])
            c = np.uint64(vc[j])
            maj = (a & b) ^ (a & c) ^ (b & c)
            vh[j] = vg[j]
            vg[j] = vf[j]
            vf[j] = ve[j]
            ve[j] = np.uint32((np.uint64(vd[j]) + t1) & _MASK)
            vd[j] = vc[j]
            vc[j] = vb[j]
            vb[j] = va[j]
            va[j] = np.uint32((t1 + s0 + maj) & _MASK)
    for j in range(lanes):
        state[0, j] = np.uint32((np.uint64(state[0, j]) + np.uint64(va[j])) & _MASK)
        state[1, j] = np.uint32((np.uint64(state[1, j]) + np.uint64(vb[j])) & _MASK)
        state[2, j] = np.uint32((np.uint64(state[2, j]) + np.uint64(vc[j])) & _MASK)
        state[3, j] = np.uint32((np.uint64(state[3, j]) + np.uint64(vd[j])) & _MASK)
        state[4, j] = np.uint32((np.uint64(state[4, j]) + np.uint64(ve[j])) & _MASK)
        state[5, j] = np.uint32((np.uint64(state[5, j]) + np.uint64(vf[j])) & _MASK)
        state[6, j] = np.uint32((np.uint64(state[6, j]) + np.uint64(vg[j])) & _MASK)
        state[7, j] = np.uint32((np.uint64(state[7, j]) + np.uint64(vh[j])) & _MASK)


@_jit
def _hmac_hex(data, offsets, rows, inner, outer, k, hexdigits, out):
    """HMAC of the messages `data[offsets[i]:offsets[i + 1]]` for each `i` of `rows`, as the
    first `out.shape[1]` hex digits of the digest, into `out[i]`.

    A message is padded after the key's block: its length in bits counts 64 bytes more.
    Lanes compress their message's blocks in step; a lane whose message has fewer blocks
    than the longest of its group keeps its state (`done`)."""
    lanes = LANES
    w = np.zeros((64, lanes), dtype=np.uint32)
    state = np.empty((8, lanes), dtype=np.uint32)
    saved = np.empty((8, lanes), dtype=np.uint32)
    nblocks = np.zeros(lanes, dtype=np.int64)
    chars = out.shape[1]
    for base in range(0, len(rows), lanes):
        m = min(lanes, len(rows) - base)
        most = 1
        for j in range(lanes):
            nblocks[j] = 0
            if j < m:
                size = offsets[rows[base + j] + 1] - offsets[rows[base + j]]
                nblocks[j] = (size + 8) // BLOCK + 1  # message, 0x80, 8-byte length
                most = max(most, nblocks[j])
            for i in range(8):
                state[i, j] = inner[i]
        for block in range(most):
            for j in range(lanes):
                for i in range(16):
                    w[i, j] = 0
                if block >= nblocks[j]:
                    continue
                row = rows[base + j]
                start = offsets[row]
                size = offsets[row + 1] - start
                lo = block * BLOCK
                for p in range(lo, min(size, lo + BLOCK)):
                    q = p - lo
                    w[q >> 2, j] |= np.uint32(data[start + p]) << np.uint32(24 - 8 * (q & 3))
                if lo <= size < lo + BLOCK:
                    q = size - lo
                    w[q >> 2, j] |= np.uint32(0x80) << np.uint32(24 - 8 * (q & 3))
                if block == nblocks[j] - 1:
                    bits = (BLOCK + size) * 8
                    w[14, j] = np.uint32(bits >> 32)
                    w[15, j] = np.uint32(bits & 0xFFFFFFFF)
            for j in range(lanes):
                for i in range(8):
                    saved[i, j] = state[i, j]
            _compress(state, w, k)
            for j in range(lanes):
                if block >= nblocks[j]:  # this lane's message was done: undo
                    for i in range(8):
                        state[i, j] = saved[i, j]
        # outer hash: the inner digest (32 bytes) is one block with its padding
        for j in range(lanes):
            for i in range(8):
                w[i, j] = state[i, j]
                state[i, j] = outer[i]
            w[8, j] = np.uint32(0x80000000)
            for i in range(9, 15):
                w[i, j] = 0
            w[15, j] = np.uint32((BLOCK + 32) * 8)
        _compress(state, w, k)
        for j in range(m):
            row = rows[base + j]
            for c in range(chars):
                word = state[c >> 3, j]
                nibble = (word >> np.uint32(28 - 4 * (c & 7))) & np.uint32(15)
                out[row, c] = hexdigits[nibble]


def _midstate(block: bytes) -> np.ndarray:
    """SHA-256 state after compressing one 64-byte block from the initial value."""
    state = np.tile(IV[:, None], (1, LANES))
    w = np.zeros((64, LANES), dtype=np.uint32)
    w[:16] = np.frombuffer(block, dtype=">u4").astype(np.uint32)[:, None]
    _compress(state, w, K)
    return state[:, 0].copy()


def _valid(array: pa.Array) -> np.ndarray:
    """Which rows are not NULL, from the validity bitmap (not `to_numpy`, which imports
    pandas)."""
    n = len(array)
    bitmap = array.buffers()[0]
    if array.null_count == 0 or bitmap is None:
        return np.ones(n, dtype=bool)
    bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8), bitorder="little")
    return bits[array.offset : array.offset + n].astype(bool)


class Keyed:
    """HMAC-SHA256 under one key, for arrays of messages: the key's two padded blocks are
    compressed once, here."""

    def __init__(self, key: bytes) -> None:
        padded = (hashlib.sha256(key).digest() if len(key) > BLOCK else key).ljust(BLOCK, b"\0")
        self._inner = _midstate(bytes(b ^ 0x36 for b in padded))
        self._outer = _midstate(bytes(b ^ 0x5C for b in padded))

    def hex(self, messages: pa.Array | pa.ChunkedArray, chars: int = 64):
        """First `chars` hex digits of each message's HMAC (UTF-8 bytes of a string array,
        or a binary array, chunked or not); NULL stays NULL."""
        if isinstance(messages, pa.ChunkedArray):
            return pa.chunked_array(
                [self._hex(chunk, chars) for chunk in messages.chunks], pa.string()
            )
        return self._hex(messages, chars)

    def _hex(self, messages: pa.Array, chars: int) -> pa.Array:
        if pa.types.is_large_string(messages.type) or pa.types.is_large_binary(messages.type):
            messages = messages.cast(pa.large_binary())
        else:
            messages = messages.cast(pa.binary())
        n = len(messages)
        valid = _valid(messages)
        rows = np.flatnonzero(valid)
        out = np.zeros((n, chars), dtype=np.uint8)
        if rows.size:
            validity, offsets_buf, data_buf = messages.buffers()
            width = 8 if pa.types.is_large_binary(messages.type) else 4
            offsets = np.frombuffer(offsets_buf, dtype=f"<i{width}")[
                messages.offset : messages.offset + n + 1
            ].astype(np.int64)
            data = (
                np.frombuffer(data_buf, dtype=np.uint8)
                if data_buf is not None
                else np.zeros(0, np.uint8)
            )
            _hmac_hex(data, offsets, rows, self._inner, self._outer, K, HEX, out)
        offsets_out = np.arange(0, (n + 1) * chars, chars, dtype=np.int32)
        validity = None if rows.size == n else pa.py_buffer(np.packbits(valid, bitorder="little"))
        buffers = [validity, pa.py_buffer(offsets_out), pa.py_buffer(out.reshape(-1))]
        return pa.Array.from_buffers(pa.string(), n, buffers, null_count=n - rows.size)
