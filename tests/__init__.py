import pytest

# The shared helper modules assert too: pytest rewrites their asserts to show the values.
pytest.register_assert_rewrite("tests.proxy", "tests.sessions")
