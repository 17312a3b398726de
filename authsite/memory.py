"""
What the production server (server.py) does about memory before it forks its workers.

- ``preload``: the application is imported in the master: Django set up, the URLconf resolved
  (which imports every view and what the views import) and the password hashers loaded. The
  workers are forked from it, so they share those pages copy-on-write instead of each importing
  its own copy, and whatever an app adds later (new apps' URLs and models) is shared the same way,
  with no list of modules to keep. No database connection is left open across the fork.
- ``gc.freeze()`` (in ``preload``, last): the objects that exist at the fork move to the permanent
  generation, so the workers' garbage collections never write to, and so never copy, their pages.
- ``return_large_blocks``: glibc keeps a freed block above its mmap threshold in the heap once
  the threshold has risen past it (it rises to the largest block freed), so each worker kept the
  Argon2id buffer of its last sign-in resident. With a fixed threshold, blocks of 1 MiB and more
  are mapped for themselves and returned to the system when freed (the cost: each hash faults its
  7 MiB in again, ~1.4 ms in-process, ~3.4 ms of a sign-in's ~28 ms on the wire under load).
  Not glibc: nothing to do.

Measured in BENCHMARKS.md ("Memory").
"""

import ctypes
import ctypes.util
import gc

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
LARGE_BLOCK_BYTES = 1024 * 1024


def return_large_blocks():
    """Have glibc give blocks of ``LARGE_BLOCK_BYTES`` or more back to the system when freed."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES))


def preload(application):
    """Import ``application`` ("module:attribute") and what serving it needs, in this process."""
    import importlib

    module, _, attribute = application.partition(":")
    getattr(importlib.import_module(module), attribute)

    from django.contrib.auth.hashers import get_hashers
    from django.db import connections
    from django.urls import get_resolver

    get_resolver().url_patterns
    get_hashers()
    connections.close_all()
    gc.collect()
    gc.freeze()
