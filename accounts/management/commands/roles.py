from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User


def find_user(name):
    """
    The user ``name`` designates: ``#<id>``, or a username (caselessly, as sign-in). A name that is
    one user's username and another user's email is refused as ambiguous: a local account named
    like a proxy user's email (``VICTIM@CORP.EXAMPLE``) must never receive the roles meant for
    that person.
    """
    if name.startswith("#") and name[1:].isdigit():
        try:
            return User.objects.get(pk=int(name[1:]))
        except User.DoesNotExist:
            raise CommandError(f"No user with id {name}.") from None
    by_username = User.objects.with_username(name).first()
    by_email = User.objects.with_email(name).first()
    if by_username is None:
        hint = f" The user with that email is #{by_email.pk} ({by_email.username})." if by_email else ""
        raise CommandError(f"No user named {name!r}.{hint}")
    if by_email is not None and by_email.pk != by_username.pk:
        raise CommandError(
            f"{name!r} is ambiguous: it is the username of #{by_username.pk} ({by_username.email}) "
            f"and the email of #{by_email.pk} ({by_email.username}). Name the user by id: #<id>."
        )
    return by_username


class Command(BaseCommand):
    help = (
        "Show, grant or revoke a user's roles. "
        "Examples: `roles grant alice admin`, `roles revoke alice moderator`, `roles show alice`, "
        "`roles show '#42'` (by id)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["grant", "revoke", "show"])
        parser.add_argument("username", help="a username, or #<id>")
        parser.add_argument("roles", nargs="*", metavar="role")

    def handle(self, action, username, roles, **options):
        user = find_user(username)
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
