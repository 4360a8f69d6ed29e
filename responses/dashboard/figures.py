"""Response-rate figures for the staff area, counted in PostgreSQL.

Every figure is a GROUP BY over the register and the invitations of one survey, so the
dashboard costs a fixed handful of queries however many members there are:

- totals: invited, opened, started, submitted (one aggregate over the invitations);
- breakdown by Land and by size class against the FULL register (members that were not
  invited still count in the "Register" column), one query each;
- submissions per day (and the running total) for the time series.

Member status per survey (nicht eingeladen … abgeschickt, abgemeldet, unzustellbar) is a
SQL CASE expression too, so the member list can filter and paginate on it in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from invitations.models import GROESSENKLASSEN, LAENDER, Invitation, Member, OutboxMessage
from responses.models import Response
from surveys.models import Survey


class MemberStatus:
    """Status of one register member for one survey; the codes are stable (filters, CSV)."""

    NOT_INVITED = "nicht_eingeladen"
    INVITED = "eingeladen"
    OPENED = "geoeffnet"
    STARTED = "begonnen"
    SUBMITTED = "abgeschickt"
    OPTED_OUT = "abgemeldet"
    BOUNCED = "unzustellbar"

    CHOICES = [
        (NOT_INVITED, _("nicht eingeladen")),
        (INVITED, _("eingeladen")),
        (OPENED, _("geöffnet")),
        (STARTED, _("begonnen")),
        (SUBMITTED, _("abgeschickt")),
        (OPTED_OUT, _("abgemeldet")),
        (BOUNCED, _("unzustellbar")),
    ]
    LABELS = dict(CHOICES)
    # Statuses counted as "not responded" for the non-responder list.
    NON_RESPONDING = [INVITED, OPENED, STARTED, OPTED_OUT, BOUNCED]


def members_with_status(survey: Survey) -> QuerySet[Member]:
    """All register members annotated with `status` (a MemberStatus code) and `first_opened` for this survey.

    One LEFT JOIN to this survey's invitation (at most one per member) and its response, so
    PostgreSQL can hash-join the whole register instead of running correlated subqueries per
    member. Precedence: submitted > opted out > started > opened > bounced > invited.
    "unzustellbar" means: the main address bounced and there is no fallback address, or the
    most recent message of this invitation bounced. Once a link has been opened it arrived.
    """
    last_message_status = Subquery(
        OutboxMessage.objects.filter(invitation_id=OuterRef("inv__id"))
        .order_by("-queued_at", "-id")
        .values("status")[:1]
    )
    status = Case(
        When(inv__id__isnull=True, then=Value(MemberStatus.NOT_INVITED)),
        When(inv__response__status=Response.Status.SUBMITTED, then=Value(MemberStatus.SUBMITTED)),
        When(inv__opted_out_at__isnull=False, then=Value(MemberStatus.OPTED_OUT)),
        When(inv__response__id__isnull=False, then=Value(MemberStatus.STARTED)),
        When(inv__first_opened_at__isnull=False, then=Value(MemberStatus.OPENED)),
        When(Q(email_bounced=True, fallback_email=""), then=Value(MemberStatus.BOUNCED)),
        When(Q(last_status=OutboxMessage.Status.BOUNCED), then=Value(MemberStatus.BOUNCED)),
        default=Value(MemberStatus.INVITED),
        output_field=CharField(),
    )
    return (
        Member.objects.annotate(inv=FilteredRelation("invitations", condition=Q(invitations__survey=survey)))
        .annotate(last_status=last_message_status, first_opened=F("inv__first_opened_at"))
        .annotate(status=status)
    )


@dataclass
class Counts:
    """Funnel figures for one group (the whole survey, a Land or a size class)."""

    label: str = ""
    register: int = 0
    invited: int = 0
    bounced: int = 0  # register members whose main address bounced
    opened: int = 0
    started: int = 0
    submitted: int = 0

    @property
    def rate(self) -> float | None:
        """Response rate in percent: submitted / invited."""
        return 100.0 * self.submitted / self.invited if self.invited else None


@dataclass
class DayCount:
    day: date
    submitted: int
    cumulative: int
    percent_of_max: float = 0.0
    rate: float | None = None  # cumulative response rate in percent up to this day


@dataclass
class Dashboard:
    totals: Counts
    by_land: list[Counts] = field(default_factory=list)
    by_size: list[Counts] = field(default_factory=list)
    per_day: list[DayCount] = field(default_factory=list)


def _group_counts(survey: Survey, key: str) -> dict[object, Counts]:
    """One GROUP BY over the full register, joined to this survey's invitations only."""
    rows = (
        Member.objects.annotate(inv=FilteredRelation("invitations", condition=Q(invitations__survey=survey)))
        .values(key)
        .annotate(
            register=Count("id"),
            bounced=Count("id", filter=Q(email_bounced=True)),
            invited=Count("inv"),
            opened=Count("inv", filter=Q(inv__first_opened_at__isnull=False)),
            started=Count("inv__response"),
            submitted=Count("inv__response", filter=Q(inv__response__status=Response.Status.SUBMITTED)),
        )
        .order_by(key)
    )
    return {
        row[key]: Counts(
            register=row["register"], bounced=row["bounced"], invited=row["invited"], opened=row["opened"],
            started=row["started"], submitted=row["submitted"],
        )
        for row in rows
    }


def totals(survey: Survey) -> Counts:
    """Invited, opened, started, submitted for the survey (one query) plus the register size."""
    agg = Invitation.objects.filter(survey=survey).aggregate(
        invited=Count("id"),
        opened=Count("id", filter=Q(first_opened_at__isnull=False)),
        started=Count("response"),
        submitted=Count("response", filter=Q(response__status=Response.Status.SUBMITTED)),
    )
    register = Member.objects.aggregate(register=Count("id"), bounced=Count("id", filter=Q(email_bounced=True)))
    return Counts(label=str(_("Insgesamt")), **register, **agg)


def by_land(survey: Survey) -> list[Counts]:
    counts = _group_counts(survey, "land")
    ordered = [land for land in LAENDER if land in counts] + sorted(k for k in counts if k not in LAENDER)
    return [_labelled(counts[land], land) for land in ordered]


def by_size(survey: Survey) -> list[Counts]:
    counts = _group_counts(survey, "groessenklasse")
    return [
        _labelled(counts[klass], f"{klass} – {GROESSENKLASSEN.get(klass, '')}".rstrip(" –"))
        for klass in sorted(counts)
    ]


def _labelled(counts: Counts, label: str) -> Counts:
    counts.label = label
    return counts


def per_day(survey: Survey, invited: int = 0) -> list[DayCount]:
    """Submissions per calendar day (local time zone) with the running total and rate."""
    rows = (
        Response.objects.filter(survey=survey, status=Response.Status.SUBMITTED, submitted_at__isnull=False)
        .annotate(day=TruncDate("submitted_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    days: list[DayCount] = []
    running = 0
    for row in rows:
        running += row["n"]
        days.append(DayCount(day=row["day"], submitted=row["n"], cumulative=running))
    peak = max((d.submitted for d in days), default=0)
    for d in days:
        d.percent_of_max = 100.0 * d.submitted / peak if peak else 0.0
        d.rate = 100.0 * d.cumulative / invited if invited else None
    return days


def build(survey: Survey) -> Dashboard:
    """Everything the dashboard page shows: five queries (totals, register size, Land, size class, days)."""
    overall = totals(survey)
    return Dashboard(totals=overall, by_land=by_land(survey), by_size=by_size(survey),
                     per_day=per_day(survey, overall.invited))


def status_counts(survey: Survey) -> dict[str, int]:
    """How many register members are in each status (one query)."""
    rows = members_with_status(survey).order_by().values("status").annotate(n=Count("id"))
    counts = {code: 0 for code, _label in MemberStatus.CHOICES}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


__all__ = [
    "Counts", "Dashboard", "DayCount", "MemberStatus", "build", "by_land", "by_size", "members_with_status",
    "per_day", "status_counts", "totals",
]
