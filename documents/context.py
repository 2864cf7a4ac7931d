"""The content frozen into a document at issue: what the case, the jurisdiction and the law say, plus what the
issuing action adds. Built inside ``translation.override("zh-hans")``: a document is in Chinese whatever the
language of the officer who issues it.
"""
import json
from datetime import date

from django.utils import timezone, translation

from documents.choices import PRINTED_TITLE, RECORD_KINDS, DocumentKind
from documents.legal import basis_content, remedies_content
from patrol.periods import PERIODS


def issuer_name(jurisdiction):
    """The issuing body as printed at the head of a document and beside the seal: the jurisdiction's name."""
    return jurisdiction.name


def officer_entry(officer):
    """An officer as records print them: name and 执法证号 (a user, or a dict the caller already made)."""
    if isinstance(officer, dict):
        return {"name": str(officer.get("name", "")), "certificate": str(officer.get("certificate", ""))}
    return {"name": officer.display_name, "certificate": officer.certificate_number}


def _place(case):
    village = case.village.name if case.village else ""
    return f"{village}{case.address}".strip() or village


def _building(case):
    return {
        "structure": case.get_structure_display() if case.structure else "",
        "category": case.get_category_display(),
        "stage": case.stage,
        "stage_display": case.get_stage_display(),
        "area_m2": str(case.estimated_area_m2) if case.estimated_area_m2 is not None else "",
        "floors": case.floors,
    }


def build_content(*, case, kind, content, actor, issued_on, deadline=None, period_days=None):
    """The full content of a document of ``kind`` on ``case``; ``content`` (from the issuing action) wins."""
    with translation.override("zh-hans"):
        jurisdiction = case.jurisdiction
        basis = basis_content(case)
        found_on = timezone.localdate(case.observed_at)
        base = {
            "kind": kind,
            "title": PRINTED_TITLE.get(kind) or str(DocumentKind(kind).label),
            "issuer": issuer_name(jurisdiction),
            "case_reference": case.reference,
            "party": {"name": case.party_name, "phone": case.party_phone},
            "place": _place(case),
            "found_on": found_on.isoformat(),
            "building": _building(case),
            "legal_basis": basis,
            "remedies": remedies_content(jurisdiction, case),
            "deadline": deadline.isoformat() if isinstance(deadline, date) else deadline,
            "period_days": period_days,
            "issued_on": issued_on.isoformat(),
            "issued_by": officer_entry(actor),
            # The party's windows a notice prints, in working days (行政处罚法 第64、85条).
            "statement_days": jurisdiction.statement_window_days,
            "hearing_days": PERIODS["hearing_request"].length,
            # The earlier documents cited, by kind (documents.services fills it in at issue).
            "previous": {},
        }
        if kind in RECORD_KINDS:
            base["officers"] = [officer_entry(actor)]
        extra = dict(content or {})
        if "officers" in extra:
            extra["officers"] = [officer_entry(o) for o in extra["officers"]]
        merged = {**base, **extra}
    # What is frozen must survive JSON as it is: dates become ISO strings here, not later.
    return json.loads(json.dumps(merged, ensure_ascii=False, default=str))
