"""
The documentation pages answer JSON for anything but GET/HEAD, like every other path: OPTIONS was
a 500 (TemplateDoesNotExist), PUT/PATCH/TRACE/POST/DELETE a 405 as HTML.
"""

import pytest

PAGES = ["/api/docs", "/api/redoc", "/api/schema"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("method", ["put", "patch", "post", "delete", "trace"])
def test_other_methods_on_the_docs_are_a_json_405(client, path, method):
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": f'Method "{method.upper()}" not allowed.'}


@pytest.mark.parametrize("path", PAGES)
def test_options_on_the_docs_is_json(client, path):
    response = client.options(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "GET" in response["Allow"]
    assert response.json()["renders"]


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc"])
def test_the_pages_are_still_html(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
