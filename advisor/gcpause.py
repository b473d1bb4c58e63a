"""The cyclic garbage collector paused while a phase builds many small objects.

An analysis makes no reference cycles it needs collected; a large design's phases (the
engine, every alternative's estimate, the report's dictionaries) allocate millions of
small objects, and each automatic collection rescans all that is alive: the phase turns
superlinear in the design's size. Reference counting still frees what goes out of use.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Automatic collections off for the block (as they were after it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


__all__ = ["paused"]
