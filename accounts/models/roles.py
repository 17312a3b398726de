"""
Roles: the three fixed rows (``Role.FIXED``, created by migration 0002 and mirrored by
fixtures/roles.json) and the process-wide id -> name map authorization reads them through.
"""

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver


class Role(models.Model):
    """A role. Rows 1 = user, 2 = moderator, 3 = admin are created by migration 0002."""

    USER = "user"
    MODERATOR = "moderator"
    ADMIN = "admin"
    # The fixed rows, id -> name: the source of truth. Migration 0002 (frozen, as migrations must
    # be) and fixtures/roles.json repeat them; tests/test_commands.py holds both to this.
    FIXED = {1: USER, 2: MODERATOR, 3: ADMIN}

    name = models.CharField(max_length=20, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


def authority(role_name):
    """A role as the clients see it: ``ROLE_USER``, ``ROLE_MODERATOR``, ``ROLE_ADMIN``."""
    return f"ROLE_{role_name.upper()}"


# The roles table, id -> name, as this process last read it. Authorization reads which roles a user
# holds fresh on every request (their ids); the names of the three fixed rows come from here.
_role_names = {}


@receiver([post_save, post_delete], sender=Role)
def forget_role_names(**kwargs):
    global _role_names
    _role_names = {}


def load_role_names():
    """Read the roles table (one query); a process does so once, and again after a role changes."""
    global _role_names
    _role_names = dict(Role.objects.values_list("id", "name"))
    return _role_names


def roles_by_id(role_ids):
    """``[(id, name), ...]`` in id order for ``role_ids``; reads the roles table when one is new."""
    role_ids = sorted(set(role_ids))
    names = _role_names
    if not names.keys() >= set(role_ids):
        names = load_role_names()
    return [(role_id, names[role_id]) for role_id in role_ids if role_id in names]
