import time

from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Session
from authsite.cache import DatabaseCache
from mfa import pending as mfa_pending


class Command(BaseCommand):
    help = (
        "Delete sign-in sessions that can never be used again (revoked, expired, or opened under "
        "an old password), with their retired refresh tokens, in batches; the expired mfaTokens and "
        "setup tokens (mfa/); and the expired rows of the database cache (throttle counters; Redis "
        "expires its keys itself). Safe to run at any time; schedule it daily, e.g. with cron: "
        "`17 3 * * * cd /srv/authsite && .venv/bin/python manage.py purgesessions`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=1000,
            help="Sessions deleted per statement (default 1000): each batch is its own short "
                 "transaction, so sign-ins and refreshes are never held up behind one long delete.",
        )
        parser.add_argument(
            "--pause", type=float, default=0.0,
            help="Seconds to wait between batches (default 0), to spread the load.",
        )

    def handle(self, batch_size, pause, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        sessions = purge_in_batches(batch_size, pause)
        self.stdout.write(f"Purged {sessions} session(s).")
        self.stdout.write(f"Purged {mfa_pending.purge()} expired second-step token(s).")
        for alias in caches:
            cache = caches[alias]
            if isinstance(cache, DatabaseCache):
                self.stdout.write(f"Purged {cache.delete_expired()} expired cache entries ({alias}).")


def purge_in_batches(batch_size, pause=0.0):
    """
    Delete the purgeable sessions ``batch_size`` at a time (their retired tokens go with them);
    returns how many. As django-oauth-toolkit's ``clear_expired``: the ids of a batch are read,
    then deleted by id, until a read finds none.
    """
    purged = 0
    while batch := list(Session.objects.purgeable().values_list("pk", flat=True)[:batch_size]):
        _, per_model = Session.objects.filter(pk__in=batch).delete()
        purged += per_model.get(Session._meta.label, 0)
        if pause:
            time.sleep(pause)
    return purged
