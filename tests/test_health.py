"""GET /healthz (liveness) and GET /readyz (readiness: the database answers)."""

import pytest

from authsite.exceptions import UNAVAILABLE_MESSAGE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PATHS = ["/healthz", "/healthz/", "/readyz", "/readyz/"]


@pytest.mark.parametrize("path", PATHS)
def test_ok(api, path):
    response = api.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "headers", [{"HTTP_X_ACCESS_TOKEN": "garbage"}, {"HTTP_AUTHORIZATION": "Bearer garbage"}]
)
def test_no_token_needed_and_bad_tokens_ignored(api, path, headers):
    assert api.get(path, **headers).status_code == 200


def test_liveness_queries_nothing(api, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert api.get("/healthz").status_code == 200


def test_liveness_holds_while_the_database_is_down(api, database_down):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_fails_while_the_database_is_down_and_recovers_by_itself(api, database_down):
    response = api.get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json() == {"message": UNAVAILABLE_MESSAGE}
    assert api.get("/readyz").status_code == 503

    database_down()  # the database is back; no restart, no reconnect by hand
    response = api.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_queries_the_database(api, django_assert_num_queries, settings):
    # The applied migrations; with the database cache, its table too (tests/test_database_errors.py).
    queries = 2 if settings.CACHES["default"] == settings.DATABASE_CACHE else 1
    with django_assert_num_queries(queries):
        assert api.get("/readyz").status_code == 200
