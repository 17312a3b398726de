"""
The in-process benchmarks' set-up (bench/profile.py, bench/parts.py, bench/querycpu.py): Django
with production's settings (DEBUG off, throttling off, throw-away keys) on ``DATABASE_URL`` or a
new SQLite database, migrated, and a user of its own with a live session.
"""

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup_django(prefix):
    """Configure and set up Django, and migrate its database (``DATABASE_URL``, else a new SQLite one)."""
    tmp = tempfile.mkdtemp(prefix=f"authsite-{prefix}-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="authsite.settings", DJANGO_DEBUG="0", THROTTLE_ENABLED="0",
        DJANGO_SECRET_KEY="p" * 50, JWT_SIGNING_KEY="q" * 50, DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL=os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/db.sqlite3"), LOG_LEVEL="WARNING",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def user_with_session(prefix, password, roles=("user", "moderator")):
    """
    ``(user, session, raw refresh token)``: a new user holding ``roles``, named ``<prefix>_<random>``
    (a ``DATABASE_URL`` database keeps the users of earlier runs), signed in once.
    """
    from accounts.models import Role, Session, User

    username = f"{prefix}_{os.urandom(4).hex()}"
    user = User.objects.create_user(username, f"{username}@example.com", password)
    user.roles.set(Role.objects.filter(name__in=roles))
    session, refresh = Session.objects.start(user)
    return user, session, refresh
