"""Reads of the public pages: the body, its officers and its law (事前), the published decisions (事后).

Nothing here reads a case or a party: the decisions come from the masked snapshot on PublishedDecision.
"""
import functools
import json
import re
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from django.db import router
from django.db.models import Aggregate, OuterRef, Q, Subquery, TextField
from django.db.models.functions import JSONArray
from django.http import Http404
from django.shortcuts import get_object_or_404

from disclosure.models import PublishedDecision
from documents.legal import ARTICLE_TEXTS, MEASURES, VIOLATIONS, remedies_content
from gis.models import Jurisdiction, Village
from patrol.choices import FIELD_ROLES, LEGAL_BASIS_RULES, LegalBasis
from patrol.models import User
from patrol.officers import certificate_problem


def jurisdiction_by_code(code):
    # Never the boundary: a real one is thousands of vertices, and no public page draws it.
    return get_object_or_404(Jurisdiction.objects.defer("boundary"), code=code)


class _JSONList(Aggregate):
    """The grouped values as one JSON array (PostgreSQL json_agg, SQLite json_group_array), read as text."""

    function = "JSON_AGG"
    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return f"({sql})::text", params

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


@functools.cache
def _listing_jurisdictions():
    """The jurisdictions with what the public list needs before its rows, as annotations (listing_jurisdiction).
    Built once: resolving the four subqueries cost twice the query itself. Never evaluated, only filtered (a copy)."""
    entries = PublishedDecision.objects.filter(jurisdiction=OuterRef("pk"))
    decided = entries.public().values("decided_on")
    villages = (Village.objects.filter(jurisdiction=OuterRef("pk")).order_by().values("jurisdiction")
                .annotate(pairs=_JSONList(JSONArray("pk", "name"))).values("pairs"))
    # Only what the list shows of it: each column is compiled, and the jurisdiction has dozens of settings.
    return Jurisdiction.objects.only("pk", "name", "code").annotate(
        entries_version=Subquery(entries.order_by("-updated_at").values("updated_at")[:1]),
        first_decided=Subquery(decided.order_by("decided_on")[:1]),
        last_decided=Subquery(decided.order_by("-decided_on")[:1]),
        villages_json=Subquery(villages),
    )


# Stands for the code in the SQL of listing_jurisdiction, compiled once and run with the code asked for.
_CODE = "\x00code\x00"


@functools.cache
def _listing_sql(alias):
    sql, params = _listing_jurisdictions().filter(code=_CODE).query.get_compiler(using=alias).as_sql()
    if list(params).count(_CODE) != 1:  # the code must be its one value that changes: nothing else is swapped
        raise RuntimeError(f"listing_jurisdiction: unexpected parameters {params!r}")
    return sql, params


def listing_jurisdiction(code):
    """The jurisdiction of the public list with all the list needs before its rows, in one query (index probes and
    the villages, whatever the number of entries):

    - ``entries_version``: the last change to any of its entries (every change moves ``updated_at``, and entries are
      never deleted), for the ETag;
    - ``first_decided`` / ``last_decided``: the first and last day a public decision was made on (the years offered);
    - ``village_choices``: its villages as ``[(pk, name)]`` by name (``villages_json`` as read), for the search form.

    Its SQL is compiled once per database (compiling it each time cost more than running it): the annotations come
    as the database gives them (on SQLite, dates as text: year_choices reads either).
    """
    sql, params = _listing_sql(router.db_for_read(Jurisdiction))
    found = list(Jurisdiction.objects.raw(sql, [code if value == _CODE else value for value in params]))
    if not found:
        raise Http404("No such jurisdiction")
    jurisdiction = found[0]
    jurisdiction.villages_json = jurisdiction.villages_json or "[]"
    jurisdiction.village_choices = sorted(((pk, name) for pk, name in json.loads(jurisdiction.villages_json)),
                                          key=lambda village: (village[1], village[0]))
    return jurisdiction


def officers(jurisdiction, today):
    """The officers the public may check: active field staff whose 执法证 is valid today (patrol.officers decides
    validity), by name, with the number only."""
    candidates = (User.objects.filter(jurisdiction=jurisdiction, is_active=True, role__in=FIELD_ROLES)
                  .exclude(certificate_number="").order_by("certificate_number"))
    return [{"name": user.display_name, "certificate": user.certificate_number}
            for user in candidates if certificate_problem(user, today) is None]


@dataclass(frozen=True)
class Basis:
    code: str
    label: str
    citation: str  # the articles decided under (LEGAL_BASIS_RULES)
    violated: str  # the article the construction breaks (documents.legal.VIOLATIONS)
    articles: list  # [(citation, text)]
    route: str
    duty: str  # the duty it gives, as the 事前 page lists it when the jurisdiction wrote none


def legal_bases(jurisdiction):
    """The bases the jurisdiction may decide under (its configuration), as documents cite them."""
    bases = []
    for code in jurisdiction.legal_bases or []:
        if code not in LegalBasis.values:
            continue
        rule = LEGAL_BASIS_RULES[code]
        law, article, violation = VIOLATIONS[code]
        bases.append(Basis(code, str(LegalBasis(code).label), rule.articles, f"{law}{article}（{violation}）",
                           ARTICLE_TEXTS.get(code, []), rule.route,
                           f"对{violation}的行为，依照{rule.articles}{MEASURES[code]}"))
    return bases


def remedies(jurisdiction):
    """The reconsideration body and the court with the party's windows, as decisions print them
    (documents.legal.remedies_content), and the time to sue under each of the jurisdiction's bases."""
    bases = [code for code in (jurisdiction.legal_bases or []) if code in LegalBasis.values] or [
        LegalBasis.PLANNING_ART65]
    by_basis = {code: remedies_content(jurisdiction, SimpleNamespace(legal_basis=code)) for code in bases}
    first = by_basis[bases[0]]
    return {**first, "litigation": [(str(LegalBasis(code).label), r["litigation_length"], r["litigation_unit"])
                                     for code, r in by_basis.items()]}


def public_decisions(jurisdiction):
    return PublishedDecision.objects.filter(jurisdiction=jurisdiction).public()


@functools.cache
def _public_rows(fields):
    """The public entries as ``fields`` dicts, newest decision first; built once, and only ever filtered (a copy)."""
    return PublishedDecision.objects.public().values(*fields)


def search(jurisdiction, *, village=None, year=None, kind=None, fields=("pk", "decided_on")):
    """The jurisdiction's public entries as ``fields`` dicts (``pk`` and ``decided_on`` among them, for page_of),
    newest decision first, of a village, a year and a kind when given."""
    conditions = {"jurisdiction": jurisdiction}
    if village:
        conditions["village_id"] = village
    if year:  # a range of the index's column (decided_on__year resolves through a lookup class each time)
        conditions["decided_on__gte"], conditions["decided_on__lte"] = date(year, 1, 1), date(year, 12, 31)
    if kind:
        conditions["kind"] = kind
    return _public_rows(tuple(fields)).filter(**conditions)


def year_choices(jurisdiction):
    """The years from the last public decision back to the first (``listing_jurisdiction``'s annotations)."""
    first, last = jurisdiction.first_decided, jurisdiction.last_decided
    if not (first and last):
        return []
    return list(range(_year(last), _year(first) - 1, -1))


def _year(day):
    return day.year if isinstance(day, date) else int(str(day)[:4])


@dataclass(frozen=True)
class ListPage:
    """A page of the public list, newest decision first: its rows and where the pages beside it start."""

    rows: list
    newer: str | None  # the cursor of the page before (上一页): entries listed before the first row
    older: str | None  # the cursor of the page after (下一页): entries listed after the last row


def cursor_of(row):
    """Where a row stands in the list's order (decided_on, id — both descending): ``2026-03-31.1234``."""
    return f"{row['decided_on'].isoformat()}.{row['pk']}"


def _parse_cursor(value):
    match = re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.([0-9]{1,18})", value or "")
    try:
        return (date.fromisoformat(match[1]), int(match[2])) if match else None
    except ValueError:  # well formed but not a day, e.g. 2026-02-30
        return None


def page_of(rows_of, *, size, after=None, before=None):
    """The page of ``rows_of`` (``search``'s rows; a ListPage of them) listed right after the cursor ``after``, right before
    ``before``, or the first page: one query of size + 1 rows along the partial index of public entries, whatever
    the number of entries and however deep the page (a cursor, not an offset, and no count of all matches). A page
    back that reaches the top is read again from the top (a second query), so it is full; so is a cursor past the
    end (a stale link)."""
    key = _parse_cursor(after)
    if key is not None:
        day, pk = key
        rows = list(rows_of.filter(Q(decided_on__lt=day) | Q(decided_on=day, pk__lt=pk), decided_on__lte=day)
                    [:size + 1])
        if rows:
            return ListPage(rows[:size], cursor_of(rows[0]), cursor_of(rows[size - 1]) if len(rows) > size else None)
    key = _parse_cursor(before)
    if key is not None:
        day, pk = key
        rows = list(rows_of.filter(Q(decided_on__gt=day) | Q(decided_on=day, pk__gt=pk), decided_on__gte=day)
                    .order_by("decided_on", "pk")[:size + 1])
        if len(rows) > size:
            rows = rows[size - 1::-1]
            return ListPage(rows, cursor_of(rows[0]), cursor_of(rows[-1]))
    rows = list(rows_of[:size + 1])
    return ListPage(rows[:size], None, cursor_of(rows[size - 1]) if len(rows) > size else None)


def version(jurisdiction):
    """What the public pages' ETag is made of: the last change to any entry of the jurisdiction (every change moves
    ``updated_at``, and entries are never deleted), one probe of the (jurisdiction, updated_at) index."""
    last = (PublishedDecision.objects.filter(jurisdiction=jurisdiction).order_by("-updated_at")
            .values_list("updated_at", flat=True).first())
    return last.isoformat() if last else "-"
