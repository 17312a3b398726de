import json

from django.core.management.base import BaseCommand, CommandError

from nodeimport.importer import AtomicImportRefused, import_node_users
from nodeimport.plan import KEEP_CHOICES
from nodeimport.source import SourceError, read_node_database


class Command(BaseCommand):
    help = (
        "Import the users and roles of a Node.js tutorial backend's MySQL/MariaDB database "
        "(tables users, roles, user_roles). Passwords keep their bcryptjs hashes and become "
        "Argon2id at each user's first sign-in. Idempotent: rows imported before are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="source", required=True, metavar="mysql://USER:PASS@HOST:PORT/DB",
            help="The Node app's database (read only).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the report, write nothing."
        )
        parser.add_argument(
            "--atomic", action="store_true",
            help="All or nothing: if any row would be skipped (other than imported before), "
            "import none. Default: each user in its own transaction.",
        )
        parser.add_argument(
            "--keep-duplicate", choices=KEEP_CHOICES, default=None,
            help="When Node rows share a username or email (caselessly, after NFKC), import the "
            "oldest or the newest (by createdAt) and skip the others. Default: skip them all.",
        )
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="The report as JSON."
        )

    def handle(self, source, dry_run, atomic, keep_duplicate, as_json, **options):
        try:
            database = read_node_database(source)
        except SourceError as error:
            raise CommandError(str(error)) from None
        try:
            report = import_node_users(database, keep=keep_duplicate, atomic=atomic, dry_run=dry_run)
        except AtomicImportRefused as refused:
            self.write_report(refused.report, as_json)
            raise CommandError(f"--atomic: {refused}") from None
        self.write_report(report, as_json)

    def write_report(self, report, as_json):
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(report.as_text())

