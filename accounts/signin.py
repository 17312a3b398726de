"""
What every way of signing in ends with (password sign-in, OpenID Connect): a new session and the
tutorial's sign-in body. One place, so that cookie mode and other transports hook in once.
"""

from django.utils import timezone

from .api import user_agent
from .models import Session, User
from .serializers import MeSerializer
from .tokens import AccessToken


def open_session(request, user):
    """Record the sign-in and open a session for ``user``: ``(session, raw refresh token)``."""
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return Session.objects.start(user, user_agent(request))


def signin_body(user, session, refresh_token):
    """The sign-in answer: ``id, username, email, roles, emailVerified`` and the tokens."""
    return {
        **MeSerializer(user).data,
        "accessToken": str(AccessToken.for_session(session)),
        "refreshToken": refresh_token,
        "tokenType": "Bearer",
    }
