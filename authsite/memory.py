"""
What the production server (server.py) does about memory before it forks its workers.

- ``preload`` (server.py calls it when two or more workers share the result): the application is
  imported in the master: Django set up, the URLconf resolved (which imports the views it includes
  and what they import; what it includes on first use, ``authsite.urls.include_on_first_use``, is
  imported by the worker that first serves it) and the password hashers loaded. The workers are
  forked from it, so they share those pages copy-on-write instead of each importing its own copy,
  and whatever an app adds later (new apps' URLs and models) is shared the same way, with no list
  of modules to keep. No database connection is left open across the fork.
- ``gc.freeze()`` (in ``preload``, last): the objects that exist at the fork move to the permanent
  generation, so the workers' garbage collections never write to, and so never copy, their pages.
- Not done: returning freed large blocks to the system (a fixed glibc mmap threshold, so the
  Argon2id buffer is unmapped after each hash). Measured on the wire it cost ~4.8 ms of a
  sign-in's ~29 ms of server CPU (each hash faulted its 7 MiB in again) and bought no PSS or RSS
  measurable after load (BENCHMARKS.md, "What each change bought").

Measured in BENCHMARKS.md ("Memory").
"""

import gc


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
