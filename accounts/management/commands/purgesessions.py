from django.core.management.base import BaseCommand

from accounts.models import Session


class Command(BaseCommand):
    help = (
        "Delete sign-in sessions that can never be used again (revoked or expired), with their "
        "retired refresh tokens. Safe to run at any time; schedule it daily, e.g. with cron: "
        "`17 3 * * * cd /srv/authsite && .venv/bin/python manage.py purgesessions`."
    )

    def handle(self, **options):
        deleted, per_model = Session.objects.purgeable().delete()
        sessions = per_model.get(Session._meta.label, 0)
        self.stdout.write(f"Purged {sessions} session(s).")
