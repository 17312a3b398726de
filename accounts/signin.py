"""
What every way of signing in ends with (password sign-in, OpenID Connect): a new session and the
tutorial's sign-in body. One place, so that cookie mode and other transports hook in once.
"""

from django.db import transaction
from django.utils import timezone

from . import cookies
from .api import user_agent
from .models import Session, User
from .serializers import MeSerializer
from .tokens import AccessToken


def open_session(request, user):
    """
    Record the sign-in and open a session for ``user``: ``(session, raw refresh token)``.

    One transaction: the sign-in is recorded only with its session, and the database commits (and
    flushes its log) once per sign-in rather than twice. Inside a caller's transaction it joins
    that one (no savepoint: a failure here fails the caller's transaction as a whole).
    """
    with transaction.atomic(savepoint=False):
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        return Session.objects.start(user, user_agent(request))


def signin_response(user, session, refresh_token):
    """
    The sign-in answer for ``session`` (opened for ``user``, whose raw refresh token is
    ``refresh_token``): the tutorial's body ``id, username, email, roles, emailVerified`` with the
    tokens, shaped by cookie mode (``accounts.cookies``: cookies set in modes ``on`` and ``both``,
    no tokens in the body in ``on``).
    """
    access_token = AccessToken.for_session(session)
    body = {
        **MeSerializer(user).data,
        "accessToken": str(access_token),
        "refreshToken": refresh_token,
        "tokenType": "Bearer",
    }
    return cookies.token_response(body, access_token, refresh_token, session)
