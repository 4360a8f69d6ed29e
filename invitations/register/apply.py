"""Writing a checked register file: new members are created, existing ones updated by `ags`, in one transaction.

A file that is not clean is refused unless the caller asks to skip the bad rows (the staff page's
checkbox, the command's --skip-invalid); a file with file-level problems is always refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..models import Member, groessenklasse
from .check import COLUMNS, RegisterCheck, RegisterRow


class RegisterError(Exception):
    """apply_register was asked to write a file that is not clean."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    skipped: int
    unchanged: int = 0  # existing members whose data was identical


def apply_register(check: RegisterCheck, skip_invalid: bool = False) -> ImportResult:
    """Write the valid rows of a check in one transaction: create new members, update by ags."""
    if check.has_fatal:
        raise RegisterError("the file cannot be read as a register; nothing was imported")
    if not check.is_clean and not skip_invalid:
        raise RegisterError(f"the file has {len(check.problems)} problem(s); nothing was imported")
    skipped = check.invalid_count
    rows = {row.ags: row for row in check.rows}
    now = timezone.now()
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {m.ags: m for m in Member.objects.select_for_update().filter(ags__in=list(rows))}
        changed: list[Member] = []
        new: list[Member] = []
        for ags, row in rows.items():
            member = existing.get(ags)
            if member is None:
                fields = row.member_fields()
                new.append(Member(ags=ags, groessenklasse=groessenklasse(row.einwohner), **fields))
                continue
            if _update_member(member, row):
                member.updated_at = now
                changed.append(member)
            else:
                unchanged += 1
        if new:
            Member.objects.bulk_create(new, batch_size=1000)
            created = len(new)
        if changed:
            Member.objects.bulk_update(
                changed, [*[c for c in COLUMNS if c != "ags"], "groessenklasse", "email_bounced", "updated_at"],
                batch_size=1000,
            )
            updated = len(changed)
    return ImportResult(created=created, updated=updated, skipped=skipped, unchanged=unchanged)


def _update_member(member: Member, row: RegisterRow) -> bool:
    changed = False
    for name, value in row.member_fields().items():
        if getattr(member, name) != value:
            if name == "email":
                member.email_bounced = False  # a new address has not bounced (the fallback stays on file)
            setattr(member, name, value)
            changed = True
    member.groessenklasse = groessenklasse(member.einwohner)
    return changed
