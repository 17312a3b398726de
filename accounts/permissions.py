"""
Role permissions. Roles are read from the database on each request (``User.role_names``), never
from the token, so a role granted or removed takes effect on the user's next request. A caller
without a token is refused by DRF before these run (403 ``No token provided!``).
"""

from rest_framework.permissions import BasePermission, IsAuthenticated

from .messages import REQUIRE_ADMIN_ROLE, REQUIRE_MODERATOR_ROLE
from .models import Role


class HasRole(BasePermission):
    """Allows a signed-in user who holds ``role``."""

    role = None

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_role(self.role))


class IsModerator(HasRole):
    role = Role.MODERATOR
    message = REQUIRE_MODERATOR_ROLE


class IsAdmin(HasRole):
    role = Role.ADMIN
    message = REQUIRE_ADMIN_ROLE


class HasSession(IsAuthenticated):
    """
    Allows a caller signed in with authsite's own access token, i.e. one with a sign-in session
    (a caller identified by a proxy assertion has none).
    """

    message = "Require a session: sign in with /api/auth/signin."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and current_session(request) is not None


def current_session(request):
    """The sign-in session the request's access token names (None for any other caller)."""
    return getattr(request.user, "auth_session", None)
