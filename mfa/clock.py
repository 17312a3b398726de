"""
The clock TOTP reads: ``now()``, Unix seconds. Tests set it (``set_time``) instead of mocking time;
nothing else in authsite reads this clock, and in production it is ``time.time``.
"""

import time

_fixed = None


def now():
    """The current time for TOTP, in Unix seconds (the fixed time, when a test set one)."""
    return time.time() if _fixed is None else _fixed


def set_time(seconds):
    """Fix the TOTP clock at ``seconds`` (None: the real time again). For tests."""
    global _fixed
    _fixed = seconds
