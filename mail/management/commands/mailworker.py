"""
``manage.py mailworker``: send the outbox's mail, until stopped (SIGTERM/SIGINT finish the
current batch first). ``--once``: send what is due now and exit (cron, tests). Several workers
may run at once. Rows sent or skipped more than ``MAIL_KEEP_DAYS`` ago are deleted hourly.
"""

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from mail.worker import deliver_due, purge_delivered

PURGE_EVERY = 3600


class Command(BaseCommand):
    help = "Send the mail waiting in the outbox (with retries), until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Send what is due now, then exit.")
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Seconds between looks at an empty outbox."
        )

    def handle(self, *args, once=False, interval=2.0, **options):
        if once:
            total = 0
            while handled := deliver_due():
                total += handled
            self.stdout.write(f"{total} message(s) handled.")
            return
        self.stopping = False
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.stop)
        self.stdout.write(f"Mail worker running (backend {settings.EMAIL_BACKEND}).")
        next_purge = 0.0
        while not self.stopping:
            close_old_connections()
            if time.monotonic() >= next_purge:
                purge_delivered(settings.MAIL_KEEP_DAYS)
                next_purge = time.monotonic() + PURGE_EVERY
            if not deliver_due():
                self.sleep(interval)
        self.stdout.write("Mail worker stopped.")

    def stop(self, signum, frame):
        self.stopping = True

    def sleep(self, seconds):
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, deadline - time.monotonic()))
