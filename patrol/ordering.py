"""How cases are sorted: one table for the case list (API), the map's list, the ledger page and the exports.

``?ordering=key`` or ``-key``; empty values (no deadline, no village) come last either way, then the newest id
breaks ties, so pages never repeat or skip a case.

Columns that are never empty are sorted without a NULLS clause: ``created_at DESC NULLS LAST`` is the same order
as ``created_at DESC`` for a NOT NULL column, but PostgreSQL cannot read it from an ascending index backwards, so the
ledger's default page was a sequential scan and a top-N sort of the whole table (issue #20). With the plain order,
``case_jur_created`` (jurisdiction, created_at, id) hands the first page over in order.
"""
from django.db import models

from patrol.choices import OPEN_STATUSES, Status

CASE_ORDERINGS = {
    # Year and number, not the text: "LWG-2026-100000" would sort before "LWG-2026-99999".
    "reference": ("year", "seq"),
    "village": ("village__name",),
    "created_at": ("created_at",),
    "updated_at": ("updated_at",),
    "deadline": ("deadline",),
    # The order of the procedure (DOMAIN.md), not the alphabet of the identifiers.
    "status": ("status_rank",),
}
# Keys whose columns are never NULL (no NULLS clause, see above).
NOT_NULL_KEYS = {"reference", "created_at", "updated_at", "status"}
DEFAULT_ORDERING = "-created_at"
ORDERING_CHOICES = [prefix + key for key in CASE_ORDERINGS for prefix in ("", "-")]

STATUS_RANK = models.Case(*[models.When(status=value, then=rank) for rank, value in enumerate(Status.values)],
                          default=len(Status.values), output_field=models.IntegerField())
# Open cases before ended ones: the deadline of a closed case no longer matters to whoever reads a to-do list.
ENDED_LAST = models.Case(models.When(status__in=OPEN_STATUSES, then=models.Value(0)), default=models.Value(1),
                         output_field=models.IntegerField())


def valid_ordering(value, default=DEFAULT_ORDERING):
    """The ``ordering`` parameter if it names a key of CASE_ORDERINGS (optionally with "-"), else ``default``."""
    value = (value or "").strip()
    return value if value.lstrip("-") in CASE_ORDERINGS else default


def order_cases(cases, ordering=None, *, default=DEFAULT_ORDERING, open_first=False):
    """``cases`` sorted by ``ordering`` (see CASE_ORDERINGS); ``open_first`` puts open cases before ended ones."""
    ordering = valid_ordering(ordering, default)
    key, descending = ordering.lstrip("-"), ordering.startswith("-")
    if key == "status":
        cases = cases.annotate(status_rank=STATUS_RANK)
    expressions = [models.F(field) for field in CASE_ORDERINGS[key]]
    if key in NOT_NULL_KEYS:
        expressions = [e.desc() if descending else e.asc() for e in expressions]
    else:
        expressions = [e.desc(nulls_last=True) if descending else e.asc(nulls_last=True) for e in expressions]
    if open_first:
        expressions.insert(0, ENDED_LAST.asc())
    return cases.order_by(*expressions, "-pk" if descending else "pk")
