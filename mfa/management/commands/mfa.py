from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands.roles import find_user
from mfa import encryption, services, totp


class Command(BaseCommand):
    help = (
        "The second factor. `mfa reset alice --by 'ops: ticket 123'`: turn off alice's second factor "
        "(a lost phone; logged as mfa_disabled with --by, the owner is mailed, the sessions end). "
        "`mfa status alice`. `mfa reencrypt`: move every TOTP secret to the first key of "
        "MFA_ENCRYPTION_KEYS (after putting a new key first; then the old one can be removed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["reset", "status", "reencrypt"])
        parser.add_argument("username", nargs="?", help="a username, or #<id> (reset, status)")
        parser.add_argument("--by", default="manage.py mfa reset", help="who resets it and why (logged)")

    def handle(self, action, username, by, **options):
        if action == "reencrypt":
            try:
                count = totp.reencrypt_all()
            except encryption.SecretUnreadable:
                raise CommandError(
                    "A stored secret cannot be decrypted with any key of MFA_ENCRYPTION_KEYS: "
                    "put back the key it was encrypted with."
                ) from None
            self.stdout.write(f"{count} secrets encrypted with the first key.")
            return
        if not username:
            raise CommandError(f"Name the user to {action}.")
        user = find_user(username)
        if action == "status":
            state = "on" if services.has_second_factor(user) else "off"
            self.stdout.write(f"{user.username}: second factor {state}")
            return
        if not services.disable(None, user, by=by):
            raise CommandError(f"{user.username} has no second factor.")
        self.stdout.write(f"{user.username}: second factor reset; sessions signed out, owner notified.")
