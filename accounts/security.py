"""
Security events and the client's address.

Events (failed sign-in, throttled request, session revoked, refresh-token reuse, password changed)
are logged on the ``authsite.security`` logger as one JSON object per line:
``{"event": "signin_failed", "ip": "203.0.113.5", "username": "alice"}``. Tokens and passwords
are never passed here, so they never reach a log.
"""

import ipaddress
import json
import logging

from rest_framework.throttling import BaseThrottle

logger = logging.getLogger("authsite.security")


def client_ip(request):
    """
    The client's address as DRF's throttles identify it: the socket's peer, unless
    ``REST_FRAMEWORK["NUM_PROXIES"]`` (``TRUSTED_PROXY_COUNT``) proxies, each appending to
    ``X-Forwarded-For``, stand in front of the service; then the address the outermost trusted
    proxy saw. Entries a client put into the header itself are never used, so a forged
    ``X-Forwarded-For`` cannot pass for another client. A port some proxies append
    (``203.0.113.9:41234``, ``[2001:db8::1]:443``) is dropped: with it, every connection of one
    client would count in a bucket of its own.
    """
    return without_port(BaseThrottle().get_ident(request))


def without_port(address):
    """``address`` without a trailing ``:port``, if it is an IP address with one."""
    if not address:
        return address
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        pass
    if address.startswith("["):
        host, bracket, port = address[1:].partition("]")
    else:
        host, bracket, port = address.rpartition(":")
        port = ":" + port if bracket else port
    if port == "" and bracket or port.startswith(":") and port[1:].isdigit():
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            pass
    return address


def log_event(event, request=None, level=logging.WARNING, **fields):
    """Log security event ``event`` with ``fields`` (and the client's address, given a request)."""
    record = {"event": event}
    if request is not None:
        record["ip"] = client_ip(request)
    record.update(fields)
    logger.log(level, json.dumps(record, sort_keys=False, default=str))
