"""
The state of one authorization-code flow, between ``login`` and ``callback``.

It travels in a signed (``django.core.signing``, its own salt), HttpOnly, ``SameSite=Lax`` cookie
limited to ``/api/auth/oidc/`` that lives ``FLOW_SECONDS``: so it is bound to the browser that
started the flow (a callback URL opened in another browser has no cookie: login CSRF fails), and
the API keeps no Django session. It holds the provider, ``state``, ``nonce``, the PKCE verifier,
``next`` and, for linking, the user. ``state`` is single use: the first callback that presents it
claims it in the shared cache (``cache.add``), so a replayed callback is refused even with the
cookie. ``Lax``: the provider's redirect back is a cross-site top-level GET, which Lax lets through.
"""

import hashlib
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from authlib.common.security import generate_token
from django.conf import settings
from django.core import signing
from django.core.cache import cache

COOKIE = "authsite_oidc_flow"
COOKIE_PATH = "/api/auth/oidc/"
SALT = "authsite.oidc.flow"
LINK_SALT = "authsite.oidc.link"
FLOW_SECONDS = 600
LINK_SECONDS = 60


@dataclass(frozen=True)
class Flow:
    provider: str
    state: str
    nonce: str
    code_verifier: str
    next: str
    link_user: int = None

    @classmethod
    def start(cls, provider, next_url, link_user=None):
        return cls(provider.name, generate_token(32), generate_token(32), generate_token(64),
                   next_url, link_user)

    def set_cookie(self, request, response):
        response.set_cookie(
            COOKIE, signing.dumps(asdict(self), salt=SALT, compress=True), max_age=FLOW_SECONDS,
            path=COOKIE_PATH, httponly=True, samesite="Lax", secure=request.is_secure(),
        )

    @classmethod
    def from_cookie(cls, request):
        """The flow of this browser, or None (no cookie, a forged or expired one)."""
        try:
            return cls(**signing.loads(request.COOKIES.get(COOKIE, ""), salt=SALT, max_age=FLOW_SECONDS))
        except (signing.BadSignature, TypeError):
            return None

    def claim_state(self):
        """True the first time only: a state is used by one callback."""
        key = "oidc:state:" + hashlib.sha256(self.state.encode()).hexdigest()
        return cache.add(key, 1, FLOW_SECONDS)


def forget(response):
    response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Lax")


def allowed_next(url):
    """Whether ``url`` may receive the result: an absolute URL on an allowed origin, no fragment."""
    if not isinstance(url, str) or len(url) > 2000 or "#" in url or any(c in url for c in "\r\n\\"):
        return False
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    return origin in {o.rstrip("/").lower() for o in settings.OIDC_REDIRECT_ORIGINS}


def link_ticket(user, session_id):
    """A ticket (``LINK_SECONDS``, single use) that starts a linking flow for ``user``."""
    return signing.dumps({"user": user.pk, "session": session_id, "nonce": generate_token(16)}, salt=LINK_SALT)


def redeem_link_ticket(ticket):
    """``(user id, session id)`` of a valid, unused ticket, else None."""
    try:
        value = signing.loads(ticket, salt=LINK_SALT, max_age=LINK_SECONDS)
    except signing.BadSignature:
        return None
    key = "oidc:link:" + hashlib.sha256(ticket.encode()).hexdigest()
    if not cache.add(key, 1, LINK_SECONDS * 2):
        return None
    return value["user"], value["session"]
