"""
Carrying out an import plan: each user with its roles and its import record in one transaction
(or, ``atomic``, all of them in one), so nothing is ever half-imported.
"""

from django.db import IntegrityError, transaction

from accounts.models import User

from .models import ImportedNodeUser
from .plan import WRITE_CONFLICT, password_digest, plan
from .report import Report


class AtomicImportRefused(Exception):
    """``atomic`` and some row would be skipped (or failed to write): nothing was written."""

    def __init__(self, report):
        super().__init__(f"{report.problems} rows cannot be imported; nothing was imported")
        self.report = report


def import_node_users(database, *, keep=None, atomic=False, dry_run=False):
    """Import ``database`` (a ``source.NodeDatabase``); returns the Report."""
    decisions, previous = plan(database, keep=keep)
    report = Report(database.label, database.variant, dry_run=dry_run, atomic=atomic,
                    read=len(database.users), refresh_tokens=database.refresh_tokens)
    compare_with_earlier_imports(database, previous, report)
    for decision in decisions:
        if not decision.imports:
            report.skip(decision)
    if atomic and report.problems:
        raise AtomicImportRefused(report)
    to_import = [decision for decision in decisions if decision.imports]
    if dry_run:
        for decision in to_import:
            count_import(report, decision)
    elif atomic:
        with transaction.atomic():
            write(database.label, to_import, report)
            if report.problems:
                raise AtomicImportRefused(report)  # rolls the whole import back
    else:
        write(database.label, to_import, report)
    return report


def write(source, to_import, report):
    """Each user in a transaction of its own (a savepoint inside an ``atomic`` import)."""
    for decision in to_import:
        try:
            with transaction.atomic():
                create_user(source, decision)
        except IntegrityError as error:
            # Someone signed up with that name, or another import ran, since the plan was made.
            decision.reason, decision.detail = WRITE_CONFLICT, str(error)
            report.skip(decision)
        else:
            count_import(report, decision)


def count_import(report, decision):
    row = decision.row
    report.imported.append(row.id)
    report.role_grants.update(role.name for role in decision.roles)
    granted = {role.name for role in decision.roles}
    for name in row.roles:
        if name not in granted:
            report.unknown_roles.setdefault(name, []).append(row.id)
    if not row.roles:
        report.without_roles.append(row.id)


def create_user(source, decision):
    row = decision.row
    user = User(
        username=decision.username, email=decision.email, password="bcryptjs$" + row.password
    )
    if row.created_at:
        user.date_joined = row.created_at
    user.save()
    # Not roles.set(): on MySQL it inserts with INSERT IGNORE (see accounts.models.UserManager).
    UserRole = User.roles.through  # noqa: N806 (a model class)
    UserRole.objects.bulk_create(UserRole(user=user, role=role) for role in decision.roles)
    ImportedNodeUser.objects.create(
        source=source,
        node_id=row.id,
        user=user,
        node_username=(row.username or "")[:255],
        node_email=(row.email or "")[:255],
        node_roles=",".join(row.roles)[:255],
        node_password_digest=password_digest(row.password),
    )
    return user


def compare_with_earlier_imports(database, previous, report):
    """Report Node rows changed or deleted since an earlier run imported them (nothing applied)."""
    present = set()
    for row in database.users:
        record = previous.get(row.id)
        if record is None:
            continue
        present.add(row.id)
        fields = [
            name
            for name, then, now in (
                ("username", record.node_username, (row.username or "")[:255]),
                ("email", record.node_email, (row.email or "")[:255]),
                ("roles", record.node_roles, ",".join(row.roles)[:255]),
                ("password", record.node_password_digest, password_digest(row.password)),
            )
            if then != now
        ]
        if fields:
            report.changed_since_import.append(
                {"node_id": row.id, "user_id": record.user_id, "fields": fields}
            )
    report.gone_from_node = sorted(set(previous) - present)
