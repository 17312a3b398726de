"""
authsite/rsgi.py, the RSGI front server.py runs Django behind: the WSGI environ it builds, seen
through the production server with raw requests (unit tests of the header guard are in
tests/test_server_headers.py).
"""

import json
import re
import time

import pytest

from tests.servers import http_request, raw_request

HOST = ("Host", "127.0.0.1")


@pytest.fixture(scope="module")
def server(production_server):
    return production_server()


def test_percent_encoded_paths_and_query_strings_reach_django(server):
    status, _, body = raw_request(server.port, http_request("GET", "/api/test/%61ll?x=1%202&y", [HOST]))
    assert (status, body) == (200, b"Public Content.")
    status, _, body = raw_request(server.port, http_request("GET", "/api/schema?format=xyz", [HOST]))
    assert (status, json.loads(body)) == (404, {"message": "Not found."})


def test_bodies_headers_and_the_client_address_reach_django(server):
    username = "front-check"
    body = json.dumps({"username": username, "password": "wrong password 1"}).encode()
    headers = [HOST, ("Content-Type", "application/json"), ("User-Agent", "front-test")]
    status, _, answer = raw_request(server.port, http_request("POST", "/api/auth/signin", headers, body))
    assert status == 401, answer
    deadline = time.monotonic() + 5
    while username not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    (line,) = re.findall(r"\{\"event\": \"signin_failed\".*" + username + r".*\}", server.log())
    assert json.loads(line)["ip"] == "127.0.0.1"


def test_a_declared_body_over_the_limit_is_refused_without_reading_it(server):
    request = http_request("POST", "/api/auth/signin", [HOST, ("Content-Type", "application/json"),
                                                         ("Content-Length", str(10**9))])
    status, _, body = raw_request(server.port, request, timeout=5)
    assert status == 413
    assert json.loads(body)["message"].startswith("Request body too large")


def test_malformed_json_is_the_contracts_400(server):
    request = http_request("POST", "/api/auth/signin", [HOST, ("Content-Type", "application/json")], b"{nope")
    status, headers, body = raw_request(server.port, request)
    assert status == 400
    assert dict(headers)["content-type"] == "application/json"
    assert "message" in json.loads(body)


def test_a_chunked_body_over_the_limit_is_refused(server):
    chunk = b"x" * 65536
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
    head = (b"POST /api/auth/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    status, _, body = raw_request(server.port, head + chunked)
    assert status == 413
    assert json.loads(body)["message"].startswith("Request body too large")


def test_a_small_chunked_body_is_read(server):
    payload = json.dumps({"username": "chunky", "password": "wrong password 1"}).encode()
    head = (b"POST /api/auth/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    status, _, body = raw_request(server.port, head + b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload))
    assert status == 401, body
