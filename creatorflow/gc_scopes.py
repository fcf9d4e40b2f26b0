"""How the big in-memory steps keep Python's cycle collector from walking the heap over and over.

Planning 100,000 posts, importing 100,000 rows, computing 20,000 creators' figures and a polling
round each make hundreds of thousands of objects that form no reference cycles; every few
thousand of them the collector runs, and a full pass walks everything the process holds
(imports, Prefect, the engine's caches, the objects just made). Two scopes:

- ``cyclic_gc_paused``: no collection at all while a step builds objects that all survive it
  (an import's records, a round's plan); it catches up once at the end.
- ``long_lived_frozen``: the objects that existed before the step are left out of its full
  passes (``gc.freeze``) and handed back after it: for steps that also make much garbage, or
  run for long (a polling round, a report's figures).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_frozen_depth = 0


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Collection off in the block (on again after it, if it was on), whatever happens."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def long_lived_frozen() -> Iterator[None]:
    """The objects that exist now stay out of the collector's passes until the block ends.

    Reentrant across threads (the last block to end unfreezes); objects freed meanwhile are
    freed as usual by their reference counts. Both calls are constant time.
    """
    global _frozen_depth
    with _LOCK:
        if _frozen_depth == 0:
            gc.freeze()
        _frozen_depth += 1
    try:
        yield
    finally:
        with _LOCK:
            _frozen_depth -= 1
            if _frozen_depth == 0:
                gc.unfreeze()
