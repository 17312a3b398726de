"""
Access tokens whose ``exp`` is validly signed but no usable timestamp are 401 ``Unauthorized!``,
never a 500 (simplejwt turned a numeric string, or a number no datetime holds, into a TypeError
or OverflowError).
"""

import pytest

from tests.test_token_hygiene import UNAUTHORIZED, forge, get_user_board


@pytest.mark.parametrize(
    "exp", ["9999999999", "soon", 1e300, 10**30, float("inf"), [9999999999], {"t": 1}]
)
def test_a_signed_token_whose_exp_is_no_timestamp_is_401(api, claims, exp):
    claims["exp"] = exp
    response = get_user_board(api, forge(claims))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_a_float_exp_in_range_still_works(api, claims):
    claims["exp"] = float(claims["exp"])
    assert get_user_board(api, forge(claims)).status_code == 200
