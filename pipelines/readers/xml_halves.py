"""Reading a large XML file in two halves at once, on two cores: where to cut, and the
child process that parses the second half. Nothing here knows a source: the caller names
the record element to cut after and the function (`"module:function"`) the child runs on
its half; `pipelines/sources/pecgm_xml.py` is the one caller (docs/pecgm_xml.md).

The file is cut just after a record's end tag near the middle. The caller parses the
first half (up to the cut, then the root's end tag); a child process parses the second,
given as a document of its own: the file's XML declaration (same encoding), as many line
ends as the file has before the cut, the root's start tag, then the file's bytes from the
cut, so that every line number the parser gives is the file's. The child sends Arrow
tables back, framed on a pipe, then a JSON summary. Any failure is a `SplitFallback` (or
the child's error): the caller reads the file again in one pass.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import re
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipelines.readers.encoding import FileFacts
from pipelines.readers.xml_safe import ByteRange

# Declared encodings where every byte below 0x80 is ASCII (a '<' is a '<'): a split on the
# bytes of a record's end tag is a split between characters.
SPLIT_ENCODINGS = {"UTF-8", "UTF8", "ISO-8859-1", "ISO8859-1", "LATIN-1", "LATIN1"}
SPLIT_ENCODINGS |= {"WINDOWS-1252", "CP1252"}
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml\s[^>]*\?>")
_ENCODING = re.compile(rb"encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
CHILD_MODULE = "pipelines.readers.xml_half"  # `python -m` entry of the child process


class SplitFallback(Exception):
    """The halves cannot give the single pass's result: read the file again in one pass."""


@dataclass(frozen=True)
class Split:
    offset: int  # the second half's first byte: just after a record's end tag
    size: int
    declaration: bytes  # the file's XML declaration (and BOM): the second half's start
    root: bytes  # the root's start tag, after which the second half's bytes come
    suffix: bytes  # the first half's document end: the root's end tag


def split_plan(facts: FileFacts, root: str, record: str, threshold: int, at: float) -> Split | None:
    """Where to cut the file in two, or None for one pass: smaller than `threshold` bytes,
    gzip, an encoding that is not ASCII-compatible, a DOCTYPE, a root start tag with
    attributes (namespaces), a lone CR, no `</record>` after `at` (a share of the size)."""
    if facts.gzip or facts.size_bytes < max(threshold, 1) or os.name != "posix":
        return None  # (the child's pipe is passed as a file descriptor: POSIX only)
    with facts.path.open("rb") as f:
        head = f.read(64 * 1024)
        if head[:2] == b"\x1f\x8b":
            return None
        declaration = _DECLARATION.match(head)
        prefix = declaration.group(0) if declaration else b""
        if not declaration and head.startswith(b"\xef\xbb\xbf"):
            prefix = b"\xef\xbb\xbf"
        encoding = _ENCODING.search(prefix)
        if encoding and encoding.group(1).decode("ascii").upper() not in SPLIT_ENCODINGS:
            return None
        root_tag = f"<{root}".encode("ascii")
        start_at = head.find(root_tag, len(prefix))
        if start_at < 0 or head[start_at + len(root_tag) : start_at + len(root_tag) + 1] != b">":
            return None
        if b"<!DOCTYPE" in head[:start_at] or b"\r" in head.replace(b"\r\n", b""):
            return None  # a lone CR: libxml2 counts its lines its own way
        close = f"</{record}>".encode("ascii")
        start = max(int(facts.size_bytes * at), start_at)
        f.seek(start)
        carry = b""
        while True:
            chunk = f.read(1024 * 1024)
            if not chunk:
                return None
            data = carry + chunk
            found = data.find(close)
            if found >= 0:
                offset = start - len(carry) + found + len(close)
                break
            carry = data[-(len(close) - 1) :]
            start += len(chunk)
    if offset >= facts.size_bytes:
        return None
    return Split(offset, facts.size_bytes, prefix, root_tag + b">", f"</{root}>".encode())


class LineCounter(ByteRange):
    """A reader counting the line ends it passes over (the second half's document starts
    with as many as the file has before the cut) and the lone CRs (not followed by LF),
    which libxml2 counts its own way: a file holding one is read in one pass."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.newlines = 0
        self.lone_cr = 0
        self._cr_end = False

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self.newlines += data.count(b"\n")
        if self._cr_end or b"\r" in data:
            lone = data.count(b"\r") - data.count(b"\r\n")
            if self._cr_end and data[:1] == b"\n":
                lone -= 1  # the CR ending the previous read was half of a CRLF
            self.lone_cr += lone
            self._cr_end = data.endswith(b"\r")
        return data


def split_to_json(split: Split) -> dict:
    return {
        "offset": split.offset,
        "size": split.size,
        "declaration": split.declaration.decode("latin-1"),
        "root": split.root.decode("latin-1"),
        "suffix": split.suffix.decode("latin-1"),
    }


def split_from_json(raw: dict) -> Split:
    text = ("declaration", "root", "suffix")
    return Split(**{k: v.encode("latin-1") if k in text else v for k, v in raw.items()})


_FRAME = struct.Struct("<Q")


def write_frame(out, payload) -> None:
    out.write(_FRAME.pack(len(payload)))
    out.write(payload)


def read_frame(pipe) -> bytes:
    """One frame sent by `write_frame`; b"" for an empty one. A cut pipe raises."""
    head = pipe.read(_FRAME.size)
    if len(head) != _FRAME.size:
        raise EOFError("the second half's pipe ended")
    (size,) = _FRAME.unpack(head)
    data = pipe.read(size) if size else b""
    if len(data) != size:
        raise EOFError("the second half's pipe ended")
    return data


def send_table(out, table: pa.Table) -> None:
    """One Arrow table as an IPC stream, one frame on the pipe (the child's side)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as stream:
        stream.write_table(table)
    write_frame(out, sink.getvalue())


class SecondHalf:
    """The child process reading the second half, and the thread here that hands each
    Arrow table it sends to `on_table` (so the child never waits on this process's parser).

    The child is a fresh interpreter (`python -P -m pipelines.readers.xml_half`), not a
    fork (this process has DuckDB's threads running) nor a multiprocessing spawn (which
    runs the parent's main module again in the child: `python -m pipelines` would start
    the whole command over). Its job comes as JSON on stdin: the file, the cut, `worker`
    ("module:function", what parses the half) and what the worker needs; tables and its
    summary come back framed on a pipe of their own; its stderr is dropped (nothing of the
    file is ever written anywhere)."""

    def __init__(self, path: Path, split: Split, worker: str, on_table: Callable[[pa.Table], None]):
        self.job = {"path": str(path), "split": split, "worker": worker}
        self.on_table = on_table
        self.process: subprocess.Popen | None = None
        self.thread: threading.Thread | None = None
        self.pipe = None
        self.outcome: dict = {}

    def start(self, **job) -> None:
        """Start the child with the job's fields and these (JSON values)."""
        read, write = os.pipe()
        root = str(Path(__file__).resolve().parents[2])  # where `pipelines` is imported from
        paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        # The child only parses: none of the product's settings, the pseudonymisation
        # key and the service secrets among them, reaches its environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTAGE_")}
        env["PYTHONPATH"] = os.pathsep.join(paths)
        try:
            # -P: the working directory is not put on the child's import path.
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-m", CHILD_MODULE, str(write)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(write,),
                env=env,
                close_fds=True,
            )
            self.pipe = os.fdopen(read, "rb")  # closed by stop(), whatever happens next
        except BaseException:
            if self.pipe is None:
                os.close(read)
            raise
        finally:
            os.close(write)
        sent = {**self.job, **job, "split": split_to_json(self.job["split"])}
        try:
            self.process.stdin.write(json.dumps(sent).encode())
        except OSError:
            pass  # the child has gone: the reading thread sees the pipe end
        finally:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        self.thread = threading.Thread(target=self._receive, name="xml_half", daemon=True)
        self.thread.start()

    def _receive(self) -> None:
        try:
            while data := read_frame(self.pipe):
                self.on_table(pa.ipc.open_stream(data).read_all())
            self.outcome["summary"] = json.loads(read_frame(self.pipe))
        except BaseException as error:  # the parent falls back to one pass
            self.outcome["error"] = error

    def result(self) -> dict:
        """The child's summary once it has sent everything; raises when it failed."""
        self.thread.join()
        summary = self.outcome.get("summary")
        if not isinstance(summary, dict) or "error" in summary:
            raise SplitFallback("the second half failed")
        if self.process.wait(timeout=60) != 0:
            raise SplitFallback("the second half's process did not end well")
        return summary

    def stop(self) -> None:
        """Never leave the child running: ended if still alive, always waited for."""
        if self.process is not None:
            try:
                self.process.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.thread is not None:
            self.thread.join()
        if self.pipe is not None:
            self.pipe.close()


def child_main(fd: int) -> None:
    """The child process (`python -m pipelines.readers.xml_half FD`): build the second
    half's document, hand it to the job's worker (`worker(job, part, send)` parses it,
    calls `send(table)` per batch, returns a JSON-able summary), then send the summary. A
    failure sends only its kind, never a message (nothing of the file leaves the child)."""
    gc.disable()  # the parse allocates millions of tuples and no cycle (as the parent's)
    summary: dict = {}
    with os.fdopen(fd, "wb") as out:
        try:
            job = json.loads(sys.stdin.buffer.read())
            path, split = Path(job["path"]), split_from_json(job["split"])
            module, _, function = job["worker"].partition(":")
            worker = getattr(importlib.import_module(module), function)
            with LineCounter(path, 0, split.offset) as before:
                while before.read(1 << 20):
                    pass
            blank = b"\n" * (before.newlines - split.declaration.count(b"\n"))
            prefix = split.declaration + blank + split.root
            with LineCounter(path, split.offset, split.size, prefix=prefix) as part:
                summary = worker(job, part, lambda table: send_table(out, table))
            if before.lone_cr or part.lone_cr:
                summary = {"error": "lone CR"}
        except Exception as error:  # the parent reads it all again, in one pass
            summary = {"error": type(error).__name__}
        try:
            write_frame(out, b"")
            write_frame(out, json.dumps(summary).encode())
        except OSError:
            pass  # the parent has gone: nothing to tell
