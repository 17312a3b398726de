"""
Deciding, row by row, what happens to a Node database's users: authsite's rules applied.

Pure decisions over the rows read and what authsite already holds; ``importer.py`` carries them
out. In order: rows imported by an earlier run are skipped (and compared with what Node holds
now); invalid usernames, emails and password hashes are skipped; names already taken in
authsite are skipped; then names shared by several Node rows (authsite's uniqueness is
NFKC + casefold, the Node schema has none) skip every row involved, unless ``keep`` says which
wins (``oldest`` or ``newest`` by createdAt, then id).
"""

import hashlib
import re
from dataclasses import dataclass, field

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from accounts.models import Role, User, identity_key

from .models import ImportedNodeUser

USERNAME_MAX_LENGTH = 150  # as signup (accounts/serializers.py)
EMAIL_MAX_LENGTH = 254
# What bcryptjs writes, at costs a sign-in can afford (cost 31 would take hours to check).
NODE_HASH = re.compile(r"\$2[aby]\$(0[4-9]|1[0-4])\$[./A-Za-z0-9]{53}")

KEEP_CHOICES = ("oldest", "newest")

# Reasons a row is skipped, in the report's order.
ALREADY_IMPORTED = "already_imported"
INVALID_USERNAME = "invalid_username"
INVALID_EMAIL = "invalid_email"
INVALID_PASSWORD_HASH = "invalid_password_hash"
USERNAME_TAKEN = "username_taken"
EMAIL_TAKEN = "email_taken"
DUPLICATE_USERNAME = "duplicate_username"
DUPLICATE_EMAIL = "duplicate_email"
WRITE_CONFLICT = "write_conflict"
REASONS = (
    ALREADY_IMPORTED, INVALID_USERNAME, INVALID_EMAIL, INVALID_PASSWORD_HASH, USERNAME_TAKEN,
    EMAIL_TAKEN, DUPLICATE_USERNAME, DUPLICATE_EMAIL, WRITE_CONFLICT,
)


@dataclass
class Decision:
    """One Node row: imported as ``username``/``email`` with ``roles``, or skipped for ``reason``."""

    row: object  # source.NodeUser
    username: str = ""
    email: str = ""
    roles: list = field(default_factory=list)  # authsite Role objects
    reason: str | None = None
    detail: str = ""
    others: list = field(default_factory=list)  # the other rows involved: dicts

    @property
    def imports(self):
        return self.reason is None


def describe_row(row):
    return {"node_id": row.id, "username": row.username, "email": row.email}


def password_digest(node_hash):
    return hashlib.sha256((node_hash or "").encode("utf-8", "surrogatepass")).hexdigest()


def check_username(value):
    """``(normalised username, None)`` or ``(None, why not)``, by signup's rules."""
    if not value or not value.strip():
        return None, "missing"
    value = User.normalize_username(value.strip())  # signup trims whitespace too
    if len(value) > USERNAME_MAX_LENGTH:
        return None, f"longer than {USERNAME_MAX_LENGTH} characters"
    try:
        UnicodeUsernameValidator()(value)
    except ValidationError:
        return None, "letters, digits and @/./+/-/_ only"
    return value, None


def check_email(value):
    if not value or not value.strip():
        return None, "missing"
    value = User.objects.normalize_email(value.strip())
    if len(value) > EMAIL_MAX_LENGTH:
        return None, f"longer than {EMAIL_MAX_LENGTH} characters"
    try:
        EmailValidator()(value)
    except ValidationError:
        return None, "not a valid email address"
    return value, None


def plan(database, keep=None):
    """``(decisions, previous)``: a Decision per row, and the earlier imports from this source."""
    previous = {
        record.node_id: record
        for record in ImportedNodeUser.objects.filter(source=database.label).select_related("user")
    }
    roles = {role.name: role for role in Role.objects.all()}
    decisions = [Decision(row) for row in database.users]
    for decision in decisions:
        row = decision.row
        if row.id in previous:
            decision.reason = ALREADY_IMPORTED
            continue
        decision.username, why = check_username(row.username)
        if why:
            decision.reason, decision.detail = INVALID_USERNAME, why
            continue
        decision.email, why = check_email(row.email)
        if why:
            decision.reason, decision.detail = INVALID_EMAIL, why
            continue
        if not (row.password and NODE_HASH.fullmatch(row.password)):
            decision.reason = INVALID_PASSWORD_HASH
            decision.detail = "not a bcrypt hash of cost 4 to 14"
            continue
        decision.roles = [roles[name] for name in row.roles if name in roles]
    candidates = [decision for decision in decisions if decision.imports]
    skip_taken(candidates)
    skip_duplicates([decision for decision in candidates if decision.imports], keep)
    return decisions, previous


def skip_taken(candidates):
    """Skip rows whose username or email an authsite account already has (any case or width)."""
    for key_field, attribute, reason in (
        ("username_key", "username", USERNAME_TAKEN),
        ("email_key", "email", EMAIL_TAKEN),
    ):
        pending = [decision for decision in candidates if decision.imports]
        keys = {identity_key(getattr(decision, attribute)) for decision in pending}
        holders = {}
        key_list = sorted(keys)
        for start in range(0, len(key_list), 500):
            for user in User.objects.filter(**{f"{key_field}__in": key_list[start : start + 500]}):
                holders[getattr(user, key_field)] = user
        for decision in pending:
            holder = holders.get(identity_key(getattr(decision, attribute)))
            if holder is not None:
                decision.reason = reason
                decision.detail = f"authsite user {holder.pk} ({holder.username}) has it"
                decision.others = [
                    {"user_id": holder.pk, "username": holder.username, "email": holder.email}
                ]


def skip_duplicates(candidates, keep):
    """
    Rows sharing a username or email key with another candidate: with ``keep``, the preferred row
    of each clash wins and the rows it clashes with are skipped; without, all of them are skipped.
    """
    def preference(decision):
        row = decision.row
        created = row.created_at.timestamp() if row.created_at else float("inf")
        return (created, row.id) if keep != "newest" else (-created, -row.id)

    by_key = {}
    for decision in candidates:
        by_key.setdefault(("username", identity_key(decision.username)), []).append(decision)
        by_key.setdefault(("email", identity_key(decision.email)), []).append(decision)
    clashes = {}  # id(decision) -> [(attribute, other decision)]
    for (attribute, _), group in by_key.items():
        if len(group) > 1:
            for decision in group:
                clashes.setdefault(id(decision), []).extend(
                    (attribute, other) for other in group if other is not decision
                )
    if keep is None:
        for decision in candidates:
            if id(decision) in clashes:
                mark_duplicate(decision, clashes[id(decision)])
        return
    taken, kept = set(), set()
    for decision in sorted(candidates, key=preference):
        keys = {
            ("username", identity_key(decision.username)),
            ("email", identity_key(decision.email)),
        }
        if keys & taken:
            winners = [(a, o) for a, o in clashes.get(id(decision), []) if id(o) in kept]
            mark_duplicate(decision, winners, won_by=keep)
        else:
            taken |= keys
            kept.add(id(decision))


def mark_duplicate(decision, clashes, won_by=None):
    attributes = [attribute for attribute, _ in clashes]
    decision.reason = DUPLICATE_USERNAME if "username" in attributes else DUPLICATE_EMAIL
    ids = sorted({other.row.id for _, other in clashes})
    decision.detail = f"same {' and '.join(sorted(set(attributes)))} as node user(s) {ids}"
    if won_by:
        decision.detail += f"; the {won_by} row is kept"
    involved = {id(other): other for _, other in clashes}.values()
    decision.others = [
        describe_row(other.row) for other in sorted(involved, key=lambda other: other.row.id)
    ]
