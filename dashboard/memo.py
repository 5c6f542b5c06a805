"""The dashboard's own memo for its warehouse reads: a dictionary keyed by the arguments.

Streamlit's caches (st.cache_data, st.cache_resource) hash every argument of every call
by its content and inspect the function's signature each time: about 0.6 ms a call. The
reads of dashboard/db.py are called some 500 times by a page's first view after a load
(a year of each indicator family, the masking decision of each month), which made the
keys alone a fifth of that view (docs/performances.md). Their arguments are a few
strings and tuples (the file, its generation, the département, a month, communes): a
plain dictionary lookup keys them for a microsecond.

What Streamlit's caches gave them is kept:

- a key is computed once: a caller asking for a key under way waits for it instead of
  computing it again (the page's prefetch, dashboard/db.py `prefetch`, relies on it);
- `copy=True` (Streamlit's data cache): each caller gets its own copy of the value (kept
  pickled, unpickled per call), so a caller that changes what it got changes nothing
  else; `copy=False` (the resource cache): every caller shares one object, never changed;
- an error is raised to the caller and not kept;
- each memo holds at most `maxsize` values, the least recently used dropped first;
- parameters whose name starts with « _ » are not part of the key (Streamlit's rule),
  for callables that only read on a miss.

Every memo is listed, so that `clear_all` forgets them together (what a load makes
stale, for a test or a benchmark that plays one without changing the generation).
"""

from __future__ import annotations

import functools
import inspect
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_MEMOS: list[Memo] = []


class Memo(Generic[T]):
    """`function` called once per key (its positional arguments, those named « _… » left
    out); see the module docstring."""

    def __init__(self, function: Callable[..., T], maxsize: int, copy: bool) -> None:
        self.function = function
        self.maxsize = maxsize
        self.copy = copy
        names = list(inspect.signature(function).parameters)
        self._keyed = tuple(i for i, name in enumerate(names) if not name.startswith("_"))
        self._arity = len(names)
        self._values: OrderedDict[tuple, Any] = OrderedDict()
        self._computing: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()
        functools.update_wrapper(self, function)

    def _key(self, args: tuple) -> tuple[Hashable, ...]:
        if len(args) != self._arity:  # keyword calls would give one value two keys
            raise TypeError(f"{self.function.__qualname__}: {self._arity} positional arguments")
        if len(self._keyed) == self._arity:
            return args
        return tuple(args[i] for i in self._keyed)

    def _found(self, key: tuple) -> tuple[bool, Any]:
        with self._lock:
            if key not in self._values:
                return False, None
            self._values.move_to_end(key)
            stored = self._values[key]
        return True, pickle.loads(stored) if self.copy else stored

    def __call__(self, *args: Any) -> T:
        key = self._key(args)
        found, value = self._found(key)
        if found:
            return value
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:  # one caller computes a key; the others wait for it
            found, value = self._found(key)
            if found:
                return value
            try:
                value = self.function(*args)
                stored = pickle.dumps(value, pickle.HIGHEST_PROTOCOL) if self.copy else value
                with self._lock:
                    self._values[key] = stored
                    while len(self._values) > self.maxsize:
                        self._values.popitem(last=False)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
        return value  # a copying memo keeps bytes: the value computed is this caller's own

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


def copied(value: T) -> T:
    """A copy of a value the memos share (copy=False), for a caller that may change it:
    through pickle, as a copying memo keeps its values, several times faster than
    copy.deepcopy on the dictionaries of counts the reads return."""
    return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))


def memo(maxsize: int, *, copy: bool = True) -> Callable[[Callable[..., T]], Memo[T]]:
    """Decorator: the function memoised (see the module docstring); `copy` as Streamlit's
    data cache (True) or resource cache (False)."""

    def wrap(function: Callable[..., T]) -> Memo[T]:
        made = Memo(function, maxsize, copy)
        _MEMOS.append(made)
        return made

    return wrap


def clear_all() -> None:
    """Forget every memo's values."""
    for made in _MEMOS:
        made.clear()
