"""
The image's HEALTHCHECK: exit 0 when GET /healthz on this container's server answers 200.

    python deploy/healthcheck.py [PORT]      (default 8000, the image's CMD)

Standard library only, and no Django: it runs every few seconds. The request names a host the
service accepts (the first of DJANGO_ALLOWED_HOSTS), since a Host outside it is refused.
"""

import os
import sys
import urllib.request


def host_header(allowed_hosts):
    """A Host value that the DJANGO_ALLOWED_HOSTS list ``allowed_hosts`` accepts."""
    for pattern in (item.strip() for item in allowed_hosts.split(",")):
        if pattern and pattern != "*":
            return pattern.lstrip(".")  # ".example.com" accepts example.com itself
    return "localhost"


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz",
        headers={"Host": host_header(os.environ.get("DJANGO_ALLOWED_HOSTS", ""))},
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
