"""Reads of the public pages: the body, its officers and its law (事前), the published decisions (事后).

Nothing here reads a case or a party: the decisions come from the masked snapshot on PublishedDecision.
"""
from dataclasses import dataclass
from types import SimpleNamespace

from django.db.models import Max, Min
from django.shortcuts import get_object_or_404

from disclosure.models import PublishedDecision
from documents.legal import ARTICLE_TEXTS, VIOLATIONS, remedies_content
from gis.models import Jurisdiction, Village
from patrol.choices import FIELD_ROLES, LEGAL_BASIS_RULES, LegalBasis
from patrol.models import User
from patrol.officers import certificate_problem


def jurisdiction_by_code(code):
    return get_object_or_404(Jurisdiction, code=code)


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
                           f"对{violation}的行为，依照{rule.articles}责令停止建设、限期改正或者限期拆除"))
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


def search(jurisdiction, *, village=None, year=None, kind=None):
    entries = public_decisions(jurisdiction)
    if village:
        entries = entries.filter(village_id=village)
    if year:
        entries = entries.filter(decided_on__year=year)
    if kind:
        entries = entries.filter(kind=kind)
    return entries


def search_choices(jurisdiction):
    """The villages and years the search form offers: all the jurisdiction's villages, and the years from the first
    public decision to the last (two index probes, not a scan for distinct years)."""
    villages = list(Village.objects.filter(jurisdiction=jurisdiction).order_by("name").values_list("pk", "name"))
    span = public_decisions(jurisdiction).aggregate(first=Min("decided_on"), last=Max("decided_on"))
    years = list(range(span["last"].year, span["first"].year - 1, -1)) if span["first"] else []
    return villages, years


def version(jurisdiction):
    """What the public pages' ETag is made of: the last change to any entry of the jurisdiction (every change moves
    ``updated_at``, and entries are never deleted), one probe of the (jurisdiction, updated_at) index."""
    last = (PublishedDecision.objects.filter(jurisdiction=jurisdiction).order_by("-updated_at")
            .values_list("updated_at", flat=True).first())
    return last.isoformat() if last else "-"
