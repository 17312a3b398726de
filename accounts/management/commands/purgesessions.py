from django.core.cache import caches
from django.core.management.base import BaseCommand

from accounts.models import Session
from authsite.cache import DatabaseCache
from mfa import pending as mfa_pending


class Command(BaseCommand):
    help = (
        "Delete sign-in sessions that can never be used again (revoked or expired), with their "
        "retired refresh tokens, the expired mfaTokens and setup tokens (mfa/), and the expired "
        "rows of the database cache (throttle counters; Redis expires its keys itself). "
        "Safe to run at any time; schedule it daily, e.g. with "
        "cron: `17 3 * * * cd /srv/authsite && .venv/bin/python manage.py purgesessions`."
    )

    def handle(self, **options):
        deleted, per_model = Session.objects.purgeable().delete()
        sessions = per_model.get(Session._meta.label, 0)
        self.stdout.write(f"Purged {sessions} session(s).")
        self.stdout.write(f"Purged {mfa_pending.purge()} expired second-step token(s).")
        for alias in caches:
            cache = caches[alias]
            if isinstance(cache, DatabaseCache):
                self.stdout.write(f"Purged {cache.delete_expired()} expired cache entries ({alias}).")
