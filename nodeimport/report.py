"""
What an import did (or, with ``--dry-run``, would do): counts, the rows skipped and why, the
roles granted and not, as text or JSON.
"""

from collections import Counter
from dataclasses import dataclass, field

from .plan import ALREADY_IMPORTED, REASONS

REFRESH_TOKENS_NOTE = (
    "not imported: the Node app stored them in plain text; users sign in again"
)
PASSWORDS_NOTE = (
    "bcryptjs hashes kept as they are; each is replaced with Argon2id at the user's first sign-in"
)


@dataclass
class Report:
    source: str
    variant: str
    dry_run: bool
    atomic: bool
    read: int = 0
    imported: list = field(default_factory=list)  # node ids
    role_grants: Counter = field(default_factory=Counter)  # role name -> users granted it
    skipped: dict = field(default_factory=dict)  # reason -> [problem dicts]
    unknown_roles: dict = field(default_factory=dict)  # role name -> [node ids]
    without_roles: list = field(default_factory=list)  # node ids imported with no role
    changed_since_import: list = field(default_factory=list)
    gone_from_node: list = field(default_factory=list)  # node ids imported earlier, now absent
    refresh_tokens: int | None = None

    def skip(self, decision):
        problem = {"node_id": decision.row.id, "username": decision.row.username,
                   "email": decision.row.email}
        if decision.detail:
            problem["detail"] = decision.detail
        if decision.others:
            problem["others"] = decision.others
        self.skipped.setdefault(decision.reason, []).append(problem)

    @property
    def skipped_counts(self):
        return {reason: len(self.skipped[reason]) for reason in REASONS if reason in self.skipped}

    @property
    def problems(self):
        """Rows skipped for a reason other than an earlier import: what ``--atomic`` refuses."""
        return sum(n for reason, n in self.skipped_counts.items() if reason != ALREADY_IMPORTED)

    def as_dict(self):
        return {
            "source": self.source,
            "variant": self.variant,
            "dry_run": self.dry_run,
            "atomic": self.atomic,
            "read": self.read,
            "imported": len(self.imported),
            "imported_node_ids": self.imported,
            "role_grants": dict(sorted(self.role_grants.items())),
            "skipped": self.skipped_counts,
            "skipped_rows": {
                reason: self.skipped[reason]
                for reason in self.skipped_counts
                if reason != ALREADY_IMPORTED  # counted only: they were reported when imported
            },
            "unknown_roles": self.unknown_roles,
            "imported_without_roles": self.without_roles,
            "changed_since_import": self.changed_since_import,
            "gone_from_node": self.gone_from_node,
            "refresh_tokens": {"found": self.refresh_tokens or 0, "note": REFRESH_TOKENS_NOTE},
            "passwords": PASSWORDS_NOTE,
        }

    def as_text(self):
        would = "would be " if self.dry_run else ""
        lines = [
            f"Source: {self.source} ({self.variant} variant), {self.read} users read"
            + (" -- DRY RUN, nothing written" if self.dry_run else ""),
            f"Imported: {len(self.imported)} {would}imported",
        ]
        grants = ", ".join(f"{name} {count}" for name, count in sorted(self.role_grants.items()))
        lines.append(f"Role grants: {grants or 'none'}")
        total = sum(self.skipped_counts.values())
        lines.append(f"Skipped: {total}")
        for reason, count in self.skipped_counts.items():
            lines.append(f"  {reason}: {count}")
            if reason == ALREADY_IMPORTED:
                continue
            for problem in self.skipped[reason]:
                lines.append(f"    node user {problem['node_id']} {describe(problem)}: "
                             f"{problem.get('detail', '')}")
                for other in problem.get("others", []):
                    who = (f"authsite user {other['user_id']}" if "user_id" in other
                           else f"node user {other['node_id']}")
                    lines.append(f"      {who} {describe(other)}")
        for name, ids in sorted(self.unknown_roles.items()):
            lines.append(f"Unknown role {name!r} (not granted): node users {ids}")
        if self.without_roles:
            lines.append(f"Imported without any role (as in Node): node users {self.without_roles}")
        for change in self.changed_since_import:
            lines.append(
                f"Changed in Node since the import: node user {change['node_id']} "
                f"(authsite user {change['user_id']}): {', '.join(change['fields'])} (not applied)"
            )
        if self.gone_from_node:
            lines.append(
                f"Gone from Node since the import (authsite keeps them): {self.gone_from_node}"
            )
        lines.append(f"Refresh tokens: {self.refresh_tokens or 0} {REFRESH_TOKENS_NOTE}")
        lines.append(f"Passwords: {PASSWORDS_NOTE}")
        return "\n".join(lines)


def describe(row):
    return f"{row.get('username')!r} <{row.get('email')}>"
