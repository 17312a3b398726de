from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User


class Command(BaseCommand):
    help = (
        "Show, grant or revoke a user's roles. "
        "Examples: `roles grant alice admin`, `roles revoke alice moderator`, `roles show alice`."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["grant", "revoke", "show"])
        parser.add_argument("username")
        parser.add_argument("roles", nargs="*", metavar="role")

    def handle(self, action, username, roles, **options):
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if action != "show":
            if not roles:
                raise CommandError(f"Name at least one role to {action}.")
            found = {role.name: role for role in Role.objects.filter(name__in=roles)}
            unknown = [name for name in roles if found.get(name) is None or found[name].name != name]
            if unknown:
                known = ", ".join(Role.objects.values_list("name", flat=True))
                raise CommandError(f"Unknown role {unknown[0]!r}; roles are: {known}.")
            if action == "grant":
                user.roles.add(*found.values())
            else:
                user.roles.remove(*found.values())
        names = ", ".join(role.name for role in user.roles.all()) or "(none)"
        self.stdout.write(f"{user.username}: {names}")
